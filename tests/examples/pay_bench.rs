//! Benchmark of `usd1 pay` over the in-process ledger: N rows (default 1,000)
//! to distinct new recipients, run through the CLI's own command code.
//! Prints transfers per second and the process's peak resident memory.
//!
//! Run: `cargo run -p usd1-tests --example pay_bench [-- ROWS [CONCURRENCY [rpc]]]`
//! (`rpc`: over JSON-RPC to an in-process localnet instead of the in-process ledger).
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result};
use clap::Parser;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1_cli::{execute, Cli, Context};
use usd1_client::Ledger;
use usd1_tests::{Fixture, Flavor, ONE};

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("ROWS")?
        .unwrap_or(1_000);
    let concurrency: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("CONCURRENCY")?
        .unwrap_or(8);

    let over_rpc = args.next().as_deref() == Some("rpc");

    // The in-process ledger, or JSON-RPC to an in-process localnet.
    let (ledger, payer, mint, _keep): (Arc<dyn Ledger>, Keypair, Pubkey, Box<dyn std::any::Any>) =
        if over_rpc {
            let localnet = usd1_tests::localnet::localnet().await;
            let p = usd1_tests::Fixture::on_localnet(&localnet, 10_000_000 * ONE, 1_000_000 * ONE)
                .await;
            localnet
                .chain
                .airdrop(&p.holder.pubkey(), 100_000_000_000)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            (
                p.usd1.ledger().clone(),
                p.holder.insecure_clone(),
                p.usd1.mint(),
                Box::new((localnet, p)),
            )
        } else {
            let f = Fixture::with_reserve(Flavor::Token2022, 10_000_000 * ONE).await;
            let payer = f.funded_keypair().await;
            f.usd1
                .mint_to(&f.minter, &payer.pubkey(), 1_000_000 * ONE)
                .await?;
            (f.ledger.clone(), payer, f.mint(), Box::new(f))
        };
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("payout.csv");
    let mut csv = String::from("recipient,amount\n");
    for i in 0..rows {
        csv.push_str(&format!("{},{}.25\n", Pubkey::new_unique(), i % 100 + 1));
    }
    std::fs::write(&file, csv)?;
    let file = file.to_string_lossy().into_owned();
    let mint = mint.to_string();
    let concurrency_arg = concurrency.to_string();
    let cli = Cli::try_parse_from([
        "usd1",
        "pay",
        &file,
        "--mint",
        &mint,
        "--concurrency",
        &concurrency_arg,
    ])?;
    let ctx = Context::new(ledger, Arc::new(payer.insecure_clone()));

    let started = Instant::now();
    let out = execute(&ctx, cli.command).await?;
    let elapsed = started.elapsed();
    anyhow::ensure!(!out.failed, "payout failed: {}", out.text);
    let paid = out.json["paid"].as_u64().unwrap_or_default();
    let via = if over_rpc {
        "JSON-RPC to the localnet"
    } else {
        "in-process ledger"
    };
    println!("usd1 pay, {via}, {rows} rows, concurrency {concurrency}");
    println!("  paid:        {paid} transfers (each: create-if-missing + transfer_checked + memo)");
    println!("  elapsed:     {:.2} s", elapsed.as_secs_f64());
    println!(
        "  throughput:  {:.1} transfers/s",
        paid as f64 / elapsed.as_secs_f64()
    );
    match usd1_tests::measure::memory_kib("self", "VmHWM") {
        Some(kib) => println!(
            "  peak memory: {:.1} MiB (whole process, runtime included)",
            kib as f64 / 1024.0
        ),
        None => println!("  peak memory: unavailable (no /proc/self/status)"),
    }
    Ok(())
}
