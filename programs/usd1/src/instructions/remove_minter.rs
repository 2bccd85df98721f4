//! `remove_minter`: the admin disables a minter and voids its allowance. The
//! account stays, so its cumulative totals remain on the record.
use anchor_lang::prelude::*;

use crate::errors::Usd1Error;
use crate::events::{publish, MinterRemoved};
use crate::instructions::refuse_remaining_accounts;
use crate::state::{Config, MinterAllowance};

#[event_cpi]
#[derive(Accounts)]
pub struct RemoveMinter<'info> {
    pub admin: Signer<'info>,
    #[account(
        has_one = admin @ Usd1Error::NotAdmin,
    )]
    pub config: AccountLoader<'info, Config>,
    #[account(
        mut,
        has_one = config @ Usd1Error::WrongConfig,
    )]
    pub minter_allowance: Box<Account<'info, MinterAllowance>>,
}

impl RemoveMinter<'_> {
    pub fn validate(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require!(
            ctx.accounts.minter_allowance.is_enabled(),
            Usd1Error::NoChange
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<RemoveMinter>) -> Result<()> {
    let record = &mut ctx.accounts.minter_allowance;
    let forfeited_allowance = record.allowance;
    record.enabled = 0;
    record.allowance = 0;
    record.invariant()?;
    let minter = record.minter;
    let config = ctx.accounts.config.load()?;
    let (mint, admin) = (config.mint, config.admin);
    publish!(
        ctx,
        MinterRemoved {
            mint,
            admin,
            minter,
            forfeited_allowance
        }
    );
    Ok(())
}
