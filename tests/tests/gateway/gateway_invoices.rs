//! Invoices that cannot slow the watcher down (issue 33, item 15): every
//! invoice ends (a default deadline), a key may have only so many open,
//! and the reference sweep runs off the watcher's path, a few at a time and
//! only over young invoices: twenty thousand open invoices do not delay the
//! next payment's detection, and the sweep still finds a payment by its
//! reference alone.
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use solana_sdk::signature::Signer;
use usd1_client::solana_pay::TransferRequest;
use usd1_gateway::store::invoices::{Created, NewInvoice};
use usd1_gateway::store::keys::Scope;
use usd1_tests::cli_harness::usd1;
use usd1_tests::gateway_harness::{self, funded_platform, sqlite, Api, Receiver};
use usd1_tests::localnet::localnet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_open_invoices_never_delay_a_payments_detection() {
    let localnet = localnet().await;
    let (f, wallet) = funded_platform(&localnet).await;
    let (_dir, database) = sqlite();
    let mut settings = gateway_harness::settings(&database, &localnet.url, wallet, f.usd1.mint());
    settings.invoices.max_open_per_key = 3;
    // Twenty thousand open invoices of another key, written straight to the
    // database before the gateway starts.
    {
        let store = usd1_gateway::store::Store::open(&database).await.unwrap();
        let (bulk, _) = store.create_key("bulk", "bulk", &Scope::ALL).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let now = usd1_gateway::store::now();
        for n in 0..20_000 {
            sqlx::query(
                "INSERT INTO invoices (id, api_key_id, reference, amount, status, created_at, \
                 expires_at, updated_at) VALUES ($1, $2, $3, 1000000, 'open', $4, $5, $4)",
            )
            .bind(format!("inv_bulk_{n}"))
            .bind(&bulk.id)
            .bind(solana_sdk::pubkey::Pubkey::new_unique().to_string())
            .bind(now)
            .bind(now + 86_400)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let running = gateway_harness::start(&settings).await;
    gateway_harness::watching(&running).await;
    let api = Api::with_all_scopes(&running).await;
    let receiver = Receiver::start(0).await;
    api.subscribe(&receiver, &["invoice.paid"]).await;

    // Every invoice ends: one made without a deadline has the default, a day.
    let before = usd1_gateway::store::now();
    let (status, invoice) = api.post("/v1/invoices", json!({"amount": "2"})).await;
    assert_eq!(status, 201, "{invoice}");
    let expires = invoice["expires_at"].as_i64().expect("a deadline");
    assert!(
        (before + 86_400..=before + 86_402).contains(&expires),
        "{invoice}"
    );
    // At most three open at once for this key.
    for _ in 0..2 {
        assert_eq!(
            api.post("/v1/invoices", json!({"amount": "1"})).await.0,
            201
        );
    }
    let (status, refused) = api.post("/v1/invoices", json!({"amount": "1"})).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("too_many_open_invoices")),
        "{refused}"
    );

    // A payment is found at the watcher's pace, not after a sweep of 20,000.
    let request = TransferRequest::parse(invoice["url"].as_str().unwrap(), 6).unwrap();
    let (mint, to) = (f.usd1.mint().to_string(), request.recipient.to_string());
    let reference = request.references[0].to_string();
    usd1(
        &f,
        &f.holder,
        &[
            "transfer",
            "2",
            &to,
            "--mint",
            &mint,
            "--reference",
            &reference,
        ],
    )
    .await
    .expect("usd1 transfer");
    let paid_at = Instant::now();
    let got = receiver.wait_for(1).await;
    let took = got[0].at.duration_since(paid_at);
    assert!(took < Duration::from_secs(3), "detected after {took:?}");
    assert_eq!(got[0].body["type"], "invoice.paid");

    // The sweep, run by hand on a database that never read the treasury's
    // list, finds a payment by its invoice's reference alone.
    let (_other_dir, other) = sqlite();
    let store = usd1_gateway::store::Store::open(&other).await.unwrap();
    let (key, _) = store.create_key("k", "ops", &Scope::ALL).await.unwrap();
    let new = NewInvoice {
        amount: 2_000_000,
        ..Default::default()
    };
    let Created::New(copy) = store
        .create_invoice(&key.id, &new, &reference)
        .await
        .unwrap()
    else {
        panic!("new")
    };
    let watcher = usd1_gateway::watcher::Watcher {
        store: store.clone(),
        ledger: Arc::new(usd1_client::rpc::RpcLedger::new(
            localnet.url.clone(),
            solana_commitment_config::CommitmentConfig::finalized(),
        )),
        treasury: running.treasury,
        poll: Duration::from_secs(1),
        wake: Arc::default(),
        lists: Arc::new(usd1_gateway::rescreen::Lists::load(&[]).unwrap()),
        vanish_after: None,
        health: Arc::default(),
    };
    assert_eq!(watcher.sweep_once().await.unwrap(), 1);
    let found = store.invoice(&key.id, &copy.id).await.unwrap().unwrap();
    assert_eq!(found.received, 2_000_000);
    let _ = f.holder.pubkey();
}

