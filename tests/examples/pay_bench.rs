//! Benchmark of `usd1 pay`, run through the CLI's own command code.
//!
//! In-process (default): N rows (default 1,000) to distinct new recipients
//! on the in-process ledger; transfers per second and peak memory.
//!
//! `rpc`: over JSON-RPC to an in-process localnet, in one run and on the
//! same chain: `usd1 pay` packed (rows to existing accounts, and rows that
//! create their account), `usd1 pay --rows-per-tx 1` (one row per
//! transaction, as before packing), a stock @solana/web3.js script sending
//! one transfer per transaction with 32 in flight (`tests/node`), and the
//! `spl-token` CLI (one process per transfer) where it is installed; rows/s,
//! transactions, fees per row, and the ratios.
//!
//! Run: `cargo run -p usd1-tests --example pay_bench [-- ROWS [CONCURRENCY [rpc]]]`
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::Ledger;
use usd1_tests::measure::{pay, payout};
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
    if over_rpc {
        return over_rpc_bench(rows, concurrency).await;
    }
    let f = Fixture::with_reserve(Flavor::Token2022, 10_000_000 * ONE).await;
    let payer = f.funded_keypair().await;
    f.usd1
        .mint_to(&f.minter, &payer.pubkey(), 1_000_000 * ONE)
        .await?;
    let dir = tempfile::tempdir()?;
    let recipients: Vec<Pubkey> = (0..rows).map(|_| Pubkey::new_unique()).collect();
    let file = payout(dir.path(), "payout.csv", &recipients)?;
    let concurrency = concurrency.to_string();
    let run = pay(
        f.ledger.clone(),
        &payer,
        &f.mint(),
        &file,
        &["--concurrency", &concurrency],
    )
    .await?;
    println!("usd1 pay, in-process ledger, {rows} rows to new accounts, concurrency {concurrency}");
    run.print("usd1 pay (packed)");
    match usd1_tests::measure::memory_kib("self", "VmHWM") {
        Some(kib) => println!(
            "  peak memory: {:.1} MiB (whole process, runtime included)",
            kib as f64 / 1024.0
        ),
        None => println!("  peak memory: unavailable (no /proc/self/status)"),
    }
    Ok(())
}

async fn over_rpc_bench(rows: usize, concurrency: usize) -> Result<()> {
    let localnet = usd1_tests::localnet::localnet().await;
    let f = Fixture::on_localnet(&localnet, 10_000_000 * ONE, 1_000_000 * ONE).await;
    localnet
        .chain
        .airdrop(&f.holder.pubkey(), 100_000_000_000)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (ledger, payer, mint) = (
        f.usd1.ledger().clone() as Arc<dyn Ledger>,
        f.holder.insecure_clone(),
        f.usd1.mint(),
    );
    let dir = tempfile::tempdir()?;
    let concurrency_arg = concurrency.to_string();
    let flags = ["--concurrency", concurrency_arg.as_str()];
    println!(
        "usd1 pay over JSON-RPC to the localnet, {rows} rows each, {concurrency} transactions in flight"
    );

    let existing = f.owners_with_accounts(rows).await;
    let file = payout(dir.path(), "existing.csv", &existing)?;
    let packed = pay(ledger.clone(), &payer, &mint, &file, &flags).await?;
    packed.print("usd1 pay, existing accounts (packed)");

    let existing_single = f.owners_with_accounts(rows).await;
    let file = payout(dir.path(), "single.csv", &existing_single)?;
    let mut single_flags = flags.to_vec();
    single_flags.extend(["--rows-per-tx", "1"]);
    let single = pay(ledger.clone(), &payer, &mint, &file, &single_flags).await?;
    single.print("usd1 pay --rows-per-tx 1, existing accounts");

    let fresh: Vec<Pubkey> = (0..rows).map(|_| Pubkey::new_unique()).collect();
    let file = payout(dir.path(), "fresh.csv", &fresh)?;
    let created = pay(ledger.clone(), &payer, &mint, &file, &flags).await?;
    created.print("usd1 pay, new accounts (packed)");

    // A stock web3.js script, one transfer per transaction, 32 in flight.
    let web3_recipients = f.owners_with_accounts(rows).await;
    let web3 = web3_rate(&localnet.url, &payer, &f, &web3_recipients).await;
    match &web3 {
        Ok(rate) => println!(
            "  {:<44} {rate:>8.1} rows/s  (one transfer per transaction, 32 in flight)",
            "@solana/web3.js script"
        ),
        Err(e) => println!("  @solana/web3.js script: not run ({e:#})"),
    }

    // The spl-token CLI, one process per transfer, where it is installed.
    let spl = spl_token_rate(&localnet.url, &payer, &f, dir.path(), rows.min(100)).await;
    match &spl {
        Ok(rate) => println!(
            "  {:<44} {rate:>8.1} rows/s  (one process per transfer)",
            "spl-token CLI"
        ),
        Err(e) => println!("  spl-token CLI: not run ({e:#})"),
    }

    println!("ratios:");
    println!(
        "  fees per row, packed against one row per transaction: 1/{:.1}",
        single.fee_per_row() / packed.fee_per_row()
    );
    println!(
        "  rows/s, packed against one row per transaction: {:.1}x",
        packed.rate() / single.rate()
    );
    if let Ok(rate) = web3 {
        println!(
            "  rows/s, packed against the web3.js script: {:.1}x",
            packed.rate() / rate
        );
    }
    if let Ok(rate) = spl {
        println!(
            "  rows/s, packed against the spl-token CLI: {:.1}x",
            packed.rate() / rate
        );
    }
    Ok(())
}

