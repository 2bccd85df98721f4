//! `cancel_admin_proposal`: the admin withdraws a pending admin transfer
//! (proposed to the wrong key, or to a key since lost or compromised).
use anchor_lang::prelude::*;

use crate::errors::Usd1Error;
use crate::events::{publish, AdminProposalCancelled};
use crate::instructions::refuse_remaining_accounts;
use crate::state::Config;

#[event_cpi]
#[derive(Accounts)]
pub struct CancelAdminProposal<'info> {
    pub admin: Signer<'info>,
    #[account(
        mut,
        has_one = admin @ Usd1Error::NotAdmin,
    )]
    pub config: AccountLoader<'info, Config>,
}

impl CancelAdminProposal<'_> {
    pub fn validate(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require_keys_neq!(
            ctx.accounts.config.load()?.pending_admin,
            Pubkey::default(),
            Usd1Error::NoAdminProposal
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<CancelAdminProposal>) -> Result<()> {
    let mut config = ctx.accounts.config.load_mut()?;
    let cancelled = config.pending_admin;
    config.pending_admin = Pubkey::default();
    config.invariant()?;
    let (mint, admin) = (config.mint, config.admin);
    publish!(
        ctx,
        AdminProposalCancelled {
            mint,
            admin,
            cancelled
        }
    );
    Ok(())
}
