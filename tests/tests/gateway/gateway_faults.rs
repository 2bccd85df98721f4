//! The gateway under faults, as real processes: `usd1-gateway` killed with
//! SIGKILL while it detects payments and while it delivers, a receiver down
//! for a minute, and the PubSub websocket dropped by a localnet restart. In
//! every case no payment is missed, no invoice changes state twice, and a
//! receiver that de-duplicates by `Usd1-Event-Id` sees every event once, in
//! order per invoice.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;

use usd1_tests::cli_harness::usd1;
use usd1_tests::gateway_harness::{self, funded_platform as platform, Api, Receiver};
use usd1_tests::gateway_process::{GatewayProcess, Serve};
use usd1_tests::localnet::localnet;
use usd1_tests::tour::{api_key, build_binaries};
use usd1_tests::Platform;

async fn pay(f: &Platform, wallet: &Pubkey, reference: &str, amount: &str) {
    let mint = f.usd1.mint().to_string();
    let wallet = wallet.to_string();
    let args = [
        "transfer",
        amount,
        &wallet,
        "--mint",
        &mint,
        "--reference",
        reference,
    ];
    usd1(f, &f.holder, &args).await.expect("usd1 transfer");
}

/// Every distinct event is `invoice.paid` with sequence 1, one per invoice.
fn each_paid_once(events: &[usd1_tests::gateway_harness::Received], invoices: &[Value]) {
    let mut per_invoice: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    for event in events {
        assert!(event.verified, "{event:?}");
        let id = event.body["data"]["invoice"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let kind = event.body["type"].as_str().unwrap().to_string();
        let seq = event.body["invoice_sequence"].as_i64().unwrap();
        per_invoice.entry(id).or_default().push((kind, seq));
    }
    for invoice in invoices {
        let id = invoice["id"].as_str().unwrap();
        assert_eq!(
            per_invoice.get(id),
            Some(&vec![("invoice.paid".to_string(), 1)]),
            "invoice {id}: {per_invoice:?}"
        );
    }
    assert_eq!(per_invoice.len(), invoices.len());
}

async fn make_invoices(api: &Api, count: usize) -> Vec<Value> {
    let mut invoices = Vec::new();
    for i in 0..count {
        let (status, invoice) = api
            .post("/v1/invoices", json!({"amount": format!("{}.5", i + 1)}))
            .await;
        assert_eq!(status, 201, "{invoice}");
        invoices.push(invoice);
    }
    invoices
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_detecting_and_delivering_misses_and_doubles_nothing() {
    build_binaries().expect("binaries");
    let localnet = localnet().await;
    let (f, wallet) = platform(&localnet).await;
    let (_dir, database) = gateway_harness::sqlite();
    let serve = Serve::new(&database, &localnet.url, &f.usd1.mint(), &wallet);
    let mut gateway = GatewayProcess::spawn(&serve).await;
    let api = Api::at(
        &gateway.url(),
        &api_key(&database, "faults").expect("api key"),
    );
    // A slow receiver, so that kills land in the middle of deliveries.
    let receiver = Receiver::start_with(0, Duration::from_millis(300)).await;
    api.subscribe(&receiver, &["invoice.paid"]).await;
    let invoices = make_invoices(&api, 9).await;
    for (i, invoice) in invoices.iter().enumerate() {
        let reference = invoice["reference"].as_str().unwrap();
        pay(&f, &wallet, reference, &format!("{}.5", i + 1)).await;
        if i % 2 == 0 {
            // Killed right after the payment (detecting), or a moment later (delivering).
            tokio::time::sleep(Duration::from_millis(if i % 4 == 0 { 0 } else { 350 })).await;
            gateway.kill();
            gateway = GatewayProcess::spawn(&serve).await;
        }
    }
    let events = receiver
        .wait_for_unique(invoices.len(), Duration::from_secs(60))
        .await;
    each_paid_once(&events, &invoices);
    for invoice in &invoices {
        let (_, shown) = api
            .get(&format!("/v1/invoices/{}", invoice["id"].as_str().unwrap()))
            .await;
        assert_eq!(shown["status"], "paid", "{shown}");
        assert_eq!(shown["received"], shown["amount"]);
    }
    // Nothing more arrives than duplicates of those.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.unique().len(), invoices.len());
    let (_, csv) = api.get("/v1/exports/ledger.csv").await;
    let csv = csv.as_str().unwrap().to_string();
    assert_eq!(csv.lines().count(), 1 + invoices.len(), "{csv}");
    let closing = csv
        .lines()
        .last()
        .unwrap()
        .split(',')
        .nth(8)
        .unwrap()
        .to_string();
    assert_eq!(
        closing,
        usd1_client::format_amount(f.usd1.balance(&wallet).await.unwrap(), 6)
    );
}

/// The receiver refuses connections while each invoice's first event is
/// tried five times and fails (the backoff's cap lowered to 2 s, so that is
/// what a minute of the default backoff's doublings is: waited for by
/// counting attempts, not by the clock); up again, it gets every event, in
/// order per invoice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_for_a_minute_gets_every_event_in_order() {
    let localnet = localnet().await;
    let (f, wallet) = platform(&localnet).await;
    let (_dir, database) = gateway_harness::sqlite();
    let mut settings = gateway_harness::settings(&database, &localnet.url, wallet, f.usd1.mint());
    settings.backoff.cap_secs = 2;
    let running = gateway_harness::start(&settings).await;
    let api = Api::with_all_scopes(&running).await;
    let receiver = Receiver::start(0).await;
    let hook = api
        .subscribe(&receiver, &["invoice.paid", "invoice.underpaid"])
        .await;
    receiver.go_down();
    let invoices = make_invoices(&api, 2).await;
    for (i, invoice) in invoices.iter().enumerate() {
        let reference = invoice["reference"].as_str().unwrap();
        pay(&f, &wallet, reference, "1").await;
        pay(&f, &wallet, reference, &format!("{}.5", i)).await;
    }
    // Each invoice's first event (its later one waits behind it) tried and
    // refused five times.
    let started = std::time::Instant::now();
    loop {
        let failed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries WHERE attempts >= 5 AND status = 'pending'",
        )
        .fetch_one(running.store.pool())
        .await
        .unwrap();
        if failed == 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{failed} retried"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(receiver.accepted().is_empty());
    receiver.up().await;
    let events = receiver.wait_for_unique(4, Duration::from_secs(60)).await;
    assert!(events.iter().all(|e| e.verified));
    for invoice in &invoices {
        let id = invoice["id"].as_str().unwrap();
        let order: Vec<(String, i64)> = events
            .iter()
            .filter(|e| e.body["data"]["invoice"]["id"] == id)
            .map(|e| {
                (
                    e.body["type"].as_str().unwrap().to_string(),
                    e.body["invoice_sequence"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            order,
            [
                ("invoice.underpaid".to_string(), 1),
                ("invoice.paid".to_string(), 2)
            ],
            "invoice {id}"
        );
    }
    let (_, log) = api
        .get(&format!(
            "/v1/webhooks/{}/deliveries",
            hook["id"].as_str().unwrap()
        ))
        .await;
    let refused = log["data"][0]["attempts"].as_i64().unwrap();
    assert!(refused >= 5, "retried with backoff while down: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_websocket_dropped_by_a_localnet_restart_loses_nothing() {
    let ledger = tempfile::tempdir().unwrap();
    let start = |addr: SocketAddr, path: &Path| {
        let path = path.to_path_buf();
        async move {
            usd1_localnet::Localnet::start_with(addr, Some((&path, false)))
                .await
                .expect("localnet")
        }
    };
    let first = start(SocketAddr::from(([127, 0, 0, 1], 0)), ledger.path()).await;
    let addr = first.addr;
    let (f, wallet) = platform(&first).await;
    let (_dir, database) = gateway_harness::sqlite();
    // Only PubSub wakes the watcher: its polls are a minute apart.
    let mut settings = gateway_harness::settings(&database, &first.url, wallet, f.usd1.mint());
    settings.poll = Duration::from_secs(60);
    let running = gateway_harness::start(&settings).await;
    let api = Api::with_all_scopes(&running).await;
    let receiver = Receiver::start(0).await;
    api.subscribe(&receiver, &["invoice.paid"]).await;
    let invoices = make_invoices(&api, 2).await;
    gateway_harness::watching(&running).await;
    pay(
        &f,
        &wallet,
        invoices[0]["reference"].as_str().unwrap(),
        "1.5",
    )
    .await;
    receiver.wait_for_unique(1, Duration::from_secs(20)).await;

    first.stop().await.expect("stop");
    let second = start(addr, ledger.path()).await;
    pay(
        &f,
        &wallet,
        invoices[1]["reference"].as_str().unwrap(),
        "2.5",
    )
    .await;
    let events = receiver.wait_for_unique(2, Duration::from_secs(20)).await;
    each_paid_once(&events, &invoices);
    second.stop().await.expect("stop");
}
