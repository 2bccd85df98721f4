//! The gateway while its database is away (issue 40), as real processes:
//! PostgreSQL stopped under a running `usd1-gateway` and started again; a
//! SQLite file whose write lock another process holds. In each: `/ready`
//! turns 503 within 2 s and 200 again after; every API call that needs the
//! database answers `503 database_unavailable` with `Retry-After` within
//! the bound (2 s), never a driver's text; on SQLite reads are served from
//! the WAL at once; payments made during the outage are recorded once and
//! their webhooks delivered after; the watcher and the deliverer log the
//! outage's start and end once each.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use usd1_tests::cli_harness::pay_request;
use usd1_tests::gateway_harness::{funded_platform, Api, Receiver};
use usd1_tests::gateway_process::{create_key, until_probe, GatewayProcess, Serve};
use usd1_tests::localnet::localnet;
use usd1_tests::postgres::Postgres;
use usd1_tests::tour::build_binaries;

/// The bound a request waits for the database (`--database-timeout-ms`'s default).
const BOUND: Duration = Duration::from_secs(2);
/// What a request may take beyond it (HTTP, the runtime, a loaded machine).
const SLACK: Duration = Duration::from_millis(700);

/// Another process holding SQLite's write lock (`BEGIN EXCLUSIVE`) until dropped.
struct LockHolder(Child);

