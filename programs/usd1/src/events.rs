//! One event per state change, emitted with `emit_cpi!` so it is recorded as an
//! inner instruction that auditors can read back from any transaction.
use anchor_lang::prelude::*;

use crate::state::Role;

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
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyChanged {
    pub mint: Pubkey,
    pub admin: Pubkey,
    /// Seconds.
    pub max_attestation_age: i64,
    pub margin_bps: u16,
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
}

#[event]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thawed {
    pub mint: Pubkey,
    pub freezer: Pubkey,
    pub token_account: Pubkey,
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
