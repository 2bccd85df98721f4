//! `propose_admin`: first step of the two-step admin transfer.
use anchor_lang::prelude::*;

use crate::errors::Usd1Error;
use crate::events::{publish, AdminProposed};
use crate::instructions::refuse_remaining_accounts;
use crate::state::Config;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProposeAdminArgs {
    /// The key that may accept the admin role.
    pub proposed: Pubkey,
}

#[event_cpi]
#[derive(Accounts)]
pub struct ProposeAdmin<'info> {
    pub admin: Signer<'info>,
    #[account(
        mut,
        has_one = admin @ Usd1Error::NotAdmin,
    )]
    pub config: AccountLoader<'info, Config>,
}

impl ProposeAdmin<'_> {
    pub fn validate(ctx: &Context<Self>, args: &ProposeAdminArgs) -> Result<()> {
        let proposed = &args.proposed;
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require_keys_neq!(*proposed, Pubkey::default(), Usd1Error::DefaultPubkey);
        let config = ctx.accounts.config.load()?;
        require!(
            *proposed != config.admin && *proposed != config.pending_admin,
            Usd1Error::NoChange
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<ProposeAdmin>, args: ProposeAdminArgs) -> Result<()> {
    let ProposeAdminArgs { proposed } = args;
    let mut config = ctx.accounts.config.load_mut()?;
    config.pending_admin = proposed;
    config.invariant()?;
    let (mint, admin) = (config.mint, config.admin);
    publish!(
        ctx,
        AdminProposed {
            mint,
            admin,
            proposed
        }
    );
    Ok(())
}
