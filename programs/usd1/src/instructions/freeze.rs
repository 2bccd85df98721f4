//! `freeze` and `thaw`: the freezer freezes a token account of this mint
//! (compliance), never the redemption escrow, and thaws it again, each
//! citing its lawful basis (a reason code and the SHA-256 of the order or
//! case file) in its event. One accounts struct serves both.
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, TokenAccount, TokenInterface};

use crate::errors::Usd1Error;
use crate::events::{publish, Frozen, Thawed};
use crate::instructions::refuse_remaining_accounts;
use crate::state::Config;

/// Why a freeze, thaw or seizure is made: on the record, no personal data.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LawfulBasis {
    /// The issuer's reason code (its own published table).
    pub reason_code: u16,
    /// SHA-256 of the lawful order or case file carried out; zero for none.
    pub order_sha256: [u8; 32],
}

impl From<u16> for LawfulBasis {
    /// A reason code citing no order.
    fn from(reason_code: u16) -> Self {
        Self {
            reason_code,
            order_sha256: [0; 32],
        }
    }
}

#[event_cpi]
#[derive(Accounts)]
pub struct FreezeOrThaw<'info> {
    pub freezer: Signer<'info>,
    #[account(
        has_one = freezer @ Usd1Error::NotFreezer,
        has_one = mint @ Usd1Error::WrongMint,
        has_one = token_program @ Usd1Error::WrongTokenProgram,
    )]
    pub config: AccountLoader<'info, Config>,
    /// CHECK: the Config's mint (`has_one = mint`), made at `initialize`;
    /// only the token program reads it, in the CPI.
    pub mint: UncheckedAccount<'info>,
    #[account(
        mut,
        // `dup`: no other writable account here has this type (instructions/mod.rs).
        dup,
        constraint = token_account.mint == mint.key() @ Usd1Error::WrongMint,
        token::token_program = token_program,
    )]
    pub token_account: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl FreezeOrThaw<'_> {
    pub fn validate_freeze(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        // A frozen escrow would stop every request, settlement and rejection.
        require_keys_neq!(
            ctx.accounts.token_account.key(),
            ctx.accounts.config.load()?.escrow,
            Usd1Error::EscrowNotFreezable
        );
        Ok(())
    }

    pub fn validate_thaw(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)
    }
}

pub fn freeze(ctx: Context<FreezeOrThaw>, basis: LawfulBasis) -> Result<()> {
    set_frozen(ctx, true, basis)
}

pub fn thaw(ctx: Context<FreezeOrThaw>, basis: LawfulBasis) -> Result<()> {
    set_frozen(ctx, false, basis)
}

fn set_frozen(ctx: Context<FreezeOrThaw>, frozen: bool, basis: LawfulBasis) -> Result<()> {
    let accounts = &ctx.accounts;
    let config_signer = accounts.config.load()?.signer();
    let seeds = config_signer.seeds();
    let (program, account, mint, authority) = (
        accounts.token_program.key(),
        accounts.token_account.to_account_info(),
        accounts.mint.to_account_info(),
        accounts.config.to_account_info(),
    );
    if frozen {
        let freeze = token_interface::FreezeAccount {
            account,
            mint,
            authority,
        };
        token_interface::freeze_account(CpiContext::new_with_signer(program, freeze, &[&seeds]))?;
    } else {
        let thaw = token_interface::ThawAccount {
            account,
            mint,
            authority,
        };
        token_interface::thaw_account(CpiContext::new_with_signer(program, thaw, &[&seeds]))?;
    }
    let (mint, freezer, token_account) = (
        accounts.mint.key(),
        accounts.freezer.key(),
        accounts.token_account.key(),
    );
    let LawfulBasis {
        reason_code,
        order_sha256,
    } = basis;
    if frozen {
        publish!(
            ctx,
            Frozen {
                mint,
                freezer,
                token_account,
                reason_code,
                order_sha256,
            }
        );
    } else {
        publish!(
            ctx,
            Thawed {
                mint,
                freezer,
                token_account,
                reason_code,
                order_sha256,
            }
        );
    }
    Ok(())
}
