//! Compute units a transaction asks for, per part, in one table (issue 39):
//! what `usd1 pay` budgets when it packs transfers, account creations and
//! memos into a transaction. Generous against what the programs use, so a
//! packed transaction never runs out: a Token-2022 `transfer_checked` was
//! measured at 2,688 units on SBF (`../shared/sbf/measure`, see
//! docs/benchmarks.md), a mint's extensions and the account it creates add
//! to it, and a priority fee is paid on what is asked, not on what is used.

/// The transaction itself: its compute-budget instructions and the payer.
pub const BASE_UNITS: u32 = 5_000;
/// One token transfer (`transfer_checked`, SPL Token or Token-2022).
pub const TRANSFER_UNITS: u32 = 20_000;
/// Creating a recipient's associated token account (idempotent).
pub const CREATE_UNITS: u32 = 50_000;
/// One memo instruction, plus this much per byte of its text.
pub const MEMO_UNITS: u32 = 10_000;
pub const MEMO_UNITS_PER_BYTE: u32 = 150;
