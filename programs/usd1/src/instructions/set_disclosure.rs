//! `set_disclosure`: the admin publishes (or updates) what a holder is entitled
//! to know: issuer, terms and their hash, redemption policy, reserve report,
//! and the program's own statements that the token is not an insured deposit
//! and of what a pause does to holders on this mint.
use anchor_lang::prelude::*;

use crate::constants::{pause_statement, DISCLOSURE_SEED, NOT_INSURED_STATEMENT};
use crate::errors::Usd1Error;
use crate::events::{publish, DisclosureSet};
use crate::instructions::refuse_remaining_accounts;
use crate::pda::{self, NewAccount};
use crate::state::{Config, Disclosure};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct DisclosureArgs {
    pub legal_name: String,
    pub terms_uri: String,
    pub terms_sha256: [u8; 32],
    /// Base units.
    pub min_redemption: u64,
    pub redemption_fee_bps: u16,
    /// Seconds.
    pub settlement_target_secs: i64,
    pub reserve_report_uri: String,
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: DisclosureArgs, disclosure_bump: u8)]
pub struct SetDisclosure<'info> {
    /// Pays for the disclosure account the first time.
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(
        has_one = admin @ Usd1Error::NotAdmin,
    )]
    pub config: AccountLoader<'info, Config>,
    /// The Config's disclosure: read if the program made it, else created
    /// here at the bump the admin passes, which must be the canonical one
    /// (`pda`: no search on any call).
    /// CHECK: address by `seeds` and bump; owner, type by `pda::existing_or_create`.
    #[account(
        mut,
        seeds = [DISCLOSURE_SEED, config.key().as_ref()],
        bump = disclosure_bump,
    )]
    pub disclosure: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

impl SetDisclosure<'_> {
    pub fn validate(ctx: &Context<Self>) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)
    }
}

pub fn handler(
    ctx: Context<SetDisclosure>,
    args: DisclosureArgs,
    disclosure_bump: u8,
) -> Result<()> {
    let (mint, pausable) = {
        let config = ctx.accounts.config.load()?;
        (config.mint, config.options().pausable)
    };
    let config = ctx.accounts.config.key();
    let account = ctx.accounts.disclosure.to_account_info();
    let new = NewAccount {
        payer: &ctx.accounts.admin.to_account_info(),
        account: &account,
    };
    let seeds: [&[u8]; 2] = [DISCLOSURE_SEED, config.as_ref()];
    let space = 8 + Disclosure::INIT_SPACE;
    let previous_version =
        pda::existing_or_create::<Disclosure>(&new, &seeds, disclosure_bump, space)?
            .map_or(0, |current| current.version);
    let version = previous_version.checked_add(1).ok_or(Usd1Error::Overflow)?;
    let disclosure = Disclosure {
        bump: disclosure_bump,
        config,
        version,
        updated_at: Clock::get()?.unix_timestamp,
        legal_name: args.legal_name,
        terms_uri: args.terms_uri,
        terms_sha256: args.terms_sha256,
        min_redemption: args.min_redemption,
        redemption_fee_bps: args.redemption_fee_bps,
        settlement_target_secs: args.settlement_target_secs,
        reserve_report_uri: args.reserve_report_uri,
        not_insured_statement: NOT_INSURED_STATEMENT.to_string(),
        pause_statement: pause_statement(pausable).to_string(),
    };
    // The invariant is the validation: bounded strings, fee and target limits.
    disclosure.invariant()?;
    pda::store(&account, &disclosure)?;

    let event = DisclosureSet {
        mint,
        admin: ctx.accounts.admin.key(),
        version,
        legal_name: disclosure.legal_name,
        terms_uri: disclosure.terms_uri,
        terms_sha256: disclosure.terms_sha256,
        min_redemption: disclosure.min_redemption,
        redemption_fee_bps: disclosure.redemption_fee_bps,
        settlement_target_secs: disclosure.settlement_target_secs,
        reserve_report_uri: disclosure.reserve_report_uri,
    };
    publish!(ctx, event);
    Ok(())
}
