//! `set_role`: the admin hands the pauser, freezer or treasurer role to a key.
use anchor_lang::prelude::*;

use crate::errors::Usd1Error;
use crate::events::{publish, RoleChanged};
use crate::instructions::refuse_remaining_accounts;
use crate::state::{Config, Role};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetRoleArgs {
    pub role: Role,
    /// The role's new holder.
    pub holder: Pubkey,
}

#[event_cpi]
#[derive(Accounts)]
pub struct SetRole<'info> {
    pub admin: Signer<'info>,
    #[account(
        mut,
        has_one = admin @ Usd1Error::NotAdmin,
    )]
    pub config: AccountLoader<'info, Config>,
}

impl SetRole<'_> {
    pub fn validate(ctx: &Context<Self>, args: &SetRoleArgs) -> Result<()> {
        let SetRoleArgs { role, holder } = *args;
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require_keys_neq!(holder, Pubkey::default(), Usd1Error::DefaultPubkey);
        require_keys_neq!(
            ctx.accounts.config.load()?.role_holder(role),
            holder,
            Usd1Error::NoChange
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<SetRole>, args: SetRoleArgs) -> Result<()> {
    let SetRoleArgs { role, holder } = args;
    let mut config = ctx.accounts.config.load_mut()?;
    let previous = config.role_holder(role);
    config.set_role_holder(role, holder);
    config.invariant()?;
    let (mint, admin) = (config.mint, config.admin);
    publish!(
        ctx,
        RoleChanged {
            mint,
            admin,
            role,
            previous,
            holder
        }
    );
    Ok(())
}
