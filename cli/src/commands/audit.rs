//! `usd1 audit --mint MINT`: replay the mint's transactions and re-verify every
//! attestation and mint without trusting the program. Exits non-zero, naming
//! each violation, if any rule was ever broken.
use std::fmt;

use anyhow::Result;
use serde::Serialize;
use usd1_client::audit::audit;

use crate::commands::MintArg;
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub mint: MintArg,
}

#[derive(Debug, Serialize)]
pub struct ViolationView {
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub mint: String,
    pub transactions: usize,
    pub attestations: u64,
    pub mints: u64,
    /// The latest attestation the replay reached, and the one the config holds.
    pub replayed_seq: u64,
    pub on_chain_seq: u64,
    pub clean: bool,
    pub violations: Vec<ViolationView>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Audited {} transactions of {}: {} attestations, {} mints",
            self.transactions, self.mint, self.attestations, self.mints
        )?;
        writeln!(
            f,
            "Replayed up to attestation #{} (config holds #{})",
            self.replayed_seq, self.on_chain_seq
        )?;
        if self.clean {
            return write!(f, "No violations.");
        }
        write!(f, "{} violation(s):", self.violations.len())?;
        for v in &self.violations {
            write!(f, "\n  {}", v.detail)?;
        }
        Ok(())
    }
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let on_chain_seq = usd1.config().await?.latest.seq;
    let history = usd1.ledger().history(&usd1.config_address()).await?;
    let found = audit(&usd1.mint(), &history);
    let mut violations: Vec<ViolationView> = found
        .violations
        .iter()
        .map(|v| ViolationView {
            kind: v.kind().to_string(),
            detail: v.to_string(),
        })
        .collect();
    if found.latest_seq != on_chain_seq {
        violations.push(ViolationView {
            kind: "HistoryIncomplete".into(),
            detail: format!(
                "HistoryIncomplete: the replay reached attestation #{}, the config holds #{on_chain_seq}",
                found.latest_seq
            ),
        });
    }
    let report = Report {
        mint: usd1.mint().to_string(),
        transactions: found.transactions,
        attestations: found.attestations,
        mints: found.mints,
        replayed_seq: found.latest_seq,
        on_chain_seq,
        clean: violations.is_empty(),
        violations,
    };
    let failed = !report.clean;
    Ok(Output::new(&report).failing(failed))
}
