//! `request_redemption`: any holder moves tokens into the program's escrow and
//! gets a `Redemption` record under the published disclosure terms. Allowed
//! while paused, so a pause never traps holders (except where Token-2022's
//! Pausable extension stops every transfer); refused for frozen holders and
//! below the disclosed minimum.
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, TokenAccount, TokenInterface};

use crate::constants::{BPS_DENOMINATOR, REDEMPTION_SEED};
use crate::errors::Usd1Error;
use crate::events::{publish, RedemptionRequested};
use crate::instructions::{check_escrow_covers, refuse_remaining_accounts};
use crate::pda::{self, NewAccount};
use crate::state::{Config, Disclosure, LazyDisclosure, Redemption, RedemptionStatus};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestRedemptionArgs {
    /// Base units moved into escrow.
    pub amount: u64,
    /// SHA-256 of the holder's off-chain payout instructions.
    pub payout_ref_sha256: [u8; 32],
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: RequestRedemptionArgs, redemption_bump: u8)]
pub struct RequestRedemption<'info> {
    /// Owns `source` and pays the rent of the redemption record.
    #[account(mut)]
    pub holder: Signer<'info>,
    #[account(
        mut,
        // `dup`: no other writable account here has this type (instructions/mod.rs).
        dup,
        has_one = mint @ Usd1Error::WrongMint,
        has_one = escrow @ Usd1Error::WrongEscrow,
        has_one = token_program @ Usd1Error::WrongTokenProgram,
    )]
    /// Taken whole (its bytes are plain, so that is a copy, not a decode)
    /// rather than through an `AccountLoader`, so that the IDL can say the
    /// redemption's address is seeded by `config.next_redemption_id`.
    pub config: Box<Account<'info, Config>>,
    /// Read field by field (`LazyAccount`): a request needs two numbers of
    /// it, not its five strings decoded and checked as UTF-8.
    #[account(
        has_one = config @ Usd1Error::WrongConfig,
    )]
    pub disclosure: LazyAccount<'info, Disclosure>,
    /// CHECK: the Config's mint (`has_one = mint`), made at `initialize`;
    /// only the token program reads it, in the CPI.
    pub mint: UncheckedAccount<'info>,
    #[account(
        mut,
        // `dup`: no other writable account here has this type (instructions/mod.rs).
        dup,
        constraint = source.mint == mint.key() @ Usd1Error::WrongMint,
        constraint = source.owner == holder.key() @ Usd1Error::WrongTokenOwner,
        token::token_program = token_program,
    )]
    pub source: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: the Config's redemption escrow (`has_one = escrow`), made at
    /// `initialize`; the token program moves tokens in or out of it in the
    /// CPI, and its amount is read after (`check_escrow_covers`).
    #[account(mut)]
    pub escrow: UncheckedAccount<'info>,
    /// The record this request creates, the holder paying, at the bump the
    /// holder passes, which must be the canonical one (`pda`: no search, and
    /// lamports sent to the address first cannot block it).
    /// CHECK: its address by `seeds` and that bump; `pda::create` makes it.
    #[account(
        mut,
        seeds = [REDEMPTION_SEED, config.key().as_ref(), &config.next_redemption_id.to_le_bytes()],
        bump = redemption_bump,
    )]
    pub redemption: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl RequestRedemption<'_> {
    pub fn validate(ctx: &Context<Self>, args: &RequestRedemptionArgs) -> Result<()> {
        let amount = args.amount;
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        let accounts = &ctx.accounts;
        require!(amount > 0, Usd1Error::ZeroAmount);
        require!(!accounts.source.is_frozen(), Usd1Error::HolderFrozen);
        require!(
            amount >= *accounts.disclosure.load_min_redemption()?,
            Usd1Error::BelowMinimumRedemption
        );
        let config = &accounts.config;
        require!(
            !(config.is_paused() && config.options().pausable),
            Usd1Error::TransfersPaused
        );
        Ok(())
    }
}

/// The disclosed fee on `amount`, rounded down: `amount × fee_bps / 10_000`.
pub fn redemption_fee(amount: u64, fee_bps: u16) -> Result<u64> {
    let fee = u128::from(amount)
        .checked_mul(u128::from(fee_bps))
        .ok_or(Usd1Error::Overflow)?
        .checked_div(u128::from(BPS_DENOMINATOR))
        .ok_or(Usd1Error::Overflow)?;
    u64::try_from(fee).map_err(|_| error!(Usd1Error::Overflow))
}

pub fn handler(
    ctx: Context<RequestRedemption>,
    args: RequestRedemptionArgs,
    redemption_bump: u8,
) -> Result<()> {
    let RequestRedemptionArgs {
        amount,
        payout_ref_sha256,
    } = args;
    let accounts = &mut *ctx.accounts;
    let fee_bps = *accounts.disclosure.load_redemption_fee_bps()?;
    let fee = redemption_fee(amount, fee_bps)?;
    let requested_at = Clock::get()?.unix_timestamp;

    token_interface::transfer_checked(
        CpiContext::new(
            accounts.token_program.key(),
            token_interface::TransferChecked {
                from: accounts.source.to_account_info(),
                mint: accounts.mint.to_account_info(),
                to: accounts.escrow.to_account_info(),
                authority: accounts.holder.to_account_info(),
            },
        ),
        amount,
        accounts.config.decimals,
    )?;

    let config_key = accounts.config.key();
    let config = &mut accounts.config;
    let id = config.open_redemption(amount)?;
    config.invariant()?;
    check_escrow_covers(&accounts.escrow.to_account_info(), config)?;

    let new = NewAccount {
        payer: &accounts.holder.to_account_info(),
        account: &accounts.redemption.to_account_info(),
    };
    let seeds: [&[u8]; 3] = [REDEMPTION_SEED, config_key.as_ref(), &id.to_le_bytes()];
    pda::create(&new, &seeds, redemption_bump, 8 + Redemption::INIT_SPACE)?;
    let redemption = Redemption {
        bump: redemption_bump,
        config: config_key,
        id,
        holder: accounts.holder.key(),
        source: accounts.source.key(),
        amount,
        fee,
        payout_ref_sha256,
        status: RedemptionStatus::Pending,
        requested_at,
        resolved_at: 0,
        settlement_ref_sha256: [0; 32],
        reason_code: 0,
    };
    redemption.invariant()?;
    pda::store(new.account, &redemption)?;

    let event = RedemptionRequested {
        mint: config.mint,
        id,
        holder: redemption.holder,
        source: redemption.source,
        amount,
        fee,
        payout: amount.checked_sub(fee).ok_or(Usd1Error::FeeExceedsAmount)?,
        fee_bps,
        payout_ref_sha256,
        requested_at,
        escrowed: config.escrowed_amount,
    };
    publish!(ctx, event);
    Ok(())
}
