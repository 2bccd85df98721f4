//! `settle_redemption`: the treasurer records that the dollars were paid and
//! the program burns the escrowed tokens, so supply falls.
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, TokenInterface};

use crate::errors::Usd1Error;
use crate::events::{publish, RedemptionSettled};
use crate::instructions::{check_escrow_covers, refuse_remaining_accounts};
use crate::state::{Config, Redemption, RedemptionStatus};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettleRedemptionArgs {
    /// SHA-256 of the off-chain payment's reference.
    pub settlement_ref_sha256: [u8; 32],
}

#[event_cpi]
#[derive(Accounts)]
pub struct SettleRedemption<'info> {
    pub treasurer: Signer<'info>,
    #[account(
        mut,
        has_one = treasurer @ Usd1Error::NotTreasurer,
        has_one = mint @ Usd1Error::WrongMint,
        has_one = escrow @ Usd1Error::WrongEscrow,
        has_one = token_program @ Usd1Error::WrongTokenProgram,
    )]
    pub config: AccountLoader<'info, Config>,
    /// CHECK: the Config's mint (`has_one = mint`), made at `initialize`;
    /// only the token program reads or writes it, in the CPI.
    #[account(mut)]
    pub mint: UncheckedAccount<'info>,
    /// CHECK: the Config's redemption escrow (`has_one = escrow`), made at
    /// `initialize`; the token program moves tokens in or out of it in the
    /// CPI, and its amount is read after (`check_escrow_covers`).
    #[account(mut)]
    pub escrow: UncheckedAccount<'info>,
    #[account(
        mut,
        // `dup`: no other writable account here has this type (instructions/mod.rs).
        dup,
        has_one = config @ Usd1Error::WrongConfig,
    )]
    pub redemption: Box<Account<'info, Redemption>>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl SettleRedemption<'_> {
    pub fn validate(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require!(!ctx.accounts.config.load()?.is_paused(), Usd1Error::Paused);
        require!(
            ctx.accounts.redemption.status == RedemptionStatus::Pending,
            Usd1Error::RedemptionNotPending
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<SettleRedemption>, args: SettleRedemptionArgs) -> Result<()> {
    let SettleRedemptionArgs {
        settlement_ref_sha256,
    } = args;
    let accounts = &mut *ctx.accounts;
    let amount = accounts.redemption.amount;
    let expected_supply = super::supply_now(&accounts.mint)?
        .checked_sub(amount)
        .ok_or(Usd1Error::Overflow)?;
    let config_signer = accounts.config.load()?.signer();
    let seeds = config_signer.seeds();
    token_interface::burn(
        CpiContext::new_with_signer(
            accounts.token_program.key(),
            token_interface::Burn {
                mint: accounts.mint.to_account_info(),
                from: accounts.escrow.to_account_info(),
                authority: accounts.config.to_account_info(),
            },
            &[&seeds],
        ),
        amount,
    )?;
    let supply = super::supply_now(&accounts.mint)?;
    require!(supply == expected_supply, Usd1Error::SupplyMismatch);

    let mut config = accounts.config.load_mut()?;
    config.close_redemption(amount, true)?;
    config.invariant()?;
    check_escrow_covers(&accounts.escrow.to_account_info(), &config)?;

    let settled_at = Clock::get()?.unix_timestamp;
    let redemption = &mut accounts.redemption;
    redemption.resolve(RedemptionStatus::Settled, settled_at)?;
    redemption.settlement_ref_sha256 = settlement_ref_sha256;

    let event = RedemptionSettled {
        mint: config.mint,
        id: redemption.id,
        treasurer: accounts.treasurer.key(),
        holder: redemption.holder,
        amount,
        fee: redemption.fee,
        payout: amount
            .checked_sub(redemption.fee)
            .ok_or(Usd1Error::Overflow)?,
        settlement_ref_sha256,
        requested_at: redemption.requested_at,
        settled_at: redemption.resolved_at,
        supply,
        escrowed: config.escrowed_amount,
    };
    drop(config);
    publish!(ctx, event);
    Ok(())
}
