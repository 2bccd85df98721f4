//! `attest`: records a reserve figure signed by at least M registered attestors.
//!
//! The transaction carries, immediately before this instruction, one Ed25519
//! program instruction with K ≥ M signatures over the attestation digest. The
//! runtime verifies those signatures; this instruction checks that they are the
//! right bytes, by the right keys, enough of them, and inside that instruction.
//! Its accounts are kept to the minimum so that a 7-of-N attestation still fits
//! in one legacy transaction.
use anchor_lang::compat::solana_instructions_sysvar::{
    load_current_index_checked, load_instruction_at_checked, ID as INSTRUCTIONS_SYSVAR_ID,
};
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{get_stack_height, TRANSACTION_LEVEL_STACK_HEIGHT};

use crate::attestation;
use crate::constants::{ED25519_PROGRAM_ID, MAX_FUTURE_SKEW_SECS};
use crate::errors::Usd1Error;
use crate::events::{publish, ReserveAttested};
use crate::instructions::refuse_remaining_accounts;
use crate::state::{AttestationHistory, AttestationRecord, Config};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttestArgs {
    pub seq: u64,
    /// Token base units.
    pub reserve_amount: u64,
    /// Unix seconds.
    pub as_of: i64,
    pub report_sha256: [u8; 32],
}

#[event_cpi]
#[derive(Accounts)]
pub struct Attest<'info> {
    #[account(mut)]
    pub config: AccountLoader<'info, Config>,
    #[account(
        mut,
        has_one = config @ Usd1Error::WrongConfig,
    )]
    pub history: AccountLoader<'info, AttestationHistory>,
    /// CHECK: the instructions sysvar, checked by address.
    #[account(address = INSTRUCTIONS_SYSVAR_ID @ Usd1Error::WrongInstructionsSysvar)]
    pub instructions: UncheckedAccount<'info>,
}

impl Attest<'_> {
    pub fn validate(ctx: &Context<Self>, args: &AttestArgs) -> Result<()> {
        refuse_remaining_accounts(ctx.remaining_accounts)?;
        let config = ctx.accounts.config.load()?;
        require!(config.attestor_count > 0, Usd1Error::NoAttestors);
        let next = config
            .latest
            .seq
            .checked_add(1)
            .ok_or(Usd1Error::Overflow)?;
        require!(args.seq == next, Usd1Error::InvalidSequence);
        require!(
            config.latest.seq == 0 || args.as_of > config.latest.as_of,
            Usd1Error::AttestationNotNewer
        );
        let now = Clock::get()?.unix_timestamp;
        let latest_allowed = now
            .checked_add(MAX_FUTURE_SKEW_SECS)
            .ok_or(Usd1Error::Overflow)?;
        require!(args.as_of <= latest_allowed, Usd1Error::AttestationInFuture);
        let oldest_allowed = now
            .checked_sub(config.max_submission_delay)
            .ok_or(Usd1Error::Overflow)?;
        require!(args.as_of >= oldest_allowed, Usd1Error::AttestationExpired);
        Ok(())
    }

    /// The attestors that signed, as (bitmap over the current set, signer keys).
    fn verified_signers(&self, args: &AttestArgs) -> Result<(u8, Vec<Pubkey>)> {
        // The instructions sysvar names the *top-level* instruction being
        // executed: reached through a CPI, "the one before" would be the one
        // before the caller. Anyone who saw the signatures could then land
        // them first inside a wrapper, where the auditor does not look.
        require!(
            get_stack_height() == TRANSACTION_LEVEL_STACK_HEIGHT,
            Usd1Error::AttestationViaCpi
        );
        let sysvar = self.instructions.to_account_info();
        let current = load_current_index_checked(&sysvar)?;
        let own_index = current
            .checked_sub(1)
            .ok_or(Usd1Error::MissingEd25519Instruction)?;
        let ed25519 = load_instruction_at_checked(usize::from(own_index), &sysvar)?;
        require_keys_eq!(
            ed25519.program_id,
            ED25519_PROGRAM_ID,
            Usd1Error::MissingEd25519Instruction
        );
        let config = self.config.load()?;
        let digest = attestation::digest(
            &crate::ID,
            &config.mint,
            args.seq,
            args.reserve_amount,
            args.as_of,
            &args.report_sha256,
        );
        let signers = attestation::signers_of(&ed25519.data, own_index, &digest)?;
        let mut bitmap = 0u8;
        for signer in &signers {
            let index = config
                .attestor_index(signer)
                .ok_or(Usd1Error::UnknownAttestor)?;
            let bit = 1u8
                .checked_shl(u32::try_from(index).map_err(|_| Usd1Error::Overflow)?)
                .ok_or(Usd1Error::Overflow)?;
            require!(bitmap & bit == 0, Usd1Error::DuplicateSignature);
            bitmap |= bit;
        }
        require!(
            bitmap.count_ones() >= u32::from(config.threshold),
            Usd1Error::ThresholdNotMet
        );
        Ok((bitmap, signers))
    }
}

pub fn handler(ctx: Context<Attest>, args: AttestArgs) -> Result<()> {
    let (signer_bitmap, signers) = ctx.accounts.verified_signers(&args)?;
    let clock = Clock::get()?;
    let mut config = ctx.accounts.config.load_mut()?;
    let record = AttestationRecord {
        seq: args.seq,
        reserve_amount: args.reserve_amount,
        as_of: args.as_of,
        attested_at: clock.unix_timestamp,
        slot: clock.slot,
        report_sha256: args.report_sha256,
        attestor_epoch: config.attestor_epoch,
        signer_bitmap,
        // At most MAX_ATTESTORS bits are set.
        signer_count: u8::try_from(signer_bitmap.count_ones()).map_err(|_| Usd1Error::Overflow)?,
        _padding: [0; 2],
    };
    config.latest = record;
    config.latest_retired = 0;
    config.invariant()?;
    let mut history = ctx.accounts.history.load_mut()?;
    history.push(record)?;
    history.invariant(&config)?;
    drop(history);

    let (mint, attestor_epoch) = (config.mint, config.attestor_epoch);
    publish!(
        ctx,
        ReserveAttested {
            mint,
            seq: args.seq,
            reserve_amount: args.reserve_amount,
            as_of: args.as_of,
            report_sha256: args.report_sha256,
            attestor_epoch,
            signers,
        }
    );
    Ok(())
}
