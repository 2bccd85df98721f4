//! Seeds, limits and the attestation domain: the numbers every party must agree on.
use anchor_lang::prelude::*;

/// Seed of the per-mint `Config` PDA: `["config", mint]`.
#[constant]
pub const CONFIG_SEED: &[u8] = b"config";

/// Seed of a minter's allowance PDA: `["minter", config, minter]`.
#[constant]
pub const MINTER_SEED: &[u8] = b"minter";

/// Seed of the attestation ring buffer: `["attestations", config]`.
#[constant]
pub const HISTORY_SEED: &[u8] = b"attestations";

/// Domain separator that opens every signed reserve attestation (27 ASCII bytes).
#[constant]
pub const ATTESTATION_DOMAIN: &[u8] = b"usd1:reserve-attestation:v1";

/// Most attestors a `Config` can register.
pub const MAX_ATTESTORS: usize = 8;

/// Attestations kept in the on-chain ring buffer (older ones live in events).
pub const HISTORY_LEN: usize = 64;

/// Basis points in one whole.
#[constant]
pub const BPS_DENOMINATOR: u16 = 10_000;

/// How far (seconds) an attestation's `as_of` may lie ahead of the chain clock.
#[constant]
pub const MAX_FUTURE_SKEW_SECS: i64 = 60;

/// Longest allowed `max_attestation_age` (seconds): 31 days.
#[constant]
pub const MAX_ATTESTATION_AGE_LIMIT: i64 = 31 * 24 * 60 * 60;

/// `max_attestation_age` (seconds) a new mint starts with: one day.
#[constant]
pub const DEFAULT_MAX_ATTESTATION_AGE: i64 = 24 * 60 * 60;

/// How long (seconds) after its `as_of` a signed attestation may still be
/// submitted, for a new mint: 15 minutes. A signature set that leaked (a
/// dry run, a lost send, a co-signer's log) goes dead after it.
#[constant]
pub const DEFAULT_MAX_SUBMISSION_DELAY: i64 = 15 * 60;

/// Longest allowed `max_submission_delay` (seconds): one day.
#[constant]
pub const MAX_SUBMISSION_DELAY_LIMIT: i64 = 24 * 60 * 60;

/// Longest minting rate-limit window (seconds): 30 days.
#[constant]
pub const MAX_RATE_WINDOW_SECS: u32 = 30 * 24 * 60 * 60;

/// Token metadata bounds (bytes).
pub const MAX_NAME_LEN: usize = 32;
pub const MAX_SYMBOL_LEN: usize = 10;
pub const MAX_URI_LEN: usize = 200;

/// Highest decimals a mint may have (keeps 10^decimals inside u64).
#[constant]
pub const MAX_DECIMALS: u8 = 18;

/// The native Ed25519 signature-verification program.
pub const ED25519_PROGRAM_ID: Pubkey = pubkey!("Ed25519SigVerify111111111111111111111111111");

/// The SPL Memo program (v3), for refunds into accounts that require memos.
pub const MEMO_PROGRAM_ID: Pubkey = pubkey!("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr");

/// The memo a refund carries when its destination requires one.
pub const REFUND_MEMO: &[u8] = b"usd1 redemption refund";

/// Seed of the redemption escrow token account: `["escrow", config]`.
#[constant]
pub const ESCROW_SEED: &[u8] = b"escrow";

/// Seed of a redemption request: `["redemption", config, id (u64 LE)]`.
#[constant]
pub const REDEMPTION_SEED: &[u8] = b"redemption";

/// Seed of the holder disclosure: `["disclosure", config]`.
#[constant]
pub const DISCLOSURE_SEED: &[u8] = b"disclosure";

/// Disclosure bounds (bytes).
pub const MAX_LEGAL_NAME_LEN: usize = 64;
pub const MAX_DISCLOSURE_URI_LEN: usize = 200;

/// Highest redemption fee the program lets an issuer publish: 1%.
#[constant]
pub const MAX_REDEMPTION_FEE_BPS: u16 = 100;

/// Longest settlement target an issuer may publish (seconds): 30 days.
#[constant]
pub const MAX_SETTLEMENT_TARGET_SECS: i64 = 30 * 24 * 60 * 60;

/// Written into every disclosure by the program itself; the admin cannot change it.
#[constant]
pub const NOT_INSURED_STATEMENT: &str =
    "USD1 is not a bank deposit and is not insured by the FDIC or any other government agency.";

/// Bytes of `NOT_INSURED_STATEMENT`.
pub const NOT_INSURED_STATEMENT_LEN: usize = NOT_INSURED_STATEMENT.len();

/// What a pause does on a mint initialized `pausable`, written into its
/// disclosure by the program. Token-2022's Pausable extension refuses every
/// transfer, mint and burn while paused, holders' own burns included; the
/// program cannot exempt them without lifting the pause for everyone.
#[constant]
pub const PAUSE_STATEMENT_PAUSABLE: &str = "While USD1 is paused, every transfer, burn and redemption request is refused until the pause is lifted; pending redemptions stay in escrow.";

/// What a pause does on any other mint, written into its disclosure by the program.
#[constant]
pub const PAUSE_STATEMENT_DEFAULT: &str = "While USD1 is paused, minting and redemption settlement stop; holders can still transfer, burn and request redemption.";

/// Bytes of the longer pause statement.
pub const PAUSE_STATEMENT_LEN: usize =
    if PAUSE_STATEMENT_PAUSABLE.len() > PAUSE_STATEMENT_DEFAULT.len() {
        PAUSE_STATEMENT_PAUSABLE.len()
    } else {
        PAUSE_STATEMENT_DEFAULT.len()
    };

/// The pause statement for a mint with or without the Pausable extension.
pub fn pause_statement(pausable: bool) -> &'static str {
    if pausable {
        PAUSE_STATEMENT_PAUSABLE
    } else {
        PAUSE_STATEMENT_DEFAULT
    }
}
