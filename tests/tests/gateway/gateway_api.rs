//! Every answer of the API is its own (issue 33, item 17): errors outside
//! the handlers (a bad query string, a wrong method, an unknown path) are
//! JSON bodies with a code, given only after the key is checked; requests
//! without a known key are throttled by address before the database is
//! asked; whole-table reads have a rate of their own; a database error's
//! text never reaches the client; and a client that sends its headers or
//! its body too slowly is cut off.
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use usd1_tests::gateway_harness::{self, funded_platform, sqlite, Api};
use usd1_tests::localnet::localnet;

fn code(answer: &(u16, Value)) -> (u16, String) {
    (
        answer.0,
        answer.1["error"]["code"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_a_json_body_with_a_code_and_no_driver_text() {
    let localnet = localnet().await;
    let (f, wallet) = funded_platform(&localnet).await;
    let (_dir, database) = sqlite();
    let settings = gateway_harness::settings(&database, &localnet.url, wallet, f.usd1.mint());
    let running = gateway_harness::start(&settings).await;
    let api = Api::with_all_scopes(&running).await;
    let nobody = api.with_key("usd1_sk_nobody");

    // The key first: a bad query without a key is 401, not 400.
    assert_eq!(
        code(&nobody.get("/v1/invoices?colour=red").await),
        (401, "unauthorized".into())
    );
    for path in [
        "/v1/invoices?colour=red",
        "/v1/invoices?limit=abc",
        "/v1/cases?status=x&y=1",
    ] {
        assert_eq!(
            code(&api.get(path).await),
            (400, "invalid_query".into()),
            "{path}"
        );
    }
    // A wrong method and an unknown path: JSON too.
    assert_eq!(
        code(&api.call("DELETE", "/v1/invoices", None).await),
        (405, "method_not_allowed".into())
    );
    assert_eq!(
        code(&api.get("/v1/nothing-here").await),
        (404, "not_found".into())
    );

    // Whole-table reads: two at once, then wait. A bounded range is not one.
    assert_eq!(api.get("/v1/exports/ledger.json").await.0, 200);
    assert_eq!(api.get("/v1/exports/ledger.json").await.0, 200);
    let (status, body) = api.get("/v1/exports/ledger.json").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("rate_limited")),
        "{body}"
    );
    assert_eq!(
        api.get("/v1/exports/ledger.json?from=2026-01-01&to=2026-02-01")
            .await
            .0,
        200
    );
    let (status, body) = api.get("/v1/cases/verify").await;
    assert_eq!(status, 429, "{body}");

    // A database error: a 500 with a reference, and none of the driver's words.
    sqlx::query("DROP TABLE case_files")
        .execute(running.store.pool())
        .await
        .unwrap();
    let case = running
        .store
        .open_case(
            &solana_sdk::pubkey::Pubkey::new_unique().to_string(),
            "x",
            &usd1_gateway::store::cases::Actor::new("ops", None),
        )
        .await
        .unwrap();
    let (status, body) = api.get(&format!("/v1/cases/{}", case.id)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (500, Some("internal_error"))
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("reference err_"), "{message}");
    for word in ["case_files", "sqlite", "table", "database"] {
        assert!(!message.to_lowercase().contains(word), "{message}");
    }

    // Unknown keys from one address: twenty at once (the bucket full again
    // after the earlier one: it refills at ten a second), then 429, without
    // the database being asked. The loop's own time may refill one or two.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(nobody.get("/v1/invoices").await.0);
    }
    let refused = statuses.iter().position(|s| *s == 429).expect("a 429");
    assert!((20..=22).contains(&refused), "{statuses:?}");
    assert!(
        statuses[..refused].iter().all(|s| *s == 401),
        "{statuses:?}"
    );
    assert!(
        statuses[refused..].iter().filter(|s| **s == 429).count() >= 7,
        "{statuses:?}"
    );
    let (status, _) = nobody.get("/v1/invoices").await;
    assert_eq!(status, 429);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(
        api.get("/v1/invoices").await.0,
        200,
        "a real key after the refill"
    );

    // Slow clients: headers never finished, a body never sent.
    let address = running.addr;
    let started = Instant::now();
    let mut silent = tokio::net::TcpStream::connect(address).await.unwrap();
    silent
        .write_all(b"GET /v1/invoices HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let _ = silent.read_to_end(&mut rest).await;
    let cut = started.elapsed();
    assert!(
        cut >= Duration::from_millis(1_900) && cut < Duration::from_secs(6),
        "headers cut off after {cut:?}"
    );
    let mut slow = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /v1/invoices HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"amount\"",
        api.key
    );
    slow.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.ends_with(
            r#"{"error":{"code":"request_timeout","message":"the request took longer than 3 s"}}"#
        ),
        "{answer}"
    );
}

