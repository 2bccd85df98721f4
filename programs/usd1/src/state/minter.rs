//! `MinterAllowance`: PDA `["minter", config, minter]`, one per minter, holding
//! what it may still mint (like FiatToken's `configureMinter`).
use anchor_lang::prelude::*;

use crate::errors::Usd1Error;

#[account]
#[derive(InitSpace, Debug)]
pub struct MinterAllowance {
    pub bump: u8,
    pub config: Pubkey,
    /// The key that signs `mint_to` / `burn`.
    pub minter: Pubkey,
    pub enabled: bool,
    /// Base units this minter may still mint.
    pub allowance: u64,
    /// Cumulative base units minted / burned by this minter.
    pub total_minted: u64,
    pub total_burned: u64,
}

impl MinterAllowance {
    pub fn invariant(&self) -> Result<()> {
        // A removed minter keeps no allowance that could be revived by accident.
        require!(
            self.enabled || self.allowance == 0,
            Usd1Error::MinterDisabled
        );
        require_keys_neq!(self.minter, Pubkey::default(), Usd1Error::DefaultPubkey);
        Ok(())
    }
}
