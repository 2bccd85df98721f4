//! Webhooks that cannot be turned against the gateway or its other
//! tenants (issue 33, items 11 to 13), with the gateway in process over the
//! localnet: private destinations refused at creation and at delivery, no
//! redirect followed, coarse errors in the log; a revoked key's and a
//! deleted subscription's deliveries stopped; compliance and treasury-wide
//! events only for keys that may read them; a cap on subscriptions per key;
//! and one key's 320 hanging receivers never delaying another key's event.
use std::time::{Duration, Instant};

use serde_json::json;
use solana_sdk::signature::Signer;
use usd1_gateway::store::keys::Scope;
use usd1_tests::cli_harness::usd1;
use usd1_tests::gateway_harness::{self, funded_platform, sqlite, Api, Receiver};
use usd1_tests::localnet::localnet;

/// An unmatched payment to the treasury: the holder sends 1 to `wallet`.
async fn unmatched(f: &usd1_tests::Platform, wallet: &solana_sdk::pubkey::Pubkey) {
    let (mint, to) = (f.usd1.mint().to_string(), wallet.to_string());
    usd1(f, &f.holder, &["transfer", "1", &to, "--mint", &mint])
        .await
        .expect("usd1 transfer");
}

/// A receiver that redirects every POST to `to` with a 307 (which a client
/// following it would re-POST, signed body and all).
async fn redirecting(to: &str) -> String {
    let to = to.to_string();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let to = to.clone();
            async move {
                (
                    axum::http::StatusCode::TEMPORARY_REDIRECT,
                    [("location", to)],
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// A receiver that accepts connections and never answers.
async fn hanging() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_go_only_where_and_to_whom_they_may() {
    let localnet = localnet().await;
    let (f, wallet) = funded_platform(&localnet).await;
    let (_dir, database) = sqlite();
    let mut settings = gateway_harness::settings(&database, &localnet.url, wallet, f.usd1.mint());
    settings.allow_private_webhooks = false;
    let running = gateway_harness::start(&settings).await;
    let api = Api::with_all_scopes(&running).await;

    // Item 11: private destinations, in any spelling, refused at creation.
    for url in [
        "http://127.0.0.1:9/hook",
        "http://2130706433/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/hook",
        "http://100.64.1.1/hook",
    ] {
        let (status, refused) = api
            .post(
                "/v1/webhooks",
                json!({"url": url, "events": ["invoice.paid"]}),
            )
            .await;
        assert_eq!(
            (status, refused["error"]["code"].as_str()),
            (400, Some("forbidden_destination")),
            "{url}: {refused}"
        );
    }
    // A subscription whose address turned private after it was made (a row
    // written behind the API's back stands for a rebound name) is refused
    // at delivery, and the log says only that.
    let (key, _) = running
        .store
        .create_key(
            "t",
            "treasury-ops",
            &[Scope::WebhooksWrite, Scope::TreasuryRead],
        )
        .await
        .unwrap();
    let hook = running
        .store
        .create_webhook(
            &key.id,
            "http://127.0.0.1:9/hook",
            &["payment.unmatched".into()],
        )
        .await
        .unwrap();
    gateway_harness::watching(&running).await;
    unmatched(&f, &wallet).await;
    let mut log = Vec::new();
    for _ in 0..300 {
        log = running.store.deliveries(&hook.id).await.unwrap();
        if log.first().is_some_and(|d| d.attempts > 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        log[0].last_error.as_deref(),
        Some("refused: not a public address"),
        "{log:?}"
    );
    drop(running);

    // Item 11: a redirect is never followed (loopback allowed here, for the
    // tests' receivers): the 307 is an answer that is not 2xx, retried.
    let (_dir, database) = sqlite();
    let settings = gateway_harness::settings(&database, &localnet.url, wallet, f.usd1.mint());
    let running = gateway_harness::start(&settings).await;
    gateway_harness::watching(&running).await;
    let api = Api::with_all_scopes(&running).await;
    let target = Receiver::start(0).await;
    let redirect = redirecting(&target.url).await;
    let (status, hook) = api
        .post(
            "/v1/webhooks",
            json!({"url": redirect, "events": ["payment.unmatched"]}),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let hook_id = hook["id"].as_str().unwrap().to_string();

    // Item 12: keys that may not read the treasury or cases subscribe to
    // neither; a deleted subscription and a revoked key's hear no more.
    let invoices_only =
        Api::with_scopes(&running, &[Scope::WebhooksWrite, Scope::InvoicesWrite]).await;
    for (event, scope) in [
        ("payment.unmatched", "treasury:read"),
        ("attestation.published", "treasury:read"),
        ("payment.held", "cases:read"),
    ] {
        let (status, refused) = invoices_only
            .post(
                "/v1/webhooks",
                json!({"url": target.url, "events": [event]}),
            )
            .await;
        assert_eq!(
            (status, refused["error"]["code"].as_str()),
            (403, Some("missing_scope")),
            "{event}: {refused}"
        );
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains(scope),
            "{refused}"
        );
    }
    let deleted = Receiver::start(0).await;
    let gone = api.subscribe(&deleted, &["payment.unmatched"]).await;
    let revoked_receiver = Receiver::start(0).await;
    let (revoked_key, revoked_secret) = running
        .store
        .create_key("r", "leaver", &Scope::ALL)
        .await
        .unwrap();
    let leaver = Api::at(&api.base, &revoked_secret);
    leaver
        .subscribe(&revoked_receiver, &["payment.unmatched"])
        .await;
    let live = Receiver::start(0).await;
    api.subscribe(&live, &["payment.unmatched"]).await;
    let path = format!("/v1/webhooks/{}", gone["id"].as_str().unwrap());
    let (status, body) = api.call("DELETE", &path, None).await;
    assert_eq!(
        (status, body["deleted"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    let (status, _) = api.call("DELETE", &path, None).await;
    assert_eq!(status, 404);
    assert!(running.store.revoke_key(&revoked_key.id).await.unwrap());
    unmatched(&f, &wallet).await;
    live.wait_for(1).await;
    assert!(deleted.accepted().is_empty() && revoked_receiver.accepted().is_empty());
    // The redirect was answered, not followed: nothing reached its target.
    let mut log = Vec::new();
    for _ in 0..100 {
        log = running.store.deliveries(&hook_id).await.unwrap();
        if log.iter().any(|d| d.attempts > 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        log.iter()
            .any(|d| d.last_error.as_deref() == Some("HTTP 307")),
        "{log:?}"
    );
    assert_eq!(target.requests.load(std::sync::atomic::Ordering::SeqCst), 0);

    // Item 13: at most 16 live webhooks a key.
    let capped = Api::with_all_scopes(&running).await;
    for n in 0..16 {
        let (status, _) = capped
            .post(
                "/v1/webhooks",
                json!({"url": format!("{}?{n}", target.url), "events": ["invoice.paid"]}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (status, refused) = capped
        .post(
            "/v1/webhooks",
            json!({"url": target.url, "events": ["invoice.paid"]}),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("too_many_webhooks")),
        "{refused}"
    );
}

/// Item 13: key A's 320 webhooks go to a receiver that never answers; key
/// B's one webhook still gets the same event within 2 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_keys_hanging_receivers_never_delay_another_keys_event() {
    let localnet = localnet().await;
    let (f, wallet) = funded_platform(&localnet).await;
    let (_dir, database) = sqlite();
    let mut settings = gateway_harness::settings(&database, &localnet.url, wallet, f.usd1.mint());
    settings.max_webhooks_per_key = 400;
    let running = gateway_harness::start(&settings).await;
    gateway_harness::watching(&running).await;
    let a = Api::with_all_scopes(&running).await;
    let b = Api::with_all_scopes(&running).await;
    let stuck = hanging().await;
    for n in 0..320 {
        let (status, hook) = a
            .post(
                "/v1/webhooks",
                json!({"url": format!("{stuck}?{n}"), "events": ["payment.unmatched"]}),
            )
            .await;
        assert_eq!(status, 201, "{hook}");
    }
    let receiver = Receiver::start(0).await;
    b.subscribe(&receiver, &["payment.unmatched"]).await;
    unmatched(&f, &wallet).await;
    // The event is written when the watcher records the payment: time from then.
    let written = Instant::now();
    let mut recorded = false;
    for _ in 0..600 {
        if !running
            .store
            .movements(None, None)
            .await
            .unwrap()
            .is_empty()
        {
            recorded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(recorded, "the payment was recorded");
    let got = receiver.wait_for(1).await;
    let waited = got[0].at.duration_since(written);
    assert!(
        waited < Duration::from_secs(2),
        "key B's event took {waited:?} behind key A's hanging receivers"
    );
    assert_eq!(got[0].body["type"], "payment.unmatched");
    let _ = f.holder.pubkey();
}
