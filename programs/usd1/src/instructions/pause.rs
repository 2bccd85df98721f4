//! `pause`: the pauser stops minting (and, in later features, redemption and
//! Pausable transfers) until `unpause`.
use anchor_lang::prelude::*;

use crate::constants::CONFIG_SEED;
use crate::errors::Usd1Error;
use crate::events::Paused;
use crate::instructions::refuse_remaining_accounts;
use crate::state::Config;

#[event_cpi]
#[derive(Accounts)]
pub struct Pause<'info> {
    pub pauser: Signer<'info>,
    #[account(
        mut,
        seeds = [CONFIG_SEED, config.mint.as_ref()],
        bump = config.bump,
        has_one = pauser @ Usd1Error::NotPauser,
    )]
    pub config: Box<Account<'info, Config>>,
}

impl Pause<'_> {
    pub fn validate(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require!(!ctx.accounts.config.paused, Usd1Error::AlreadyPaused);
        Ok(())
    }
}

pub fn handler(ctx: Context<Pause>) -> Result<()> {
    let config = &mut ctx.accounts.config;
    config.paused = true;
    config.invariant()?;
    let (mint, pauser) = (config.mint, config.pauser);
    emit_cpi!(Paused { mint, pauser });
    Ok(())
}
