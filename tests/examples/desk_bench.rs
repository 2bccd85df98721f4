//! Benchmark of the issuance desk, in-process, printed (nothing asserted):
//! a statement of N deposits (default 10,000) from C customers (default
//! 1,000) imported and every deposit minted; deposits minted per second
//! against `usd1 pay`'s packed transfers per second on the same chain in
//! the same run; the time from the statement's arrival to the last mint;
//! and a year of daily reconciliations over those books.
//!
//! Run: `cargo run --release -p usd1-tests --example desk_bench [-- DEPOSITS [CUSTOMERS]]`
use std::time::Instant;

use anyhow::{Context as _, Result};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use usd1_desk::reconcile::reconcile_days;
use usd1_tests::desk_harness::{Desk, ISSUER_ACCOUNT};
use usd1_tests::measure::{pay, payout};
use usd1_tests::ONE;

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let deposits: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("DEPOSITS")?
        .unwrap_or(10_000);
    let customers: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("CUSTOMERS")?
        .unwrap_or(1_000);
    let mut desk = Desk::with(100_000_000 * ONE, u64::MAX).await;
    // The desk's minter may mint the whole statement and the payer's float.
    let minter = desk.f.minter.pubkey();
    desk.f
        .usd1
        .configure_minter(&desk.f.admin, &minter, 100_000_000 * ONE)
        .await?;

    let started = Instant::now();
    let mut references = Vec::new();
    for n in 0..customers {
        let (customer, _) = desk.approved_customer(&format!("Customer {n}")).await;
        references.push(customer.reference);
    }
    let set_up = started.elapsed().as_secs_f64();
    for n in 0..deposits {
        desk.wire(
            &format!("{}.{:02}", 100 + n % 900, n % 100),
            &references[n % customers],
        );
    }
    let statement = desk.bank.write_statement(ISSUER_ACCOUNT)?;
    let size = std::fs::metadata(&statement)?.len();

    let arrived = Instant::now();
    let imported = desk.import(&statement).await;
    let import_secs = arrived.elapsed().as_secs_f64();
    anyhow::ensure!(
        imported.deposits.len() == deposits,
        "{} deposits taken",
        imported.deposits.len()
    );
    let minting = Instant::now();
    let mut minted = 0;
    let mut transactions = std::collections::BTreeSet::new();
    while minted < deposits {
        let pass = desk.pass().await;
        anyhow::ensure!(!pass.minted.is_empty(), "a pass minted nothing: {pass:?}");
        minted += pass.minted.len();
        transactions.extend(pass.minted.into_iter().map(|(_, signature)| signature));
    }
    let mint_secs = minting.elapsed().as_secs_f64();
    let to_last_mint = arrived.elapsed().as_secs_f64();

    // usd1 pay on the same chain, in the same run: as many rows to new accounts.
    let payer = desk.f.funded_keypair().await;
    // Rent for a new token account a row: 10 SOL carries about 4,000.
    for _ in 0..deposits / 4_000 {
        desk.f.fund(&payer.pubkey()).await;
    }
    desk.f
        .usd1
        .mint_to(&desk.f.minter, &payer.pubkey(), 10_000_000 * ONE)
        .await?;
    let dir = tempfile::tempdir()?;
    let recipients: Vec<Pubkey> = (0..deposits).map(|_| Pubkey::new_unique()).collect();
    let file = payout(dir.path(), "payout.csv", &recipients)?;
    let packed = pay(
        desk.f.ledger.clone(),
        &payer,
        &desk.f.mint(),
        &file,
        &["--concurrency", "8"],
    )
    .await?;
    // And again to the same recipients, whose token accounts now exist.
    let again = payout(dir.path(), "again.csv", &recipients)?;
    let existing = pay(
        desk.f.ledger.clone(),
        &payer,
        &desk.f.mint(),
        &again,
        &["--concurrency", "8", "--batch", "again"],
    )
    .await?;

    // A year of days reconciled over these books, as `run` catches up:
    // the chain's history read once, each day's figures taken as of its end.
    let day = desk.bank.day();
    let year = Instant::now();
    let days = vec![day; 365];
    let mut unexplained = 0;
    for answer in reconcile_days(&desk.store, &desk.f.usd1, &days, ISSUER_ACCOUNT).await? {
        unexplained = answer?.1.unexplained;
    }
    let year_secs = year.elapsed().as_secs_f64();

    println!(
        "usd1-desk, in-process ledger, SQLite, {deposits} deposits from {customers} customers"
    );
    println!("  {customers} customers approved with a wallet: {set_up:.1} s");
    println!(
        "  statement: {:.1} MiB camt.053 imported in {import_secs:.2} s ({:.0} entries/s)",
        size as f64 / 1_048_576.0,
        deposits as f64 / import_secs
    );
    println!(
        "  minted: {deposits} deposits in {mint_secs:.1} s: {:.1} deposits/s, {} transactions ({:.1} deposits/tx)",
        deposits as f64 / mint_secs,
        transactions.len(),
        deposits as f64 / transactions.len().max(1) as f64
    );
    println!("  from the statement's arrival to the last mint: {to_last_mint:.1} s");
    packed.print("usd1 pay (packed), same chain, new accounts");
    existing.print("usd1 pay (packed), same chain, existing accounts");
    let rate = deposits as f64 / mint_secs;
    println!(
        "  deposits minted per second / usd1 pay rows per second: {:.2}× (new accounts), {:.2}× (existing accounts)",
        rate / packed.rate(),
        rate / existing.rate()
    );
    println!(
        "  365 daily reconciliations over these books: {year_secs:.2} s ({:.1} ms each; \
         {} unexplained, the tokens usd1 pay's payer was minted outside the desk)",
        year_secs * 1000.0 / 365.0,
        usd1_client::format_dollars(unexplained.unsigned_abs(), 6)
    );
    if let Some(kib) = usd1_tests::measure::memory_kib("self", "VmHWM") {
        println!(
            "  peak memory: {:.1} MiB (whole process, runtime included)",
            kib as f64 / 1024.0
        );
    }
    Ok(())
}