async fn web3_rate(
    url: &str,
    payer: &Keypair,
    f: &usd1_tests::Platform,
    recipients: &[Pubkey],
) -> Result<f64> {
    usd1_tests::node::install_packages();
    let dir = tempfile::tempdir()?;
    let fixture = dir.path().join("bench.json");
    let body = serde_json::json!({
        "rpc": url,
        "payer": payer.to_bytes().to_vec(),
        "mint": f.usd1.mint().to_string(),
        "programId": f.usd1.token_program().to_string(),
        "decimals": usd1_tests::DECIMALS,
        "amount": ONE,
        "recipients": recipients.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        "inFlight": 32,
    });
    std::fs::write(&fixture, body.to_string())?;
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg("transfer_bench.mjs")
            .current_dir(usd1_tests::node::node_dir())
            .env("USD1_NODE_FIXTURE", &fixture)
            .output()
    })
    .await??;
    anyhow::ensure!(
        output.status.success(),
        "node: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    Ok(said["sent"].as_f64().unwrap_or_default() / said["seconds"].as_f64().unwrap_or(1.0))
}

async fn spl_token_rate(
    url: &str,
    payer: &Keypair,
    f: &usd1_tests::Platform,
    dir: &std::path::Path,
    transfers: usize,
) -> Result<f64> {
    let found = std::process::Command::new("spl-token")
        .arg("--version")
        .output();
    if !found.is_ok_and(|o| o.status.success()) {
        anyhow::bail!(
            "spl-token is not installed here (cargo install spl-token-cli --version 5.5.0 --locked)"
        );
    }
    let recipients = f.owners_with_accounts(transfers).await;
    let key = dir.join("payer.json");
    std::fs::write(&key, serde_json::to_string(&payer.to_bytes().to_vec())?)?;
    let mint = f.usd1.mint().to_string();
    let started = Instant::now();
    for recipient in &recipients {
        let status = std::process::Command::new("spl-token")
            .args(["-u", url, "transfer", &mint, "1", &recipient.to_string()])
            .arg("--owner")
            .arg(&key)
            .arg("--fee-payer")
            .arg(&key)
            .output()?;
        anyhow::ensure!(
            status.status.success(),
            "spl-token transfer: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
    Ok(recipients.len() as f64 / started.elapsed().as_secs_f64())
}