/// Issue 33, item 20: a gateway run at `confirmed` checks what it recorded
/// again until the chain finalizes it. A payment whose fork did not last
/// (the node, through a proxy, stops knowing it before it was finalized) is
/// reversed once it has been unknown for longer than a blockhash lives:
/// the invoice gets its amount back and its subscribers
/// `invoice.payment_reversed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_whose_fork_did_not_last_is_reversed() {
    use usd1_tests::proxy::Proxy;
    let localnet = localnet().await;
    let (f, wallet) = funded_platform(&localnet).await;
    let proxy = Proxy::start(&localnet.url).await.unwrap();
    proxy.hold_finality();
    let (_dir, database) = sqlite();
    let mut settings = gateway_harness::settings(&database, &proxy.url, wallet, f.usd1.mint());
    settings.ws_url = Some(localnet.ws_url.clone());
    settings.commitment = solana_commitment_config::CommitmentConfig::confirmed();
    settings.vanish_after = Duration::from_secs(1);
    let running = gateway_harness::start(&settings).await;
    gateway_harness::watching(&running).await;
    let api = Api::with_all_scopes(&running).await;
    let receiver = Receiver::start(0).await;
    api.subscribe(&receiver, &["invoice.paid", "invoice.payment_reversed"])
        .await;
    let (status, invoice) = api.post("/v1/invoices", json!({"amount": "2"})).await;
    assert_eq!(status, 201);
    let request = TransferRequest::parse(invoice["url"].as_str().unwrap(), 6).unwrap();
    let (mint, to) = (f.usd1.mint().to_string(), request.recipient.to_string());
    let reference = request.references[0].to_string();
    usd1(
        &f,
        &f.holder,
        &[
            "transfer",
            "2",
            &to,
            "--mint",
            &mint,
            "--reference",
            &reference,
        ],
    )
    .await
    .expect("usd1 transfer");
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].body["type"], "invoice.paid");
    let signature = got[0].body["data"]["payment"]["signature"]
        .as_str()
        .unwrap()
        .to_string();
    // Seen at confirmed, never finalized: still being checked.
    let id = invoice["id"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("/v1/invoices/{id}")).await.1["status"],
        "paid"
    );
    proxy.forget(&signature);
    let got = receiver.wait_for(2).await;
    assert_eq!(
        got[1].body["type"], "invoice.payment_reversed",
        "{}",
        got[1].body
    );
    let bodies: Vec<_> = got.iter().map(|r| r.body.clone()).collect();
    usd1_tests::openapi_judges::assert_events_conform("gateway", &bodies);
    assert_eq!(
        got[1].body["data"]["payment"]["signature"],
        signature.as_str()
    );
    let (_, shown) = api.get(&format!("/v1/invoices/{id}")).await;
    assert_eq!(
        (shown["status"].as_str(), shown["received"].as_str()),
        (Some("open"), Some("0"))
    );
    let ledger = running.store.movements(None, None).await.unwrap();
    assert_eq!(ledger.len(), 1, "the row is kept");
}