/// Every code the API answers with, read from the gateway's sources and the
/// service kit's beneath it, is in the gateway guide's list of error codes
/// (docs/payments.md).
#[test]
fn the_guide_names_every_error_code_the_api_answers() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let readme = std::fs::read_to_string(root.join("docs/payments.md")).unwrap();
    let mut files = vec![root.join("gateway/src"), root.join("service/src")];
    let mut codes = std::collections::BTreeSet::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for opening in ["ApiError::new(", "ApiError::bad("] {
            for (at, _) in text.match_indices(opening) {
                // The code: the call's first string literal.
                let rest = &text[at + opening.len()..];
                let Some(start) = rest.find('"') else {
                    continue;
                };
                if rest[..start].contains(')') {
                    continue;
                }
                let code = &rest[start + 1..];
                let code = &code[..code.find('"').unwrap()];
                if code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                    codes.insert(code.to_string());
                }
            }
        }
    }
    codes.insert("not_found".into());
    assert!(codes.len() > 40, "{codes:?}");
    let missing: Vec<&String> = codes
        .iter()
        .filter(|c| !readme.contains(&format!("`{c}`")))
        .collect();
    assert!(missing.is_empty(), "not in docs/payments.md: {missing:?}");
}

/// `Idempotency-Key` on a create: the same request again gets the first
/// answer (one invoice), another body under the key is a conflict, a key
/// that is not 1–255 visible characters is refused by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_is_created_once_per_idempotency_key() {
    let localnet = localnet().await;
    let (f, wallet) = funded_platform(&localnet).await;
    let (_dir, database) = sqlite();
    let settings = gateway_harness::settings(&database, &localnet.url, wallet, f.usd1.mint());
    let running = gateway_harness::start(&settings).await;
    let api = Api::with_all_scopes(&running).await;
    let client = reqwest::Client::new();
    let send = |body: &'static str, idem: String| {
        let request = client
            .post(format!("{}/v1/invoices", api.base))
            .bearer_auth(&api.key)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", idem)
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let replayed = response.headers().contains_key("idempotent-replayed");
            (
                response.status().as_u16(),
                replayed,
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, replayed, first) = send(r#"{"amount": "5.00"}"#, "order-7".into()).await;
    assert_eq!((status, replayed), (201, false), "{first}");
    let (status, replayed, again) = send(r#"{"amount": "5.00"}"#, "order-7".into()).await;
    assert_eq!((status, replayed, &again), (201, true, &first));
    let (status, _, conflict) = send(r#"{"amount": "6.00"}"#, "order-7".into()).await;
    assert_eq!(
        (status, conflict["error"]["code"].as_str()),
        (409, Some("idempotency_conflict"))
    );
    let (status, _, bad) = send(r#"{"amount": "5.00"}"#, "x".repeat(256)).await;
    assert_eq!(
        (status, bad["error"]["code"].as_str()),
        (400, Some("invalid_idempotency_key"))
    );
    let (_, listed) = api.get("/v1/invoices").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}
