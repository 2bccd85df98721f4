//! `Disclosure`: PDA `["disclosure", config]`, what a holder is entitled to know,
//! published by the admin next to the token.
use anchor_lang::prelude::*;

use crate::constants::{
    MAX_DISCLOSURE_URI_LEN, MAX_LEGAL_NAME_LEN, MAX_REDEMPTION_FEE_BPS, MAX_SETTLEMENT_TARGET_SECS,
    NOT_INSURED_STATEMENT, NOT_INSURED_STATEMENT_LEN, PAUSE_STATEMENT_DEFAULT, PAUSE_STATEMENT_LEN,
    PAUSE_STATEMENT_PAUSABLE,
};
use crate::errors::Usd1Error;

#[account]
#[derive(InitSpace, Debug)]
pub struct Disclosure {
    pub bump: u8,
    pub config: Pubkey,
    /// Bumped on every publication.
    pub version: u32,
    /// Unix seconds of the latest publication.
    pub updated_at: i64,
    #[max_len(MAX_LEGAL_NAME_LEN)]
    pub legal_name: String,
    #[max_len(MAX_DISCLOSURE_URI_LEN)]
    pub terms_uri: String,
    /// SHA-256 of the terms document at `terms_uri`.
    pub terms_sha256: [u8; 32],
    /// Smallest redemption (base units).
    pub min_redemption: u64,
    /// Fee on redemptions (basis points).
    pub redemption_fee_bps: u16,
    /// Seconds within which the issuer aims to settle a redemption.
    pub settlement_target_secs: i64,
    #[max_len(MAX_DISCLOSURE_URI_LEN)]
    pub reserve_report_uri: String,
    /// Always `NOT_INSURED_STATEMENT`, written by the program.
    #[max_len(NOT_INSURED_STATEMENT_LEN)]
    pub not_insured_statement: String,
    /// What a pause does to holders on this mint, written by the program from
    /// the mint's options (`pause_statement`).
    #[max_len(PAUSE_STATEMENT_LEN)]
    pub pause_statement: String,
}

impl Disclosure {
    pub fn invariant(&self) -> Result<()> {
        require!(
            !self.legal_name.is_empty() && self.legal_name.len() <= MAX_LEGAL_NAME_LEN,
            Usd1Error::InvalidLegalName
        );
        for uri in [&self.terms_uri, &self.reserve_report_uri] {
            require!(
                !uri.is_empty() && uri.len() <= MAX_DISCLOSURE_URI_LEN,
                Usd1Error::InvalidDisclosureUri
            );
        }
        require!(
            self.redemption_fee_bps <= MAX_REDEMPTION_FEE_BPS,
            Usd1Error::FeeTooHigh
        );
        require!(
            self.settlement_target_secs > 0
                && self.settlement_target_secs <= MAX_SETTLEMENT_TARGET_SECS,
            Usd1Error::InvalidSettlementTarget
        );
        require!(
            self.not_insured_statement == NOT_INSURED_STATEMENT,
            Usd1Error::StatementAltered
        );
        require!(
            self.pause_statement == PAUSE_STATEMENT_PAUSABLE
                || self.pause_statement == PAUSE_STATEMENT_DEFAULT,
            Usd1Error::StatementAltered
        );
        Ok(())
    }
}
