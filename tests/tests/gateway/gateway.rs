//! The payments gateway end to end over the localnet: invoices as Solana
//! Pay requests, paid by `usd1 transfer --reference` as a wallet pays them,
//! found and matched at `finalized`, each state change a signed webhook to a
//! real HTTP receiver (in order per invoice, also through failures), and the
//! export's running balance closing at the chain's; on SQLite and on a real
//! PostgreSQL. Also every refusal of the API, by its code, storing nothing.
use serde_json::{json, Value};
use solana_sdk::signature::Signer;
use usd1_client::solana_pay::TransferRequest;
use usd1_gateway::store::keys::Scope;
use usd1_tests::cli_harness::usd1;
use usd1_tests::gateway_harness::{self, funded_platform as platform, Api, Receiver};
use usd1_tests::localnet::localnet;
use usd1_tests::postgres::Postgres;
use usd1_tests::webhook_judges::Case;
use usd1_tests::{Platform, ONE};

/// The holder pays as a wallet reading the request's URL would.
async fn pay(f: &Platform, url: &str, amount: Option<&str>) {
    let request = TransferRequest::parse(url, 6).expect("a Solana Pay URL");
    let amount = amount.map_or_else(
        || usd1_client::format_amount(request.amount.expect("amount"), 6),
        str::to_string,
    );
    let mint = f.usd1.mint().to_string();
    let recipient = request.recipient.to_string();
    let mut args = vec![
        "transfer",
        amount.as_str(),
        recipient.as_str(),
        "--mint",
        mint.as_str(),
    ];
    let references: Vec<String> = request.references.iter().map(|r| r.to_string()).collect();
    for reference in &references {
        args.extend(["--reference", reference.as_str()]);
    }
    if let Some(memo) = &request.memo {
        args.extend(["--memo", memo.as_str()]);
    }
    usd1(f, &f.holder, &args).await.expect("usd1 transfer");
}

async fn create(api: &Api, body: Value) -> Value {
    let (status, invoice) = api.post("/v1/invoices", body).await;
    assert_eq!(status, 201, "{invoice}");
    invoice
}