impl LockHolder {
    fn take(path: &str) -> Self {
        let mut child = Command::new("python3")
            .args([
                "-c",
                "import sqlite3, sys\n\
                 c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
                 c.execute('BEGIN EXCLUSIVE')\n\
                 print('locked', flush=True)\n\
                 sys.stdin.read()\n",
                path,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "locked");
        LockHolder(child)
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An outage of the gateway's database.
enum Outage<'a> {
    Postgres(&'a Postgres),
    SqliteLock(String),
}

/// `METHOD path` as `key`: status, body, `Retry-After`, and how long it took.
async fn timed(
    base: &str,
    key: &str,
    method: &str,
    path: &str,
) -> (u16, Value, Option<String>, Duration) {
    let started = Instant::now();
    let client = reqwest::Client::new();
    let request = match method {
        "POST" => client
            .post(format!("{base}{path}"))
            .header("Content-Type", "application/json")
            .body(json!({"amount": "1"}).to_string()),
        _ => client.get(format!("{base}{path}")),
    };
    let response = request
        .bearer_auth(key)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body, retry, started.elapsed())
}

async fn through(database: &str, outage: Outage<'_>) {
    build_binaries().expect("binaries");
    let localnet = localnet().await;
    let (f, wallet) = funded_platform(&localnet).await;
    let serve = Serve::new(database, &localnet.url, &f.usd1.mint(), &wallet);
    let scopes = [
        "invoices:write",
        "invoices:read",
        "webhooks:write",
        "exports:read",
    ];
    let key = create_key(database, "shop", &scopes);
    let gateway = GatewayProcess::spawn(&serve).await;
    let api = Api::at(&gateway.url(), &key);
    let receiver = Receiver::start(0).await;
    api.subscribe(&receiver, &["invoice.paid"]).await;
    until_probe(&gateway, "/ready", Duration::from_secs(30), |s, _| s == 200).await;
    let invoices = vec![api.invoice("1.5").await, api.invoice("2.5").await];

    // The database goes away.
    let lock = match &outage {
        Outage::Postgres(server) => {
            server.stop();
            None
        }
        Outage::SqliteLock(path) => Some(LockHolder::take(path)),
    };
    let took = until_probe(
        &gateway,
        "/ready",
        Duration::from_secs(10),
        |status, body| status == 503 && body["checks"]["database"]["ok"] == false,
    )
    .await;
    assert!(
        took < Duration::from_secs(2),
        "/ready turned after {took:?}"
    );
    let (_, ready) = gateway.probe("/ready").await;
    assert_eq!(ready["healthy"], false, "{ready}");
    // Alive all the same.
    assert_eq!(gateway.probe("/health").await.0, 200);

    // Payments made while it is away.
    for invoice in &invoices {
        pay_request(&f, invoice["url"].as_str().unwrap(), None).await;
    }
    // Every call that needs the database: 503 within the bound; on SQLite,
    // reads are served from the WAL at once.
    let base = gateway.url();
    for (method, path) in [
        ("POST", "/v1/invoices"),
        ("GET", "/v1/invoices"),
        ("GET", "/v1/exports/ledger.json"),
    ] {
        let (status, body, retry, took) = timed(&base, &key, method, path).await;
        match (&outage, method) {
            (Outage::SqliteLock(_), "GET") => {
                assert_eq!(status, 200, "{method} {path}: {body}");
                assert!(
                    took < Duration::from_secs(1),
                    "{method} {path} took {took:?}"
                );
            }
            _ => {
                assert_eq!(
                    (status, body["error"]["code"].as_str(), retry.as_deref()),
                    (503, Some("database_unavailable"), Some("1")),
                    "{method} {path}: {body}"
                );
                assert_eq!(
                    body["error"]["message"],
                    "the gateway's database is not answering; try again shortly"
                );
                assert!(took < BOUND + SLACK, "{method} {path} took {took:?}");
            }
        }
    }
    // Long enough for the watcher to have met the payments and failed.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.unique().len(), 0);

    // It comes back.
    match &outage {
        Outage::Postgres(server) => server.resume(),
        Outage::SqliteLock(_) => drop(lock),
    }
    until_probe(&gateway, "/ready", Duration::from_secs(20), |s, _| s == 200).await;
    let events = receiver
        .wait_for_unique(invoices.len(), Duration::from_secs(30))
        .await;
    let mut paid: Vec<&str> = events
        .iter()
        .map(|e| {
            assert!(e.verified);
            assert_eq!(e.body["type"], "invoice.paid");
            e.body["data"]["invoice"]["id"].as_str().unwrap()
        })
        .collect();
    paid.sort();
    let mut expected: Vec<&str> = invoices.iter().map(|i| i["id"].as_str().unwrap()).collect();
    expected.sort();
    assert_eq!(paid, expected);
    for invoice in &invoices {
        let (_, shown) = api
            .get(&format!("/v1/invoices/{}", invoice["id"].as_str().unwrap()))
            .await;
        assert_eq!(
            (shown["status"].as_str(), &shown["received"]),
            (Some("paid"), &shown["amount"])
        );
    }
    // Nothing more than those: recorded once.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.unique().len(), invoices.len());

    // The outage is logged once when it starts and once when it ends.
    for component in ["watcher", "deliverer"] {
        let said = gateway.log_lines(&format!("usd1-gateway: {component}: "));
        let (started, ended): (Vec<&String>, Vec<&String>) = said
            .iter()
            .partition(|l| l.contains("(said once; the end is logged too)"));
        assert_eq!(started.len(), 1, "{component}: {said:#?}");
        assert_eq!(ended.len(), 1, "{component}: {said:#?}");
        assert!(ended[0].contains("back after"), "{said:#?}");
    }
    let (_, metrics) = gateway.probe("/metrics").await;
    let metrics = metrics.as_str().unwrap();
    let errors = metrics
        .lines()
        .find_map(|l| l.strip_prefix("usd1_gateway_database_errors_total "))
        .unwrap();
    assert!(errors.parse::<u64>().unwrap() >= 1, "{metrics}");
    assert!(
        metrics.contains("usd1_gateway_requests_total{route=\"/v1/invoices\",status=\"503\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("usd1_gateway_ready 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_and_started_under_a_running_gateway() {
    let server = Postgres::start();
    let database = server.database("gateway");
    through(&database, Outage::Postgres(&server)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_write_lock_held_by_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.db").display().to_string();
    through(&format!("sqlite:{path}"), Outage::SqliteLock(path)).await;
}
