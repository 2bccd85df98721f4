//! `Redemption`: PDA `["redemption", config, id]`, one per request, kept forever
//! so that no request is lost and time-to-settle can be measured from accounts.
use anchor_lang::prelude::*;

use crate::errors::Usd1Error;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum RedemptionStatus {
    Pending,
    Settled,
    Rejected,
}

#[account]
#[derive(InitSpace, Debug)]
pub struct Redemption {
    pub bump: u8,
    pub config: Pubkey,
    pub id: u64,
    pub holder: Pubkey,
    /// The token account the tokens came from; a rejection refunds it.
    pub source: Pubkey,
    /// Base units escrowed.
    pub amount: u64,
    /// Disclosed fee (base units) kept from the dollar payout.
    pub fee: u64,
    /// SHA-256 of the holder's payout instructions (kept off-chain).
    pub payout_ref_sha256: [u8; 32],
    pub status: RedemptionStatus,
    /// Unix seconds.
    pub requested_at: i64,
    /// Unix seconds the request was settled or rejected; 0 while pending.
    pub resolved_at: i64,
    /// SHA-256 of the treasurer's settlement reference (wire id, etc.).
    pub settlement_ref_sha256: [u8; 32],
    /// Why a request was rejected (issuer-defined code); 0 otherwise.
    pub reason_code: u16,
}

impl Redemption {
    /// Closes a pending request as settled or rejected at `now` (never before
    /// it was requested, so time-to-settle is never negative).
    pub fn resolve(&mut self, status: RedemptionStatus, now: i64) -> Result<()> {
        require!(
            self.status == RedemptionStatus::Pending,
            Usd1Error::RedemptionNotPending
        );
        require!(
            status != RedemptionStatus::Pending,
            Usd1Error::RedemptionNotPending
        );
        self.status = status;
        self.resolved_at = now.max(self.requested_at);
        self.invariant()
    }

    pub fn invariant(&self) -> Result<()> {
        require!(self.amount > 0, Usd1Error::ZeroAmount);
        require!(self.fee <= self.amount, Usd1Error::Overflow);
        let consistent = match self.status {
            RedemptionStatus::Pending => self.resolved_at == 0,
            _ => self.resolved_at >= self.requested_at,
        };
        require!(consistent, Usd1Error::RedemptionNotPending);
        Ok(())
    }
}
