//! `mint_to`: the mint gate. A minter mints only while not paused, within its
//! allowance and its rate-limited capacity, against a fresh attestation, and
//! never past `reserve × (10_000 − margin_bps) / 10_000`.
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, TokenAccount, TokenInterface};

use crate::errors::Usd1Error;
use crate::events::{publish, Minted};
use crate::instructions::refuse_remaining_accounts;
use crate::state::{Config, MinterAllowance};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MintToArgs {
    /// Base units.
    pub amount: u64,
}

#[event_cpi]
#[derive(Accounts)]
pub struct MintTo<'info> {
    pub minter: Signer<'info>,
    #[account(
        mut,
        has_one = mint @ Usd1Error::WrongMint,
        has_one = token_program @ Usd1Error::WrongTokenProgram,
    )]
    pub config: AccountLoader<'info, Config>,
    #[account(
        mut,
        // `dup`: no other writable account here has this type (instructions/mod.rs).
        dup,
        has_one = config @ Usd1Error::WrongConfig,
        has_one = minter @ Usd1Error::NotMinter,
    )]
    pub minter_allowance: Box<Account<'info, MinterAllowance>>,
    /// CHECK: the Config's mint (`has_one = mint`), made at `initialize`;
    /// only the token program reads or writes it, in the CPI.
    #[account(mut)]
    pub mint: UncheckedAccount<'info>,
    #[account(
        mut,
        // `dup`: no other writable account here has this type (instructions/mod.rs).
        dup,
        constraint = destination.mint == mint.key() @ Usd1Error::WrongMint,
        token::token_program = token_program,
    )]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl MintTo<'_> {
    pub fn validate(ctx: &Context<Self>, args: &MintToArgs) -> Result<()> {
        let amount = args.amount;
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        let accounts = &ctx.accounts;
        let config = accounts.config.load()?;
        let minter = &accounts.minter_allowance;
        require!(!config.is_paused(), Usd1Error::Paused);
        require!(minter.is_enabled(), Usd1Error::MinterDisabled);
        require!(amount > 0, Usd1Error::ZeroAmount);
        require!(amount <= minter.allowance, Usd1Error::AllowanceExceeded);
        let now = Clock::get()?.unix_timestamp;
        if let Some(capacity) = minter.capacity_now(now)? {
            require!(amount <= capacity, Usd1Error::MintRateExceeded);
        }

        require!(config.latest.seq > 0, Usd1Error::NoAttestation);
        require!(!config.is_latest_retired(), Usd1Error::AttestationRetired);
        let age = now
            .checked_sub(config.latest.as_of)
            .ok_or(Usd1Error::Overflow)?;
        require!(
            age <= config.max_attestation_age,
            Usd1Error::StaleAttestation
        );

        let new_supply = super::supply_now(&accounts.mint)?
            .checked_add(amount)
            .ok_or(Usd1Error::Overflow)?;
        require!(
            new_supply <= config.mintable_ceiling()?,
            Usd1Error::ReserveExceeded
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<MintTo>, args: MintToArgs) -> Result<()> {
    let MintToArgs { amount } = args;
    let accounts = &mut *ctx.accounts;
    let expected_supply = super::supply_now(&accounts.mint)?
        .checked_add(amount)
        .ok_or(Usd1Error::Overflow)?;
    let config_signer = accounts.config.load()?.signer();
    let seeds = config_signer.seeds();
    token_interface::mint_to(
        CpiContext::new_with_signer(
            accounts.token_program.key(),
            token_interface::MintTo {
                mint: accounts.mint.to_account_info(),
                to: accounts.destination.to_account_info(),
                authority: accounts.config.to_account_info(),
            },
            &[&seeds],
        ),
        amount,
    )?;
    // Read the supply back from the mint, not from the copy taken before the CPI.
    let supply = super::supply_now(&accounts.mint)?;
    require!(supply == expected_supply, Usd1Error::SupplyMismatch);

    let minter = &mut accounts.minter_allowance;
    minter.allowance = minter
        .allowance
        .checked_sub(amount)
        .ok_or(Usd1Error::AllowanceExceeded)?;
    let now = Clock::get()?.unix_timestamp;
    let capacity_remaining = match minter.capacity_now(now)? {
        Some(capacity) => {
            let left = capacity
                .checked_sub(amount)
                .ok_or(Usd1Error::MintRateExceeded)?;
            minter.capacity = left;
            minter.capacity_at = now;
            Some(left)
        }
        None => None,
    };
    minter.total_minted = minter
        .total_minted
        .checked_add(amount)
        .ok_or(Usd1Error::Overflow)?;
    minter.invariant()?;
    let mut config = accounts.config.load_mut()?;
    config.total_minted = config
        .total_minted
        .checked_add(amount)
        .ok_or(Usd1Error::Overflow)?;
    config.invariant()?;
    require!(
        supply <= config.mintable_ceiling()?,
        Usd1Error::ReserveExceeded
    );

    let event = Minted {
        mint: config.mint,
        minter: minter.minter,
        destination: accounts.destination.key(),
        amount,
        supply,
        allowance_remaining: minter.allowance,
        attestation_seq: config.latest.seq,
        reserve_amount: config.latest.reserve_amount,
        margin_bps: config.margin_bps,
        capacity_remaining,
    };
    drop(config);
    publish!(ctx, event);
    Ok(())
}
