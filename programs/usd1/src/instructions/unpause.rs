//! `unpause`: the pauser lifts a pause.
use anchor_lang::prelude::*;

use crate::constants::CONFIG_SEED;
use crate::errors::Usd1Error;
use crate::events::Unpaused;
use crate::instructions::refuse_remaining_accounts;
use crate::state::Config;

#[event_cpi]
#[derive(Accounts)]
pub struct Unpause<'info> {
    pub pauser: Signer<'info>,
    #[account(
        mut,
        seeds = [CONFIG_SEED, config.mint.as_ref()],
        bump = config.bump,
        has_one = pauser @ Usd1Error::NotPauser,
    )]
    pub config: Box<Account<'info, Config>>,
}

impl Unpause<'_> {
    pub fn validate(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require!(ctx.accounts.config.paused, Usd1Error::NotPaused);
        Ok(())
    }
}

pub fn handler(ctx: Context<Unpause>) -> Result<()> {
    let config = &mut ctx.accounts.config;
    config.paused = false;
    config.invariant()?;
    let (mint, pauser) = (config.mint, config.pauser);
    emit_cpi!(Unpaused { mint, pauser });
    Ok(())
}
