//! `usd1 status --mint MINT`: supply, reserve, coverage, attestation age,
//! pause, roles, policy, options, redemptions and the disclosure.
use std::fmt;

use anyhow::Result;
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use usd1_client::{format_amount, hex, ClientError};

use crate::commands::MintArg;
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub mint: MintArg,
    /// Also show this minter's allowance and rate limit.
    #[arg(long, value_parser = crate::parse_pubkey)]
    pub minter: Option<solana_sdk::pubkey::Pubkey>,
}

/// One minter's limits, as `usd1 status --minter` shows them.
#[derive(Debug, Serialize)]
pub struct MinterView {
    pub minter: String,
    pub enabled: bool,
    pub allowance: String,
    /// 0: no rate limit.
    pub window_secs: u32,
    pub window_cap: String,
    /// What it may mint now under the rate limit; `None` without one.
    pub capacity_now: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Attestation {
    pub seq: u64,
    pub reserve: String,
    pub as_of: i64,
    pub age_secs: i64,
    pub fresh: bool,
    pub signers: u8,
}

#[derive(Debug, Serialize)]
pub struct DisclosureView {
    pub version: u32,
    pub legal_name: String,
    pub terms_uri: String,
    pub terms_sha256: String,
    pub min_redemption: String,
    pub redemption_fee_bps: u16,
    pub settlement_target_secs: i64,
    pub reserve_report_uri: String,
    pub statement: String,
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub mint: String,
    pub token_program: String,
    pub decimals: u8,
    pub supply: String,
    pub reserve: Option<String>,
    pub mintable_ceiling: Option<String>,
    /// Reserve as a percentage of supply, two decimals, rounded down.
    pub coverage_percent: Option<String>,
    pub attestation: Option<Attestation>,
    pub paused: bool,
    pub admin: String,
    pub pending_admin: Option<String>,
    pub pauser: String,
    pub freezer: String,
    pub treasurer: String,
    pub attestors: Vec<String>,
    pub threshold: u8,
    pub max_attestation_age_secs: i64,
    pub margin_bps: u16,
    pub max_submission_delay_secs: i64,
    pub default_frozen: bool,
    pub permanent_delegate: bool,
    pub pausable: bool,
    pub pending_redemptions: u64,
    pub escrowed: String,
    pub total_redeemed: String,
    pub disclosure: Option<DisclosureView>,
    pub minter: Option<MinterView>,
}

/// `reserve / supply` in percent with two decimals, rounded down.
pub fn coverage(reserve: u64, supply: u64) -> Option<String> {
    usd1_client::transparency::coverage_bps(reserve, supply)
        .map(usd1_client::transparency::bps_as_percent)
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let config = usd1.config().await?;
    let supply = usd1.mint_info().await?.supply;
    let d = config.decimals;
    let now = usd1.ledger().unix_timestamp().await?;
    let attested = config.latest.seq > 0;
    let attestation = attested.then(|| Attestation {
        seq: config.latest.seq,
        reserve: format_amount(config.latest.reserve_amount, d),
        as_of: config.latest.as_of,
        age_secs: now - config.latest.as_of,
        fresh: now - config.latest.as_of <= config.max_attestation_age,
        signers: config.latest.signer_count,
    });
    let disclosure = match usd1.disclosure().await {
        Ok(x) => Some(DisclosureView {
            version: x.version,
            legal_name: x.legal_name,
            terms_uri: x.terms_uri,
            terms_sha256: hex(&x.terms_sha256),
            min_redemption: format_amount(x.min_redemption, d),
            redemption_fee_bps: x.redemption_fee_bps,
            settlement_target_secs: x.settlement_target_secs,
            reserve_report_uri: x.reserve_report_uri,
            statement: x.not_insured_statement,
        }),
        Err(ClientError::AccountNotFound(_)) => None,
        Err(other) => return Err(other.into()),
    };
    let key = |k: Pubkey| k.to_string();
    let status = Status {
        mint: key(config.mint),
        token_program: key(config.token_program),
        decimals: d,
        supply: format_amount(supply, d),
        reserve: attested.then(|| format_amount(config.latest.reserve_amount, d)),
        mintable_ceiling: if attested {
            Some(format_amount(config.mintable_ceiling()?, d))
        } else {
            None
        },
        coverage_percent: if attested {
            coverage(config.latest.reserve_amount, supply)
        } else {
            None
        },
        attestation,
        paused: config.is_paused(),
        admin: key(config.admin),
        pending_admin: (config.pending_admin != Pubkey::default())
            .then(|| key(config.pending_admin)),
        pauser: key(config.pauser),
        freezer: key(config.freezer),
        treasurer: key(config.treasurer),
        attestors: config.attestors().iter().map(|k| key(*k)).collect(),
        threshold: config.threshold,
        max_attestation_age_secs: config.max_attestation_age,
        margin_bps: config.margin_bps,
        max_submission_delay_secs: config.max_submission_delay,
        default_frozen: config.options().default_frozen,
        permanent_delegate: config.options().permanent_delegate,
        pausable: config.options().pausable,
        pending_redemptions: config.pending_redemptions,
        escrowed: format_amount(config.escrowed_amount, d),
        total_redeemed: format_amount(config.total_redeemed, d),
        disclosure,
        minter: match args.minter {
            Some(key) => {
                let record = usd1.minter_allowance(&key).await?;
                let capacity = record
                    .capacity_now(now)
                    .map_err(|e| anyhow::anyhow!("minter {key}: {e}"))?;
                Some(MinterView {
                    minter: key.to_string(),
                    enabled: record.is_enabled(),
                    allowance: format_amount(record.allowance, d),
                    window_secs: record.window_secs,
                    window_cap: format_amount(record.window_cap, d),
                    capacity_now: capacity.map(|c| format_amount(c, d)),
                })
            }
            None => None,
        },
    };
    Ok(Output::new(&status))
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let none = || "none".to_string();
        writeln!(
            f,
            "Mint:              {} ({} decimals)",
            self.mint, self.decimals
        )?;
        writeln!(f, "Token program:     {}", self.token_program)?;
        let dollars = |amount: &str| usd1_client::dollars(amount);
        writeln!(f, "Supply:            {}", dollars(&self.supply))?;
        writeln!(
            f,
            "Reserve:           {}",
            self.reserve.as_deref().map_or_else(none, dollars)
        )?;
        writeln!(
            f,
            "Mintable up to:    {}",
            self.mintable_ceiling.as_deref().map_or_else(none, dollars)
        )?;
        writeln!(
            f,
            "Coverage:          {}",
            self.coverage_percent
                .as_ref()
                .map(|c| format!("{c}%"))
                .unwrap_or_else(none)
        )?;
        match &self.attestation {
            Some(a) => writeln!(
                f,
                "Attestation:       #{} as of {} ({} s ago, {}), {} signatures",
                a.seq,
                a.as_of,
                a.age_secs,
                if a.fresh { "fresh" } else { "STALE" },
                a.signers
            )?,
            None => writeln!(f, "Attestation:       none yet")?,
        }
        writeln!(f, "Paused:            {}", self.paused)?;
        writeln!(f, "Admin:             {}", self.admin)?;
        if let Some(pending) = &self.pending_admin {
            writeln!(f, "Pending admin:     {pending}")?;
        }
        writeln!(f, "Pauser:            {}", self.pauser)?;
        writeln!(f, "Freezer:           {}", self.freezer)?;
        writeln!(f, "Treasurer:         {}", self.treasurer)?;
        writeln!(
            f,
            "Attestors:         {} of {}",
            self.threshold,
            self.attestors.len()
        )?;
        for attestor in &self.attestors {
            writeln!(f, "                   {attestor}")?;
        }
        writeln!(
            f,
            "Policy:            max age {} s, margin {} bps, submitted within {} s of as-of",
            self.max_attestation_age_secs, self.margin_bps, self.max_submission_delay_secs
        )?;
        writeln!(
            f,
            "Options:           default-frozen {}, permanent-delegate {}, pausable {}",
            self.default_frozen, self.permanent_delegate, self.pausable
        )?;
        write!(
            f,
            "Redemptions:       {} pending ({} escrowed), {} redeemed",
            self.pending_redemptions,
            dollars(&self.escrowed),
            dollars(&self.total_redeemed)
        )?;
        match &self.disclosure {
            Some(d) => write!(
                f,
                "\nIssuer:            {}\nTerms:             {} (sha256 {})\nRedemption:        minimum {}, fee {} bps, settled within {} s\nReserve report:    {}\n{}",
                d.legal_name,
                d.terms_uri,
                d.terms_sha256,
                dollars(&d.min_redemption),
                d.redemption_fee_bps,
                d.settlement_target_secs,
                d.reserve_report_uri,
                d.statement
            ),
            None => write!(f, "\nDisclosure:        not published"),
        }?;
        if let Some(m) = &self.minter {
            let rate = match &m.capacity_now {
                Some(now) => format!(
                    "up to {} per {} s, {} available now",
                    dollars(&m.window_cap),
                    m.window_secs,
                    dollars(now)
                ),
                None => "no rate limit".to_string(),
            };
            write!(
                f,
                "\nMinter:            {} ({}), allowance {}, {rate}",
                m.minter,
                if m.enabled { "enabled" } else { "removed" },
                dollars(&m.allowance)
            )?;
        }
        Ok(())
    }
}
