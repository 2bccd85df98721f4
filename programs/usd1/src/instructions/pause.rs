//! `pause` and `unpause`: the pauser stops minting and redemption settlement
//! until it lifts the pause; on a mint initialized as pausable, Token-2022
//! also stops every transfer meanwhile. One accounts struct serves both.
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, TokenInterface};

use crate::errors::Usd1Error;
use crate::events::{publish, Paused, Unpaused};
use crate::instructions::refuse_remaining_accounts;
use crate::state::Config;

#[event_cpi]
#[derive(Accounts)]
pub struct PauseOrUnpause<'info> {
    pub pauser: Signer<'info>,
    #[account(
        mut,
        has_one = pauser @ Usd1Error::NotPauser,
        has_one = mint @ Usd1Error::WrongMint,
        has_one = token_program @ Usd1Error::WrongTokenProgram,
    )]
    pub config: AccountLoader<'info, Config>,
    /// Written by Token-2022's Pausable extension when the mint has it.
    /// CHECK: the Config's mint (`has_one = mint`), made at `initialize`;
    /// only the token program reads or writes it, in the CPI.
    #[account(mut)]
    pub mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl PauseOrUnpause<'_> {
    pub fn validate_pause(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require!(
            !ctx.accounts.config.load()?.is_paused(),
            Usd1Error::AlreadyPaused
        );
        Ok(())
    }

    pub fn validate_unpause(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require!(
            ctx.accounts.config.load()?.is_paused(),
            Usd1Error::NotPaused
        );
        Ok(())
    }
}

pub fn pause(ctx: Context<PauseOrUnpause>) -> Result<()> {
    set_paused(ctx, true)
}

pub fn unpause(ctx: Context<PauseOrUnpause>) -> Result<()> {
    set_paused(ctx, false)
}

fn set_paused(ctx: Context<PauseOrUnpause>, paused: bool) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let (pausable, config_signer) = {
        let config = accounts.config.load()?;
        (config.options().pausable, config.signer())
    };
    if pausable {
        let seeds = config_signer.seeds();
        let signer = [&seeds[..]];
        let toggle = CpiContext::new_with_signer(
            accounts.token_program.key(),
            token_interface::PausableToggle {
                token_program_id: accounts.token_program.to_account_info(),
                mint: accounts.mint.to_account_info(),
                authority: accounts.config.to_account_info(),
            },
            &signer,
        );
        if paused {
            token_interface::pausable_pause(toggle)?;
        } else {
            token_interface::pausable_resume(toggle)?;
        }
    }
    let mut config = accounts.config.load_mut()?;
    config.paused = u8::from(paused);
    config.invariant()?;
    let (mint, pauser) = (config.mint, config.pauser);
    drop(config);
    if paused {
        publish!(ctx, Paused { mint, pauser });
    } else {
        publish!(ctx, Unpaused { mint, pauser });
    }
    Ok(())
}
