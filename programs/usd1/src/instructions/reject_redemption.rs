//! `reject_redemption`: the treasurer declines a request (with a reason code)
//! and the program returns the escrowed tokens to the account they came from.
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface};

use crate::constants::{CONFIG_SEED, ESCROW_SEED, REDEMPTION_SEED};
use crate::errors::Usd1Error;
use crate::events::RedemptionRejected;
use crate::instructions::{check_escrow_covers, refuse_remaining_accounts};
use crate::state::{Config, Redemption, RedemptionStatus};

#[event_cpi]
#[derive(Accounts)]
pub struct RejectRedemption<'info> {
    pub treasurer: Signer<'info>,
    #[account(
        mut,
        seeds = [CONFIG_SEED, config.mint.as_ref()],
        bump = config.bump,
        has_one = treasurer @ Usd1Error::NotTreasurer,
        has_one = mint @ Usd1Error::WrongMint,
        has_one = token_program @ Usd1Error::WrongTokenProgram,
    )]
    pub config: Box<Account<'info, Config>>,
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        mut,
        seeds = [ESCROW_SEED, config.key().as_ref()],
        bump = config.escrow_bump,
    )]
    pub escrow: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        mut,
        seeds = [REDEMPTION_SEED, config.key().as_ref(), &redemption.id.to_le_bytes()],
        bump = redemption.bump,
        has_one = config @ Usd1Error::WrongConfig,
    )]
    pub redemption: Box<Account<'info, Redemption>>,
    #[account(
        mut,
        address = redemption.source @ Usd1Error::WrongRefundAccount,
    )]
    pub refund_to: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl RejectRedemption<'_> {
    pub fn validate(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        let accounts = &ctx.accounts;
        require!(
            accounts.redemption.status == RedemptionStatus::Pending,
            Usd1Error::RedemptionNotPending
        );
        let config = &accounts.config;
        require!(
            !(config.paused && config.options.pausable),
            Usd1Error::TransfersPaused
        );
        require!(
            !accounts.refund_to.is_frozen(),
            Usd1Error::DestinationFrozen
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<RejectRedemption>, reason_code: u16) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let amount = accounts.redemption.amount;
    let seeds = accounts.config.signer_seeds();
    token_interface::transfer_checked(
        CpiContext::new_with_signer(
            accounts.token_program.key(),
            token_interface::TransferChecked {
                from: accounts.escrow.to_account_info(),
                mint: accounts.mint.to_account_info(),
                to: accounts.refund_to.to_account_info(),
                authority: accounts.config.to_account_info(),
            },
            &[&seeds],
        ),
        amount,
        accounts.mint.decimals,
    )?;

    let config = &mut accounts.config;
    config.close_redemption(amount, false)?;
    config.invariant()?;
    check_escrow_covers(&mut accounts.escrow, config)?;

    let rejected_at = Clock::get()?.unix_timestamp;
    let redemption = &mut accounts.redemption;
    redemption.resolve(RedemptionStatus::Rejected, rejected_at)?;
    redemption.reason_code = reason_code;

    let event = RedemptionRejected {
        mint: config.mint,
        id: redemption.id,
        treasurer: accounts.treasurer.key(),
        holder: redemption.holder,
        refunded_to: redemption.source,
        amount,
        reason_code,
        requested_at: redemption.requested_at,
        rejected_at: redemption.resolved_at,
        escrowed: config.escrowed_amount,
    };
    emit_cpi!(event);
    Ok(())
}
