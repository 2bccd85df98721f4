//! `freeze`: the freezer freezes a token account of this mint (compliance);
//! never the redemption escrow.
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface};

use crate::constants::CONFIG_SEED;
use crate::errors::Usd1Error;
use crate::events::Frozen;
use crate::instructions::refuse_remaining_accounts;
use crate::state::Config;

#[event_cpi]
#[derive(Accounts)]
pub struct Freeze<'info> {
    pub freezer: Signer<'info>,
    #[account(
        seeds = [CONFIG_SEED, config.mint.as_ref()],
        bump = config.bump,
        has_one = freezer @ Usd1Error::NotFreezer,
        has_one = mint @ Usd1Error::WrongMint,
        has_one = token_program @ Usd1Error::WrongTokenProgram,
    )]
    pub config: Box<Account<'info, Config>>,
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        mut,
        constraint = token_account.mint == mint.key() @ Usd1Error::WrongMint,
        token::token_program = token_program,
    )]
    pub token_account: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl Freeze<'_> {
    pub fn validate(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        // A frozen escrow would stop every request, settlement and rejection.
        let config = &ctx.accounts.config;
        require_keys_neq!(
            ctx.accounts.token_account.key(),
            config.escrow_address(&config.key())?,
            Usd1Error::EscrowNotFreezable
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<Freeze>) -> Result<()> {
    let accounts = &ctx.accounts;
    let seeds = accounts.config.signer_seeds();
    token_interface::freeze_account(CpiContext::new_with_signer(
        accounts.token_program.key(),
        token_interface::FreezeAccount {
            account: accounts.token_account.to_account_info(),
            mint: accounts.mint.to_account_info(),
            authority: accounts.config.to_account_info(),
        },
        &[&seeds],
    ))?;
    let event = Frozen {
        mint: accounts.config.mint,
        freezer: accounts.freezer.key(),
        token_account: accounts.token_account.key(),
    };
    emit_cpi!(event);
    Ok(())
}
