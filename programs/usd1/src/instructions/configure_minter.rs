//! `configure_minter`: the admin enables a minter (creating its allowance PDA on
//! first use) and sets what it may still mint.
use anchor_lang::prelude::*;

use crate::constants::{CONFIG_SEED, MINTER_SEED};
use crate::errors::Usd1Error;
use crate::events::MinterConfigured;
use crate::instructions::refuse_remaining_accounts;
use crate::state::{Config, MinterAllowance};

#[event_cpi]
#[derive(Accounts)]
pub struct ConfigureMinter<'info> {
    /// Pays for the allowance account the first time.
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(
        seeds = [CONFIG_SEED, config.mint.as_ref()],
        bump = config.bump,
        has_one = admin @ Usd1Error::NotAdmin,
    )]
    pub config: Box<Account<'info, Config>>,
    /// CHECK: only its key is used, as the minter's identity and PDA seed.
    pub minter: UncheckedAccount<'info>,
    #[account(
        init_if_needed,
        payer = admin,
        space = 8 + MinterAllowance::INIT_SPACE,
        seeds = [MINTER_SEED, config.key().as_ref(), minter.key().as_ref()],
        bump,
    )]
    pub minter_allowance: Box<Account<'info, MinterAllowance>>,
    pub system_program: Program<'info, System>,
}

impl ConfigureMinter<'_> {
    pub fn validate(ctx: &Context<Self>, allowance: u64) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require_keys_neq!(
            ctx.accounts.minter.key(),
            Pubkey::default(),
            Usd1Error::DefaultPubkey
        );
        let current = &ctx.accounts.minter_allowance;
        let is_new = current.config == Pubkey::default();
        require!(
            is_new || !current.enabled || current.allowance != allowance,
            Usd1Error::NoChange
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<ConfigureMinter>, allowance: u64) -> Result<()> {
    let config = ctx.accounts.config.key();
    let minter = ctx.accounts.minter.key();
    let record = &mut ctx.accounts.minter_allowance;
    let previous_allowance = record.allowance;
    if record.config == Pubkey::default() {
        record.bump = ctx.bumps.minter_allowance;
        record.config = config;
        record.minter = minter;
    }
    record.enabled = true;
    record.allowance = allowance;
    record.invariant()?;
    let (mint, admin) = (ctx.accounts.config.mint, ctx.accounts.config.admin);
    emit_cpi!(MinterConfigured {
        mint,
        admin,
        minter,
        previous_allowance,
        allowance
    });
    Ok(())
}
