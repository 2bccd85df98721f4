//! `usd1 audit --mint MINT`: replay the mint's transactions and re-verify every
//! attestation and mint without trusting the program, then check where the
//! replay ends against the chain now (attestors, threshold, policy, supply,
//! open redemptions and escrow). Exits non-zero, naming each violation, if
//! any rule was ever broken.
use std::fmt;

use anyhow::Result;
use serde::Serialize;
use usd1_client::audit::audit_chain;
use usd1_client::format_wide_amount;

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
    /// Transactions that touched the program.
    pub transactions: usize,
    pub attestations: u64,
    pub mints: u64,
    /// The latest attestation the replay reached, and the one the config holds.
    pub replayed_seq: u64,
    pub on_chain_seq: u64,
    /// Supply as replayed from mints, burns and settled redemptions, before
    /// holders' own burns (base units, as a decimal string).
    pub replayed_supply: String,
    /// Tokens in the escrow beyond the open requests (sent there outside a request).
    pub escrow_surplus: String,
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
        if self.escrow_surplus != "0" {
            writeln!(
                f,
                "The escrow holds {} more than the open requests (sent there outside a request)",
                self.escrow_surplus
            )?;
        }
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
    let found = audit_chain(&usd1).await?;
    let on_chain_seq = usd1.config().await?.latest.seq;
    let decimals = usd1.decimals();
    let amount = |units: u128| format_wide_amount(units, decimals);
    let violations: Vec<ViolationView> = found
        .violations
        .iter()
        .map(|v| ViolationView {
            kind: v.kind().to_string(),
            detail: v.to_string(),
        })
        .collect();
    let report = Report {
        mint: usd1.mint().to_string(),
        transactions: found.transactions,
        attestations: found.attestations,
        mints: found.mints,
        replayed_seq: found.latest_seq,
        on_chain_seq,
        replayed_supply: amount(found.supply_before_holder_burns()),
        escrow_surplus: amount(found.escrow_surplus),
        clean: violations.is_empty(),
        violations,
    };
    let failed = !report.clean;
    Ok(Output::new(&report).failing(failed))
}
