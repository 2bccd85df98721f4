//! One event per state change, published with [`publish!`] two ways: as an
//! `emit_cpi!` self-invocation, recorded as an inner instruction that
//! auditors read back from any transaction and that no log truncation can
//! lose, and as `emit!`'s `Program data:` log line, which log subscribers
//! (Anchor's `addEventListener`, `EventParser`) read.
use anchor_lang::prelude::*;

/// Publishes an event (see the module docs). `$ctx` is the handler's
/// `Context`, whose event authority signs the self-invocation.
macro_rules! publish {
    ($ctx:expr, $event:expr) => {{
        let ctx = &$ctx;
        $crate::events::publish_both_ways(
            &ctx.accounts.event_authority.to_account_info(),
            &$event,
        )?;
    }};
}

/// The bytes `emit!` logs and `emit_cpi!` invokes with, made once: Anchor's
/// event-instruction tag, then the event as `Event::data` lays it out (its
/// discriminator, then its Borsh fields). `emit_cpi!` serializes the event
/// again, copies it byte by byte behind the tag and copies the result into
/// the instruction (issue 39: about 1,000 CU an event on SBF); the bytes on
/// the chain are the same.
pub fn publish_both_ways<E: anchor_lang::Event>(
    event_authority: &AccountInfo<'_>,
    event: &E,
) -> Result<()> {
    use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
    let tag = anchor_lang::event::EVENT_IX_TAG_LE;
    let mut data = Vec::with_capacity(256);
    data.extend_from_slice(tag);
    data.extend_from_slice(E::DISCRIMINATOR);
    event
        .serialize(&mut data)
        .map_err(|_| error!(anchor_lang::error::ErrorCode::AccountDidNotSerialize))?;
    log_data(data.get(tag.len()..).unwrap_or_default());
    let ix = Instruction {
        program_id: crate::ID,
        accounts: vec![AccountMeta::new_readonly(*event_authority.key, true)],
        data,
    };
    anchor_lang::solana_program::program::invoke_signed(
        &ix,
        core::slice::from_ref(event_authority),
        &[&[b"__event_authority", &[crate::EVENT_AUTHORITY_AND_BUMP.1]]],
    )
    .map_err(Into::into)
}

/// `Program data: <base64>` in the transaction's logs, as `emit!` writes an
/// event. On SBF that is the `sol_log_data` syscall; natively Anchor's own
/// shim drops it, so the call goes to the syscall stubs, as solana-program's
/// `sol_log_data` does (the test runtimes route it to the logs).
pub fn log_data(data: &[u8]) {
    #[cfg(target_os = "solana")]
    anchor_lang::solana_program::log::sol_log_data(&[data]);
    #[cfg(not(target_os = "solana"))]
    anchor_lang::compat::solana_sysvar::program_stubs::sol_log_data(&[data]);
}
pub(crate) use publish;

