//! `MinterAllowance`: PDA `["minter", config, minter]`, one per minter, holding
//! what it may still mint (like FiatToken's `configureMinter`).
use anchor_lang::prelude::*;

use crate::errors::Usd1Error;

/// Plain bytes like the Config (its fields at their natural alignment, no
/// implicit padding, so its bytes are its Borsh encoding), so that Anchor's
/// `Account` reads and writes it as a copy instead of a Borsh decode and
/// encode (about 1,400 CU on SBF in `mint_to`; issue 39).
#[account(zero_copy)]
#[derive(InitSpace, Debug)]
pub struct MinterAllowance {
    pub config: Pubkey,
    /// The key that signs `mint_to` / `burn`.
    pub minter: Pubkey,
    /// Base units this minter may still mint.
    pub allowance: u64,
    /// Cumulative base units minted / burned by this minter.
    pub total_minted: u64,
    pub total_burned: u64,
    /// Rate limit: the minting capacity refills linearly to `window_cap`
    /// over `window_secs` seconds; 0 = no rate limit. Base units.
    pub window_cap: u64,
    /// Capacity left (base units) as of `capacity_at` (unix seconds).
    pub capacity: u64,
    pub capacity_at: i64,
    pub window_secs: u32,
    pub bump: u8,
    /// 1 while the minter may mint (see [`MinterAllowance::is_enabled`]).
    pub enabled: u8,
    pub _padding: [u8; 2],
}

crate::state::plain_account!(MinterAllowance);

impl MinterAllowance {
    pub fn is_enabled(&self) -> bool {
        self.enabled != 0
    }

    /// What this minter may mint now under its rate limit (base units);
    /// `None` without one. The capacity refills by `window_cap × elapsed /
    /// window_secs` (u128, rounded down), never above `window_cap`.
    pub fn capacity_now(&self, now: i64) -> Result<Option<u64>> {
        if self.window_secs == 0 {
            return Ok(None);
        }
        let elapsed = u128::try_from(now.saturating_sub(self.capacity_at).max(0))
            .map_err(|_| Usd1Error::Overflow)?;
        let refill = u128::from(self.window_cap)
            .checked_mul(elapsed)
            .ok_or(Usd1Error::Overflow)?
            .checked_div(u128::from(self.window_secs))
            .ok_or(Usd1Error::Overflow)?;
        let capacity = u128::from(self.capacity)
            .saturating_add(refill)
            .min(u128::from(self.window_cap));
        // At most window_cap, a u64.
        Ok(Some(
            u64::try_from(capacity).map_err(|_| Usd1Error::Overflow)?,
        ))
    }

    pub fn invariant(&self) -> Result<()> {
        // A removed minter keeps no allowance that could be revived by accident.
        require!(
            self.is_enabled() || self.allowance == 0,
            Usd1Error::MinterDisabled
        );
        require_keys_neq!(self.minter, Pubkey::default(), Usd1Error::DefaultPubkey);
        require!(
            (self.window_secs == 0) == (self.window_cap == 0) && self.capacity <= self.window_cap,
            Usd1Error::InvalidRateLimit
        );
        Ok(())
    }
}
