//! One file per instruction: accounts struct, its validation, its handler.
// Every file has a `handler`, always called by its full path; the globs exist
// because Anchor's generated client-account modules must reach the crate root.
#![allow(ambiguous_glob_reexports)]
pub mod accept_admin;
pub mod attest;
pub mod burn;
pub mod cancel_admin_proposal;
pub mod configure_minter;
pub mod freeze;
pub mod initialize;
pub mod mint_to;
pub mod pause;
pub mod propose_admin;
pub mod reject_redemption;
pub mod remove_minter;
pub mod request_redemption;
pub mod seize;
pub mod set_attestors;
pub mod set_disclosure;
pub mod set_policy;
pub mod set_role;
pub mod settle_redemption;

pub use accept_admin::*;
pub use attest::*;
pub use burn::*;
pub use cancel_admin_proposal::*;
pub use configure_minter::*;
pub use freeze::*;
pub use initialize::*;
pub use mint_to::*;
pub use pause::*;
pub use propose_admin::*;
pub use reject_redemption::*;
pub use remove_minter::*;
pub use request_redemption::*;
pub use seize::*;
pub use set_attestors::*;
pub use set_disclosure::*;
pub use set_policy::*;
pub use set_role::*;
pub use settle_redemption::*;

use anchor_lang::prelude::*;

use crate::errors::Usd1Error;

// `dup` on a writable account: Anchor checks on every call that no
// writable account is named twice, through a SipHash set (about 900 CU per
// account on SBF; issue 39). The check guards two writable accounts of one
// type, whose write-backs would overwrite each other. Where no other
// writable account of the instruction has the account's type (an allowance,
// a redemption, a token account beside a mint, the escrow, which is taken
// unchecked because the Config pins it), the same account cannot
// deserialize as both, and that account is marked `dup`; `seize`, with two
// writable token accounts, keeps the check.

/// No instruction of this program reads `remaining_accounts`; refuse them so
/// that nobody can believe an extra account was checked.
pub(crate) fn refuse_remaining_accounts(remaining: &[AccountInfo]) -> Result<()> {
    require!(remaining.is_empty(), Usd1Error::UnexpectedRemainingAccounts);
    Ok(())
}

/// Where SPL Token and Token-2022 keep a mint's supply and a token
/// account's amount: the base layouts both programs share (their
/// extensions come after).
const MINT_SUPPLY_AT: usize = 36;
const TOKEN_AMOUNT_AT: usize = 64;

/// The little-endian u64 at `at` in `account`'s data, as the token program
/// left it after a CPI: read in place instead of unpacking the whole account
/// and its extensions again (`reload`, about 900 CU on SBF; issue 39).
fn u64_at(account: &AccountInfo, at: usize) -> Result<u64> {
    let data = account.try_borrow_data()?;
    let bytes: [u8; 8] = at
        .checked_add(8)
        .and_then(|end| data.get(at..end))
        .and_then(|b| b.try_into().ok())
        .ok_or(Usd1Error::SupplyMismatch)?;
    Ok(u64::from_le_bytes(bytes))
}

/// The mint's supply now (after a CPI that changed it).
pub(crate) fn supply_now(mint: &AccountInfo) -> Result<u64> {
    u64_at(mint, MINT_SUPPLY_AT)
}

/// Anyone may send tokens to the escrow, so it may hold more than the pending
/// requests, never less. Reads the escrow's amount after the CPI that moved tokens.
pub(crate) fn check_escrow_covers(
    escrow: &AccountInfo,
    config: &crate::state::Config,
) -> Result<()> {
    require!(
        u64_at(escrow, TOKEN_AMOUNT_AT)? >= config.escrowed_amount,
        Usd1Error::EscrowShortfall
    );
    Ok(())
}
