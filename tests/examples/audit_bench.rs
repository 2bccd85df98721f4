//! Benchmark of `usd1 audit`: builds a history of ATTESTATIONS attestations
//! and MINTS mints on the in-process ledger (its clock moved a second per
//! attestation), then times the CLI's audit command over it — read the
//! history, re-verify every signature and every mint against its reserve.
//!
//! Run: `cargo run -p usd1-tests --example audit_bench [-- ATTESTATIONS MINTS]`
//! (default 1,000 and 10,000; building the history takes a minute or two).
use std::sync::Arc;
use std::time::Instant;

use anyhow::{ensure, Context as _, Result};
use clap::Parser;
use solana_sdk::signature::Signer;
use usd1_cli::{execute, Cli, Context};
use usd1_client::Ledger;
use usd1_tests::{Fixture, Flavor, ONE};

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let attestations: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("ATTESTATIONS")?
        .unwrap_or(1_000);
    let mints: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("MINTS")?
        .unwrap_or(10_000);

    let f = Fixture::new(Flavor::Token2022).await;
    let per_attestation = mints / attestations.max(1);
    let started = Instant::now();
    let mut minted = 0u64;
    for i in 0..attestations {
        f.advance_clock(1).await;
        f.attest((i + 1) * 1_000 * ONE).await?;
        for _ in 0..per_attestation {
            f.usd1.mint_to(&f.minter, &f.holder.pubkey(), 1).await?;
            minted += 1;
        }
        if (i + 1) % 100 == 0 {
            eprintln!(
                "  built {} attestations, {minted} mints ({:.0} s)",
                i + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "history: {attestations} attestations, {minted} mints, built in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let ledger: Arc<dyn Ledger> = f.ledger.clone();
    let ctx = Context::new(ledger, f.admin.clone());
    let cli = Cli::try_parse_from(["usd1", "audit", "--mint", &f.mint().to_string()])?;
    let started = Instant::now();
    let out = execute(&ctx, cli.command).await?;
    let elapsed = started.elapsed();
    ensure!(!out.failed, "the audit found violations: {}", out.text);
    println!(
        "usd1 audit: {}",
        out.text.lines().next().unwrap_or_default()
    );
    println!(
        "  elapsed: {:.3} s (in-process ledger: reading the history is a copy)",
        elapsed.as_secs_f64()
    );
    Ok(())
}
