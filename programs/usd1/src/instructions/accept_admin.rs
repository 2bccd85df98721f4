//! `accept_admin`: the proposed admin takes over, with every role the old
//! admin still held; the old admin loses all power.
use anchor_lang::prelude::*;

use crate::errors::Usd1Error;
use crate::events::{publish, AdminAccepted, RoleChanged};
use crate::instructions::refuse_remaining_accounts;
use crate::state::{Config, Role};

#[event_cpi]
#[derive(Accounts)]
pub struct AcceptAdmin<'info> {
    pub pending_admin: Signer<'info>,
    #[account(
        mut,
        has_one = pending_admin @ Usd1Error::NotPendingAdmin,
    )]
    pub config: AccountLoader<'info, Config>,
}

impl AcceptAdmin<'_> {
    pub fn validate(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        // A cleared proposal is the default key, which nobody can sign for; be explicit anyway.
        require_keys_neq!(
            ctx.accounts.config.load()?.pending_admin,
            Pubkey::default(),
            Usd1Error::NotPendingAdmin
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<AcceptAdmin>) -> Result<()> {
    let mut config = ctx.accounts.config.load_mut()?;
    let previous = config.admin;
    let admin = config.pending_admin;
    config.admin = admin;
    config.pending_admin = Pubkey::default();
    // Roles the old admin still holds (init gives it every one) go with the
    // admin role, so no power stays behind with a key that handed it over.
    let handed_over: Vec<Role> = config.roles_held_by(&previous).collect();
    for role in &handed_over {
        config.set_role_holder(*role, admin);
    }
    config.invariant()?;
    let mint = config.mint;
    publish!(
        ctx,
        AdminAccepted {
            mint,
            previous,
            admin
        }
    );
    for role in handed_over {
        publish!(
            ctx,
            RoleChanged {
                mint,
                admin,
                role,
                previous,
                holder: admin
            }
        );
    }
    Ok(())
}