use crate::state::{MintOptions, Role};

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initialized {
    pub mint: Pubkey,
    pub config: Pubkey,
    pub admin: Pubkey,
    pub token_program: Pubkey,
    pub decimals: u8,
    pub name: String,
    pub symbol: String,
    pub uri: String,
    pub options: MintOptions,
    pub escrow: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminProposed {
    pub mint: Pubkey,
    pub admin: Pubkey,
    pub proposed: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAccepted {
    pub mint: Pubkey,
    pub previous: Pubkey,
    pub admin: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChanged {
    pub mint: Pubkey,
    pub admin: Pubkey,
    pub role: Role,
    pub previous: Pubkey,
    pub holder: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinterConfigured {
    pub mint: Pubkey,
    pub admin: Pubkey,
    pub minter: Pubkey,
    /// Remaining allowance before the change (base units).
    pub previous_allowance: u64,
    /// Remaining allowance after the change (base units).
    pub allowance: u64,
    /// Rate limit (0 = none): capacity refills to `window_cap` base units over `window_secs`.
    pub window_secs: u32,
    pub window_cap: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinterRemoved {
    pub mint: Pubkey,
    pub admin: Pubkey,
    pub minter: Pubkey,
    /// Allowance (base units) that was left unused and is now void.
    pub forfeited_allowance: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestorsChanged {
    pub mint: Pubkey,
    pub admin: Pubkey,
    pub attestors: Vec<Pubkey>,
    pub threshold: u8,
    /// Bumped on every change so each attestation names the set that signed it.
    pub attestor_epoch: u32,
    /// The admin kept the live attestation in service.
    pub keep_latest: bool,
    /// Seq of the attestation this change retired (no mint against it any
    /// more); 0 when none was retired.
    pub retired_seq: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyChanged {
    pub mint: Pubkey,
    pub admin: Pubkey,
    /// Seconds.
    pub max_attestation_age: i64,
    pub margin_bps: u16,
    /// Seconds.
    pub max_submission_delay: i64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveAttested {
    pub mint: Pubkey,
    pub seq: u64,
    /// Token base units.
    pub reserve_amount: u64,
    /// Unix seconds the reserve figure is as of.
    pub as_of: i64,
    pub report_sha256: [u8; 32],
    pub attestor_epoch: u32,
    pub signers: Vec<Pubkey>,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minted {
    pub mint: Pubkey,
    pub minter: Pubkey,
    pub destination: Pubkey,
    pub amount: u64,
    pub supply: u64,
    pub allowance_remaining: u64,
    /// The attestation that backed this mint.
    pub attestation_seq: u64,
    pub reserve_amount: u64,
    pub margin_bps: u16,
    /// What the minter may still mint now under its rate limit (base units); `None` without one.
    pub capacity_remaining: Option<u64>,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminProposalCancelled {
    pub mint: Pubkey,
    pub admin: Pubkey,
    /// The proposed admin that can no longer accept.
    pub cancelled: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burned {
    pub mint: Pubkey,
    pub minter: Pubkey,
    pub source: Pubkey,
    pub amount: u64,
    pub supply: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frozen {
    pub mint: Pubkey,
    pub freezer: Pubkey,
    pub token_account: Pubkey,
    pub reason_code: u16,
    /// SHA-256 of the order or case file the freeze carries out; zero for none.
    pub order_sha256: [u8; 32],
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thawed {
    pub mint: Pubkey,
    pub freezer: Pubkey,
    pub token_account: Pubkey,
    pub reason_code: u16,
    /// SHA-256 of the order or case file the thaw carries out; zero for none.
    pub order_sha256: [u8; 32],
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paused {
    pub mint: Pubkey,
    pub pauser: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpaused {
    pub mint: Pubkey,
    pub pauser: Pubkey,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedemptionRequested {
    pub mint: Pubkey,
    pub id: u64,
    pub holder: Pubkey,
    /// The holder's token account the tokens left (and a rejection returns to).
    pub source: Pubkey,
    pub amount: u64,
    /// Disclosed fee on this amount: `amount × fee_bps / 10_000`, rounded down.
    pub fee: u64,
    /// What the holder is owed in dollars' base units: `amount − fee`.
    pub payout: u64,
    pub fee_bps: u16,
    pub payout_ref_sha256: [u8; 32],
    /// Unix seconds.
    pub requested_at: i64,
    /// Sum of all pending requests after this one.
    pub escrowed: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedemptionSettled {
    pub mint: Pubkey,
    pub id: u64,
    pub treasurer: Pubkey,
    pub holder: Pubkey,
    pub amount: u64,
    pub fee: u64,
    pub payout: u64,
    pub settlement_ref_sha256: [u8; 32],
    pub requested_at: i64,
    pub settled_at: i64,
    /// Supply after the escrowed tokens were burned.
    pub supply: u64,
    pub escrowed: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedemptionRejected {
    pub mint: Pubkey,
    pub id: u64,
    pub treasurer: Pubkey,
    pub holder: Pubkey,
    /// The token account the tokens went back to: the one they came from, or
    /// the holder's associated token account when that one was closed.
    pub refunded_to: Pubkey,
    pub amount: u64,
    pub reason_code: u16,
    pub requested_at: i64,
    pub rejected_at: i64,
    pub escrowed: u64,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureSet {
    pub mint: Pubkey,
    pub admin: Pubkey,
    pub version: u32,
    pub legal_name: String,
    pub terms_uri: String,
    pub terms_sha256: [u8; 32],
    pub min_redemption: u64,
    pub redemption_fee_bps: u16,
    pub settlement_target_secs: i64,
    pub reserve_report_uri: String,
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seized {
    pub mint: Pubkey,
    pub admin: Pubkey,
    pub from: Pubkey,
    pub to: Pubkey,
    pub amount: u64,
    pub reason_code: u16,
    /// SHA-256 of the order or case file the seizure carries out; zero for none.
    pub order_sha256: [u8; 32],
    /// The source was frozen before, and is frozen again after.
    pub refrozen: bool,
}
