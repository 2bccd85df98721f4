//! `accept_admin`: the proposed admin takes over; the old admin loses all power.
use anchor_lang::prelude::*;

use crate::constants::CONFIG_SEED;
use crate::errors::Usd1Error;
use crate::events::AdminAccepted;
use crate::instructions::refuse_remaining_accounts;
use crate::state::Config;

#[event_cpi]
#[derive(Accounts)]
pub struct AcceptAdmin<'info> {
    pub pending_admin: Signer<'info>,
    #[account(
        mut,
        seeds = [CONFIG_SEED, config.mint.as_ref()],
        bump = config.bump,
        has_one = pending_admin @ Usd1Error::NotPendingAdmin,
    )]
    pub config: Box<Account<'info, Config>>,
}

impl AcceptAdmin<'_> {
    pub fn validate(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        // A cleared proposal is the default key, which nobody can sign for; be explicit anyway.
        require_keys_neq!(
            ctx.accounts.config.pending_admin,
            Pubkey::default(),
            Usd1Error::NotPendingAdmin
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<AcceptAdmin>) -> Result<()> {
    let config = &mut ctx.accounts.config;
    let previous = config.admin;
    config.admin = config.pending_admin;
    config.pending_admin = Pubkey::default();
    config.invariant()?;
    let (mint, admin) = (config.mint, config.admin);
    emit_cpi!(AdminAccepted {
        mint,
        previous,
        admin
    });
    Ok(())
}
