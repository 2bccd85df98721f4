//! `set_attestors`: the admin replaces the attestor set and its threshold M.
//! The live attestation was signed by the old set, so it is retired — mints
//! wait for the new set's first attestation — unless the admin explicitly
//! keeps it (`keep_latest`, e.g. when only adding a key).
use anchor_lang::prelude::*;

use crate::constants::MAX_ATTESTORS;
use crate::errors::Usd1Error;
use crate::events::{publish, AttestorsChanged};
use crate::instructions::refuse_remaining_accounts;
use crate::state::Config;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct SetAttestorsArgs {
    /// The new set, at most `MAX_ATTESTORS` distinct keys.
    pub attestors: Vec<Pubkey>,
    /// M: signatures an attestation needs.
    pub threshold: u8,
    /// Keep the live attestation instead of retiring it.
    pub keep_latest: bool,
}

#[event_cpi]
#[derive(Accounts)]
pub struct SetAttestors<'info> {
    pub admin: Signer<'info>,
    #[account(
        mut,
        has_one = admin @ Usd1Error::NotAdmin,
    )]
    pub config: AccountLoader<'info, Config>,
}

impl SetAttestors<'_> {
    pub fn validate(ctx: &Context<Self>, args: &SetAttestorsArgs) -> Result<()> {
        let (attestors, threshold) = (&args.attestors[..], args.threshold);
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        require!(
            !attestors.is_empty() && attestors.len() <= MAX_ATTESTORS,
            Usd1Error::InvalidAttestorCount
        );
        for (i, key) in attestors.iter().enumerate() {
            require_keys_neq!(*key, Pubkey::default(), Usd1Error::DefaultPubkey);
            require!(!attestors[..i].contains(key), Usd1Error::DuplicateAttestor);
        }
        require!(
            threshold >= 1 && usize::from(threshold) <= attestors.len(),
            Usd1Error::InvalidThreshold
        );
        let config = ctx.accounts.config.load()?;
        require!(
            config.attestors() != attestors || config.threshold != threshold,
            Usd1Error::NoChange
        );
        Ok(())
    }
}

pub fn handler(ctx: Context<SetAttestors>, args: SetAttestorsArgs) -> Result<()> {
    let SetAttestorsArgs {
        attestors,
        threshold,
        keep_latest,
    } = args;
    let mut config = ctx.accounts.config.load_mut()?;
    // The attestation this change takes out of service, if any.
    let retired_seq = if keep_latest || config.is_latest_retired() {
        0
    } else {
        config.latest.seq
    };
    if retired_seq > 0 {
        config.latest_retired = 1;
    }
    let mut set = [Pubkey::default(); MAX_ATTESTORS];
    set[..attestors.len()].copy_from_slice(&attestors);
    config.attestors = set;
    // validate() bounded the length to MAX_ATTESTORS.
    config.attestor_count = u8::try_from(attestors.len()).map_err(|_| Usd1Error::Overflow)?;
    config.threshold = threshold;
    config.attestor_epoch = config
        .attestor_epoch
        .checked_add(1)
        .ok_or(Usd1Error::Overflow)?;
    config.invariant()?;
    let (mint, admin, attestor_epoch) = (config.mint, config.admin, config.attestor_epoch);
    publish!(
        ctx,
        AttestorsChanged {
            mint,
            admin,
            attestors,
            threshold,
            attestor_epoch,
            keep_latest,
            retired_seq
        }
    );
    Ok(())
}