/// The events the receiver accepted, as (type, invoice id, invoice sequence).
fn kinds(received: &[usd1_tests::gateway_harness::Received]) -> Vec<(String, String, i64)> {
    received
        .iter()
        .map(|r| {
            (
                r.body["type"].as_str().unwrap_or_default().to_string(),
                r.body["data"]["invoice"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                r.body["invoice_sequence"].as_i64().unwrap_or_default(),
            )
        })
        .collect()
}

async fn paid_and_reconciled(database: &str) {
    let localnet = localnet().await;
    let (f, wallet) = platform(&localnet).await;
    let running = gateway_harness::start_for(database, &localnet, &f, wallet).await;
    let api = Api::with_all_scopes(&running).await;
    let receiver = Receiver::start(0).await;
    api.subscribe(
        &receiver,
        &[
            "invoice.paid",
            "invoice.overpaid",
            "invoice.underpaid",
            "payment.unmatched",
        ],
    )
    .await;

    let exact = create(
        &api,
        json!({"amount": "12.5", "label": "Acme", "memo": "order 1"}),
    )
    .await;
    let url = exact["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!(
            "solana:{wallet}?amount=12.5&spl-token={}&reference=",
            f.usd1.mint()
        )),
        "{url}"
    );
    pay(&f, url, None).await;
    let partly = create(&api, json!({"amount": "10"})).await;
    pay(&f, partly["url"].as_str().unwrap(), Some("4")).await;
    pay(&f, partly["url"].as_str().unwrap(), Some("6")).await;
    let over = create(&api, json!({"amount": "5"})).await;
    pay(&f, over["url"].as_str().unwrap(), Some("7")).await;
    // Money in without a reference: unmatched.
    let mint = f.usd1.mint().to_string();
    usd1(
        &f,
        &f.holder,
        &["transfer", "1.25", &wallet.to_string(), "--mint", &mint],
    )
    .await
    .expect("plain transfer");
    // By memo: `invoice:<id>` matches without a reference.
    let by_memo = create(&api, json!({"amount": "2"})).await;
    let memo = format!("invoice:{}", by_memo["id"].as_str().unwrap());
    usd1(
        &f,
        &f.holder,
        &[
            "transfer",
            "2",
            &wallet.to_string(),
            "--mint",
            &mint,
            "--memo",
            &memo,
        ],
    )
    .await
    .expect("memo transfer");

    let got = receiver.wait_for(6).await;
    assert!(
        got.iter().all(|r| r.verified),
        "every signature verifies: {got:?}"
    );
    let ids: std::collections::HashSet<&str> = got.iter().map(|r| r.event_id.as_str()).collect();
    assert_eq!(ids.len(), 6, "one event id each");
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();
    let mut seen = kinds(&got);
    seen.sort();
    let mut expected = vec![
        ("invoice.paid".to_string(), id(&exact), 1),
        ("invoice.underpaid".to_string(), id(&partly), 1),
        ("invoice.paid".to_string(), id(&partly), 2),
        ("invoice.overpaid".to_string(), id(&over), 1),
        ("payment.unmatched".to_string(), String::new(), 0),
        ("invoice.paid".to_string(), id(&by_memo), 1),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    let order: Vec<i64> = kinds(&got)
        .iter()
        .filter(|(_, invoice, _)| *invoice == id(&partly))
        .map(|k| k.2)
        .collect();
    assert_eq!(order, vec![1, 2], "an invoice's events arrive in order");
    let unmatched = got
        .iter()
        .find(|r| r.body["type"] == "payment.unmatched")
        .unwrap();
    assert_eq!(unmatched.body["data"]["amount"], "1.25");
    assert_eq!(
        unmatched.body["data"]["sender"],
        f.holder.pubkey().to_string()
    );

    let (_, shown) = api.get(&format!("/v1/invoices/{}", id(&over))).await;
    assert_eq!(
        (shown["status"].as_str(), shown["received"].as_str()),
        (Some("overpaid"), Some("7"))
    );
    let (_, shown) = api.get(&format!("/v1/invoices/{}", id(&partly))).await;
    assert_eq!(shown["status"], "paid");

    // The ledger closes at the treasury account's balance on-chain.
    let (status, csv) = api.get("/v1/exports/ledger.csv").await;
    assert_eq!(status, 200);
    let csv = csv.as_str().expect("text").to_string();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], usd1_gateway::export::COLUMNS.join(","));
    assert_eq!(lines.len(), 1 + 6, "{csv}");
    let closing = lines.last().unwrap().split(',').nth(8).unwrap().to_string();
    let on_chain = f.usd1.balance(&wallet).await.expect("balance");
    assert_eq!(closing, usd1_client::format_amount(on_chain, 6));
    assert_eq!(
        on_chain,
        12_500_000 + 10 * ONE + 7 * ONE + 1_250_000 + 2 * ONE
    );
    assert!(csv.contains(",unmatched,unmatched,"), "{csv}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_are_matched_webhooked_and_reconciled_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    paid_and_reconciled(&format!("sqlite:{}", dir.path().join("g.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_are_matched_webhooked_and_reconciled_on_postgres() {
    let server = Postgres::start();
    paid_and_reconciled(&server.database("gateway")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_failing_its_first_five_gets_every_event_in_order() {
    let localnet = localnet().await;
    let (f, wallet) = platform(&localnet).await;
    let (_dir, database) = gateway_harness::sqlite();
    let running = gateway_harness::start_for(&database, &localnet, &f, wallet).await;
    let api = Api::with_all_scopes(&running).await;
    let receiver = Receiver::start(5).await;
    let hook = api
        .subscribe(&receiver, &["invoice.paid", "invoice.underpaid"])
        .await;
    let invoice = create(&api, json!({"amount": "3"})).await;
    let url = invoice["url"].as_str().unwrap();
    for part in ["1", "1", "1"] {
        pay(&f, url, Some(part)).await;
    }
    let got = receiver.wait_for(3).await;
    assert_eq!(
        kinds(&got)
            .iter()
            .map(|k| (k.0.as_str(), k.2))
            .collect::<Vec<_>>(),
        vec![
            ("invoice.underpaid", 1),
            ("invoice.underpaid", 2),
            ("invoice.paid", 3)
        ]
    );
    assert!(got.iter().all(|r| r.verified));
    let (_, log) = api
        .get(&format!(
            "/v1/webhooks/{}/deliveries",
            hook["id"].as_str().unwrap()
        ))
        .await;
    let attempts: i64 = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attempts"].as_i64().unwrap())
        .sum();
    assert_eq!(attempts, 8, "five refused, three accepted: {log}");
    assert!(log["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["status"] == "delivered"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_bad_input_by_code_and_stores_nothing() {
    let localnet = localnet().await;
    let (f, wallet) = platform(&localnet).await;
    let (_dir, database) = gateway_harness::sqlite();
    let running = gateway_harness::start_for(&database, &localnet, &f, wallet).await;
    let api = Api::with_all_scopes(&running).await;
    let code = |reply: &(u16, Value)| {
        (
            reply.0,
            reply.1["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    let refused = [
        (
            api.call("POST", "/v1/invoices", Some("{\"amount\": "))
                .await,
            400,
            "malformed_json",
        ),
        (
            api.post("/v1/invoices", json!({"amount": "1", "colour": "red"}))
                .await,
            400,
            "unknown_field",
        ),
        (
            api.post("/v1/invoices", json!({"amount": "-1"})).await,
            400,
            "negative_amount",
        ),
        (
            api.post("/v1/invoices", json!({"amount": "1.0000001"}))
                .await,
            400,
            "amount_too_precise",
        ),
        (
            api.post("/v1/invoices", json!({"amount": 1.5})).await,
            400,
            "invalid_amount",
        ),
        (
            api.post("/v1/invoices", json!({"amount": "0"})).await,
            400,
            "invalid_amount",
        ),
        (
            api.post("/v1/invoices", json!({"amount": "1e3"})).await,
            400,
            "invalid_amount",
        ),
        (
            api.post(
                "/v1/invoices",
                json!({"amount": "1", "expires_at": 1_600_000_000}),
            )
            .await,
            400,
            "expires_at_in_past",
        ),
        (
            api.post("/v1/invoices", json!({"amount": "1", "metadata": [1]}))
                .await,
            400,
            "invalid_metadata",
        ),
        (
            api.post(
                "/v1/invoices",
                json!({"amount": "1", "memo": "m".repeat(64 * 1024)}),
            )
            .await,
            413,
            "body_too_large",
        ),
        (
            api.post(
                "/v1/webhooks",
                json!({"url": "ftp://example.com/x", "events": ["invoice.paid"]}),
            )
            .await,
            400,
            "invalid_url",
        ),
        (
            api.post(
                "/v1/webhooks",
                json!({"url": "http://127.0.0.1:1/x", "events": ["invoice.lost"]}),
            )
            .await,
            400,
            "unknown_event",
        ),
        (api.get("/v1/invoices/inv_nope").await, 404, "not_found"),
        (api.get("/v1/nowhere").await, 404, "not_found"),
    ];
    for (reply, status, expected) in &refused {
        assert_eq!(code(reply), (*status, expected.to_string()), "{}", reply.1);
    }
    let (_, list) = api.get("/v1/invoices").await;
    assert_eq!(list["data"], json!([]), "nothing stored");

    // Keys: none, unknown, revoked (401); without the scope (403).
    let unknown = api.with_key("usd1_sk_0000");
    assert_eq!(
        code(&unknown.get("/v1/invoices").await),
        (401, "unauthorized".into())
    );
    let bare = reqwest::get(format!("{}/v1/invoices", api.base))
        .await
        .unwrap();
    assert_eq!(bare.status().as_u16(), 401);
    let reader = Api::with_scopes(&running, &[Scope::InvoicesRead]).await;
    assert_eq!(
        code(&reader.post("/v1/invoices", json!({"amount": "1"})).await),
        (403, "missing_scope".into())
    );
    assert_eq!(
        code(&reader.get("/v1/exports/ledger.csv").await),
        (403, "missing_scope".into())
    );
    let key = running
        .store
        .key_by_secret(&reader.key)
        .await
        .unwrap()
        .unwrap();
    assert!(running.store.revoke_key(&key.id).await.unwrap());
    assert_eq!(
        code(&reader.get("/v1/invoices").await),
        (401, "unauthorized".into())
    );

    // Idempotent create: the same external_id is the same invoice; another amount a conflict.
    let first = create(
        &api,
        json!({"amount": "9.99", "external_id": "order-7", "metadata": {"cart": 7}}),
    )
    .await;
    let (status, again) = api
        .post(
            "/v1/invoices",
            json!({"amount": "9.99", "external_id": "order-7"}),
        )
        .await;
    assert_eq!((status, &again["id"]), (200, &first["id"]));
    assert_eq!(again["metadata"], json!({"cart": 7}));
    let (status, conflict) = api
        .post(
            "/v1/invoices",
            json!({"amount": "5", "external_id": "order-7"}),
        )
        .await;
    assert_eq!(
        (status, conflict["error"]["code"].as_str()),
        (409, Some("idempotency_conflict"))
    );
    let (_, list) = api.get("/v1/invoices").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // The QR code encodes the request; cancel works once.
    let id = first["id"].as_str().unwrap();
    let (status, svg) = api.get(&format!("/v1/invoices/{id}/qr.svg")).await;
    assert_eq!(status, 200);
    assert!(svg.as_str().unwrap().starts_with("<?xml"), "{svg}");
    let (status, cancelled) = api
        .post(&format!("/v1/invoices/{id}/cancel"), json!({}))
        .await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (200, Some("cancelled"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_over_its_rate_gets_429_with_retry_after() {
    let localnet = localnet().await;
    let (f, wallet) = platform(&localnet).await;
    let (_dir, database) = gateway_harness::sqlite();
    let mut settings = gateway_harness::settings(&database, &localnet.url, wallet, f.usd1.mint());
    settings.rate = usd1_gateway::api::RateLimit {
        per_second: 0.5,
        burst: 3.0,
        ..Default::default()
    };
    let running = gateway_harness::start(&settings).await;
    let api = Api::with_all_scopes(&running).await;
    for _ in 0..3 {
        assert_eq!(api.get("/v1/invoices").await.0, 200);
    }
    let response = reqwest::Client::new()
        .get(format!("{}/v1/invoices", api.base))
        .bearer_auth(&api.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // Another key has its own budget.
    let other = Api::with_all_scopes(&running).await;
    assert_eq!(other.get("/v1/invoices").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_secret_keeps_signing_beside_the_new_one_for_its_overlap() {
    let localnet = localnet().await;
    let (f, wallet) = platform(&localnet).await;
    let (_dir, database) = gateway_harness::sqlite();
    let running = gateway_harness::start_for(&database, &localnet, &f, wallet).await;
    let api = Api::with_all_scopes(&running).await;
    let receiver = Receiver::start(0).await;
    let hook = api.subscribe(&receiver, &["invoice.paid"]).await;
    let old = hook["secret"].as_str().unwrap().to_string();
    let rotate = format!(
        "/v1/webhooks/{}/rotate-secret",
        hook["id"].as_str().unwrap()
    );
    let (status, rotated) = api.post(&rotate, json!({"overlap_secs": 3600})).await;
    assert_eq!(status, 200, "{rotated}");
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    let first = create(&api, json!({"amount": "1"})).await;
    pay(&f, first["url"].as_str().unwrap(), None).await;
    let got = receiver.wait_for(1).await;
    let verifies = |received: &usd1_tests::gateway_harness::Received, secret: &str| {
        let now = usd1_gateway::store::now();
        usd1_gateway::signature::verify(&received.signature, secret, &received.raw, now, 300)
            .is_ok()
    };
    assert_eq!(
        got[0].signature.matches("v1=").count(),
        2,
        "{}",
        got[0].signature
    );
    assert!(
        verifies(&got[0], &old),
        "the old secret still signs during the overlap"
    );
    assert!(verifies(&got[0], &new), "the new secret signs");
    // The same delivery, judged by the Standard Webhooks libraries (npm and
    // PyPI) unchanged: both secrets verify it; a tampered body, another
    // secret and a timestamp older than their five minutes are refused.
    let body = String::from_utf8(got[0].raw.clone()).unwrap();
    let [id, timestamp, signature] = got[0].standard.clone();
    assert_eq!(id, got[0].event_id);
    assert_eq!(signature.matches("v1,").count(), 2, "{signature}");
    let old_time = (usd1_gateway::store::now() - 600).to_string();
    let old_signature = usd1_service::signature::sign_standard(
        &[&new],
        &id,
        usd1_gateway::store::now() - 600,
        body.as_bytes(),
    );
    let cases = [
        Case::new(&old, &body, &id, &timestamp, &signature),
        Case::new(&new, &body, &id, &timestamp, &signature),
        Case::new(
            &new,
            &body.replace("invoice", "invoicf"),
            &id,
            &timestamp,
            &signature,
        ),
        Case::new(
            &usd1_service::signature::new_secret(),
            &body,
            &id,
            &timestamp,
            &signature,
        ),
        Case::new(&new, &body, &id, &old_time, &old_signature),
    ];
    let judged = usd1_tests::webhook_judges::judge(&cases);
    for (n, (npm, pypi)) in judged.iter().enumerate() {
        let expected = n < 2;
        assert_eq!(
            (npm == "ok", pypi == "ok"),
            (expected, expected),
            "case {n}: {npm} / {pypi}"
        );
    }
    assert!(
        judged[4].0.contains("too old") && judged[4].1.contains("too old"),
        "{judged:?}"
    );
    // Rotated again without overlap: only the newest secret signs.
    let (_, again) = api.post(&rotate, json!({"overlap_secs": 0})).await;
    let newest = again["secret"].as_str().unwrap().to_string();
    let second = create(&api, json!({"amount": "2"})).await;
    pay(&f, second["url"].as_str().unwrap(), None).await;
    let got = receiver.wait_for(2).await;
    assert_eq!(
        got[1].signature.matches("v1=").count(),
        1,
        "{}",
        got[1].signature
    );
    assert!(verifies(&got[1], &newest));
    assert!(
        !verifies(&got[1], &new),
        "a secret rotated out no longer signs"
    );
}
