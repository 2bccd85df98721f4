//! `burn`: an enabled minter burns tokens from its own account through the
//! program, so the burn is on the record with an event. (Holders can always
//! burn directly through the token program.)
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, TokenAccount, TokenInterface};

use crate::errors::Usd1Error;
use crate::events::{publish, Burned};
use crate::instructions::refuse_remaining_accounts;
use crate::state::{Config, MinterAllowance};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BurnArgs {
    /// Base units.
    pub amount: u64,
}

#[event_cpi]
#[derive(Accounts)]
pub struct Burn<'info> {
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
        constraint = source.mint == mint.key() @ Usd1Error::WrongMint,
        constraint = source.owner == minter.key() @ Usd1Error::WrongTokenOwner,
        token::token_program = token_program,
    )]
    pub source: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl Burn<'_> {
    pub fn validate(ctx: &Context<Self>, args: &BurnArgs) -> Result<()> {
        let amount = args.amount;
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require!(
            ctx.accounts.minter_allowance.is_enabled(),
            Usd1Error::MinterDisabled
        );
        require!(amount > 0, Usd1Error::ZeroAmount);
        Ok(())
    }
}

pub fn handler(ctx: Context<Burn>, args: BurnArgs) -> Result<()> {
    let BurnArgs { amount } = args;
    let accounts = &mut *ctx.accounts;
    let expected_supply = super::supply_now(&accounts.mint)?
        .checked_sub(amount)
        .ok_or(Usd1Error::Overflow)?;
    token_interface::burn(
        CpiContext::new(
            accounts.token_program.key(),
            token_interface::Burn {
                mint: accounts.mint.to_account_info(),
                from: accounts.source.to_account_info(),
                authority: accounts.minter.to_account_info(),
            },
        ),
        amount,
    )?;
    let supply = super::supply_now(&accounts.mint)?;
    require!(supply == expected_supply, Usd1Error::SupplyMismatch);

    let minter = &mut accounts.minter_allowance;
    minter.total_burned = minter
        .total_burned
        .checked_add(amount)
        .ok_or(Usd1Error::Overflow)?;
    minter.invariant()?;
    let mut config = accounts.config.load_mut()?;
    config.total_burned = config
        .total_burned
        .checked_add(amount)
        .ok_or(Usd1Error::Overflow)?;
    config.invariant()?;

    let event = Burned {
        mint: config.mint,
        minter: minter.minter,
        source: accounts.source.key(),
        amount,
        supply,
    };
    drop(config);
    publish!(ctx, event);
    Ok(())
}
