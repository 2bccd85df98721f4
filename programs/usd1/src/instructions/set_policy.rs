//! `set_policy`: the admin sets how old an attestation may be for minting,
//! the safety margin kept below the attested reserve, and how long after its
//! as_of a signed attestation may still be submitted.
use anchor_lang::prelude::*;

use crate::constants::{BPS_DENOMINATOR, MAX_ATTESTATION_AGE_LIMIT, MAX_SUBMISSION_DELAY_LIMIT};
use crate::errors::Usd1Error;
use crate::events::{publish, PolicyChanged};
use crate::instructions::refuse_remaining_accounts;
use crate::state::Config;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicyArgs {
    /// Seconds; unchanged when `None`.
    pub max_attestation_age: Option<i64>,
    /// Basis points; unchanged when `None`.
    pub margin_bps: Option<u16>,
    /// Seconds after its `as_of` an attestation may still be submitted; unchanged when `None`.
    pub max_submission_delay: Option<i64>,
}

#[event_cpi]
#[derive(Accounts)]
pub struct SetPolicy<'info> {
    pub admin: Signer<'info>,
    #[account(
        mut,
        has_one = admin @ Usd1Error::NotAdmin,
    )]
    pub config: AccountLoader<'info, Config>,
}

impl SetPolicy<'_> {
    pub fn validate(ctx: &Context<Self>, args: &PolicyArgs) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        if let Some(age) = args.max_attestation_age {
            require!(
                age > 0 && age <= MAX_ATTESTATION_AGE_LIMIT,
                Usd1Error::InvalidMaxAge
            );
        }
        if let Some(margin) = args.margin_bps {
            require!(margin <= BPS_DENOMINATOR, Usd1Error::InvalidMargin);
        }
        if let Some(delay) = args.max_submission_delay {
            require!(
                delay > 0 && delay <= MAX_SUBMISSION_DELAY_LIMIT,
                Usd1Error::InvalidSubmissionDelay
            );
        }
        let config = ctx.accounts.config.load()?;
        let age_changes = args
            .max_attestation_age
            .is_some_and(|age| age != config.max_attestation_age);
        let margin_changes = args.margin_bps.is_some_and(|m| m != config.margin_bps);
        let delay_changes = args
            .max_submission_delay
            .is_some_and(|d| d != config.max_submission_delay);
        require!(
            age_changes || margin_changes || delay_changes,
            Usd1Error::NoChange
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<SetPolicy>, args: PolicyArgs) -> Result<()> {
    let mut config = ctx.accounts.config.load_mut()?;
    if let Some(age) = args.max_attestation_age {
        config.max_attestation_age = age;
    }
    if let Some(margin) = args.margin_bps {
        config.margin_bps = margin;
    }
    if let Some(delay) = args.max_submission_delay {
        config.max_submission_delay = delay;
    }
    config.invariant()?;
    let (mint, admin) = (config.mint, config.admin);
    let (max_attestation_age, margin_bps) = (config.max_attestation_age, config.margin_bps);
    let max_submission_delay = config.max_submission_delay;
    publish!(
        ctx,
        PolicyChanged {
            mint,
            admin,
            max_attestation_age,
            margin_bps,
            max_submission_delay,
        }
    );
    Ok(())
}
