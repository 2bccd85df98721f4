//! Benchmark of the payments gateway over JSON-RPC to the localnet: INVOICES
//! invoices (default 1,000) created through the API, paid by WALLETS
//! concurrent wallets (default 16), each a transfer with the invoice's
//! reference, as a Solana Pay wallet sends it. The gateway watches at
//! `confirmed` (SQLite, in-process, polling every 400 ms and woken by
//! PubSub). Prints, never asserts:
//!
//! - invoices created per second through the API;
//! - the localnet's transfer rate (confirmed transfers per second);
//! - from each transfer's confirmation (when `send_and_confirm` returned) to
//!   its signed `invoice.paid` webhook arriving: p50, p99, max;
//! - payments detected per second (webhooks over the span from the first
//!   confirmation to the last webhook) against the transfer rate.
//!
//! Run: `cargo run -p usd1-tests --example gateway_bench [-- INVOICES [WALLETS]]`
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::Usd1;
use usd1_tests::gateway_harness::{self, Api, Receiver};
use usd1_tests::{Fixture, ONE};

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let invoices: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("INVOICES")?
        .unwrap_or(1_000);
    let wallets: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("WALLETS")?
        .unwrap_or(16);

    let localnet = usd1_tests::localnet::localnet().await;
    let f = Fixture::on_localnet(&localnet, 100_000_000 * ONE, 0).await;
    let treasury = Keypair::new().pubkey();
    let mut payers = Vec::new();
    for _ in 0..wallets {
        let wallet = Arc::new(Keypair::new());
        localnet
            .chain
            .airdrop(&wallet.pubkey(), 10_000_000_000)
            .await
            .map_err(|e| anyhow::anyhow!("airdrop: {e:?}"))?;
        f.usd1
            .mint_to(&f.minter, &wallet.pubkey(), 50_000 * ONE)
            .await?;
        let handle = Usd1::connect(f.ledger.clone(), wallet.clone(), f.usd1.mint()).await?;
        payers.push((wallet, handle));
    }
    // The treasury's account exists before the clock starts.
    payers[0]
        .1
        .transfer(payers[0].0.as_ref(), &treasury, 1)
        .await?;

    let dir = tempfile::tempdir()?;
    let database = format!("sqlite:{}", dir.path().join("bench.db").display());
    let mut settings = gateway_harness::settings(&database, &localnet.url, treasury, f.usd1.mint());
    settings.commitment = CommitmentConfig::confirmed();
    settings.poll = Duration::from_millis(400);
    let running = gateway_harness::start(&settings).await;
    let api = Api::with_all_scopes(&running).await;
    let receiver = Receiver::start(0).await;
    api.subscribe(&receiver, &["invoice.paid"]).await;

    let started = Instant::now();
    let mut created = Vec::with_capacity(invoices);
    for i in 0..invoices {
        let (status, invoice) = api
            .post(
                "/v1/invoices",
                json!({"amount": format!("{}.25", i % 100 + 1)}),
            )
            .await;
        anyhow::ensure!(status == 201, "create: {invoice}");
        let reference: Pubkey = invoice["reference"]
            .as_str()
            .context("reference")?
            .parse()?;
        let id = invoice["id"].as_str().context("id")?.to_string();
        created.push((id, reference, ((i % 100 + 1) as u64) * ONE + ONE / 4));
    }
    let create_secs = started.elapsed().as_secs_f64();
    println!(
        "created {invoices} invoices in {create_secs:.2} s: {:.0}/s",
        invoices as f64 / create_secs
    );

    // Each wallet pays its share in turn; the wallets run at once.
    let confirmed: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let paying = Instant::now();
    let mut tasks = Vec::new();
    let payers = Arc::new(payers);
    for w in 0..wallets {
        let share: Vec<(String, Pubkey, u64)> =
            created.iter().skip(w).step_by(wallets).cloned().collect();
        let (payers, confirmed) = (payers.clone(), confirmed.clone());
        tasks.push(tokio::spawn(async move {
            let (wallet, handle) = &payers[w];
            for (id, reference, amount) in share {
                handle
                    .pay_request(wallet.as_ref(), &treasury, amount, &[reference], None)
                    .await?;
                confirmed
                    .lock()
                    .expect("confirmed")
                    .insert(id, Instant::now());
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let pay_secs = paying.elapsed().as_secs_f64();
    let transfer_rate = invoices as f64 / pay_secs;
    println!("paid {invoices} invoices from {wallets} wallets in {pay_secs:.2} s: {transfer_rate:.1} transfers/s (the localnet's rate)");

    // Arrival times, as the receiver stamped them.
    let deadline = Instant::now() + Duration::from_secs(300);
    while receiver.unique().len() < invoices && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let arrived: HashMap<String, Instant> = receiver
        .unique()
        .into_iter()
        .map(|event| {
            let id = event.body["data"]["invoice"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (id, event.at)
        })
        .collect();
    let confirmed = confirmed.lock().expect("confirmed").clone();
    let mut latencies: Vec<f64> = confirmed
        .iter()
        .filter_map(|(id, at)| {
            arrived
                .get(id)
                .map(|got| got.saturating_duration_since(*at).as_secs_f64())
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let quantile = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    anyhow::ensure!(!latencies.is_empty(), "no webhook arrived");
    println!(
        "{} of {invoices} webhooks arrived, every one verified: {}",
        latencies.len(),
        receiver.unique().iter().all(|r| r.verified)
    );
    println!(
        "confirmation → signed webhook: p50 {:.3} s, p99 {:.3} s, max {:.3} s",
        quantile(0.5),
        quantile(0.99),
        quantile(1.0)
    );
    let first = confirmed
        .values()
        .min()
        .copied()
        .context("a confirmation")?;
    let last = arrived.values().max().copied().context("a webhook")?;
    let detect_secs = last.duration_since(first).as_secs_f64();
    let detected = latencies.len() as f64 / detect_secs;
    println!(
        "detected {:.1} payments/s against {transfer_rate:.1} transfers/s ({:.2}×)",
        detected,
        detected / transfer_rate
    );
    Ok(())
}
