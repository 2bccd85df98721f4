//! `usd1 attestations --mint MINT`: the attestations kept on-chain in the ring
//! buffer (the most recent 64), newest first.
use std::fmt;

use anyhow::Result;
use serde::Serialize;
use usd1_client::accounts::history_newest_first;
use usd1_client::format_amount;

use usd1_client::hex;

use crate::commands::MintArg;
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub mint: MintArg,
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub seq: u64,
    pub reserve: String,
    pub as_of: i64,
    pub attested_at: i64,
    pub slot: u64,
    pub report_sha256: String,
    pub attestor_epoch: u32,
    pub signers: u8,
}

#[derive(Debug, Serialize)]
pub struct Attestations {
    /// Attestations ever recorded; only the newest 64 are listed.
    pub total: u64,
    pub attestations: Vec<Entry>,
}

impl fmt::Display for Attestations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.attestations.is_empty() {
            return write!(f, "No attestations yet");
        }
        write!(
            f,
            "{:>6}  {:>22}  {:>11}  {:>11}  {:>7}  REPORT SHA-256",
            "SEQ", "RESERVE", "AS OF", "RECORDED", "SIGNERS"
        )?;
        for e in &self.attestations {
            write!(
                f,
                "\n{:>6}  {:>22}  {:>11}  {:>11}  {:>7}  {}",
                e.seq,
                usd1_client::dollars(&e.reserve),
                e.as_of,
                e.attested_at,
                e.signers,
                e.report_sha256
            )?;
        }
        if self.total > self.attestations.len() as u64 {
            write!(
                f,
                "\n({} older attestations are in the transaction history)",
                self.total - self.attestations.len() as u64
            )?;
        }
        Ok(())
    }
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let decimals = usd1.decimals();
    let history = usd1.history().await?;
    let attestations = history_newest_first(&history)
        .into_iter()
        .map(|r| Entry {
            seq: r.seq,
            reserve: format_amount(r.reserve_amount, decimals),
            as_of: r.as_of,
            attested_at: r.attested_at,
            slot: r.slot,
            report_sha256: hex(&r.report_sha256),
            attestor_epoch: r.attestor_epoch,
            signers: r.signer_count,
        })
        .collect();
    Ok(Output::new(&Attestations {
        total: history.count,
        attestations,
    }))
}
