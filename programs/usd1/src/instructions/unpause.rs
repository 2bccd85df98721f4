//! `unpause`: the pauser lifts a pause (and, on a pausable mint, Token-2022's).
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenInterface};

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
        has_one = mint @ Usd1Error::WrongMint,
        has_one = token_program @ Usd1Error::WrongTokenProgram,
    )]
    pub config: Box<Account<'info, Config>>,
    /// Written by Token-2022's Pausable extension when the mint has it.
    #[account(mut)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl Unpause<'_> {
    pub fn validate(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require!(ctx.accounts.config.paused, Usd1Error::NotPaused);
        Ok(())
    }
}

pub fn handler(ctx: Context<Unpause>) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    if accounts.config.options.pausable {
        let seeds = accounts.config.signer_seeds();
        token_interface::pausable_resume(CpiContext::new_with_signer(
            accounts.token_program.key(),
            token_interface::PausableToggle {
                token_program_id: accounts.token_program.to_account_info(),
                mint: accounts.mint.to_account_info(),
                authority: accounts.config.to_account_info(),
            },
            &[&seeds],
        ))?;
    }
    let config = &mut accounts.config;
    config.paused = false;
    config.invariant()?;
    let (mint, pauser) = (config.mint, config.pauser);
    emit_cpi!(Unpaused { mint, pauser });
    Ok(())
}
