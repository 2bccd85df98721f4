//! The tour's gateway step: `usd1-gateway` as its own process, an invoice
//! created through its API, paid by `usd1 transfer --reference` as a Solana
//! Pay wallet pays it, the signed webhook received and verified by a small
//! receiver, and the ledger export's last balance checked against the chain.
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context as _, Result};
use serde_json::{json, Value};
use solana_sdk::signature::{Keypair, Signer};

use super::{binary, free_port, Stage};
use crate::gateway_harness::{Api, Receiver};

/// Kills the gateway process however the step ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A key with every scope, made by `usd1-gateway api-key create` on `database`.
pub fn api_key(database: &str, name: &str) -> Result<String> {
    let created = Command::new(binary("usd1-gateway")?)
        .args(["--database", database, "api-key", "create", "--name", name])
        .args(["--operator", "Tour Shop's integration"])
        .args(["--scope", "invoices:write", "--scope", "invoices:read"])
        .args(["--scope", "webhooks:write", "--scope", "exports:read"])
        .output()
        .context("usd1-gateway api-key create")?;
    ensure!(
        created.status.success(),
        "api-key create: {}",
        String::from_utf8_lossy(&created.stderr)
    );
    Ok(String::from_utf8(created.stdout)?.trim().to_string())
}

pub async fn run(stage: &Stage, say: &dyn Fn(&str)) -> Result<()> {
    let gateway = binary("usd1-gateway")?;
    let database = format!("sqlite:{}", stage.cast.dir.join("gateway.db").display());
    let key = api_key(&database, "tour")?;
    let treasury = Keypair::new().pubkey();
    let port = free_port()?;
    let _process = Running(
        Command::new(&gateway)
            .args(["--database", &database, "--case-key"])
            .arg(stage.cast.dir.join("gateway.case-key"))
            .args(["serve", "--url", &stage.url, "--mint", &stage.mint])
            // The tour's receiver listens on 127.0.0.1.
            .arg("--allow-private-webhooks")
            .args([
                "--treasury",
                &treasury.to_string(),
                "--commitment",
                "confirmed",
            ])
            .args(["--listen", &format!("127.0.0.1:{port}"), "--poll-ms", "200"])
            .stdout(Stdio::null())
            .spawn()
            .context("usd1-gateway serve")?,
    );
    let ready = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        ensure!(
            ready.elapsed() < Duration::from_secs(20),
            "usd1-gateway did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let api = Api::at(&format!("http://127.0.0.1:{port}"), &key);
    let receiver = Receiver::start(0).await;
    let (status, hook) = api
        .post(
            "/v1/webhooks",
            json!({"url": receiver.url, "events": ["invoice.paid"]}),
        )
        .await;
    ensure!(status == 201, "webhook: {hook}");
    *receiver.secret.lock().expect("secret") =
        hook["secret"].as_str().unwrap_or_default().to_string();
    let (status, invoice) = api
        .post(
            "/v1/invoices",
            json!({"amount": "125.50", "label": "Tour Shop", "message": "Order 1"}),
        )
        .await;
    ensure!(status == 201, "invoice: {invoice}");
    let url = invoice["url"].as_str().unwrap_or_default();
    say(&format!(
        "usd1-gateway: invoice {} created through the API: {url}",
        invoice["id"].as_str().unwrap_or_default()
    ));

    let reference = invoice["reference"].as_str().unwrap_or_default();
    let args = [
        "transfer",
        "125.5",
        &treasury.to_string(),
        "--reference",
        reference,
        "--mint",
        &stage.mint,
    ];
    stage.usd1(&stage.cast.holder, &args)?;
    let arrived = Instant::now();
    let event = loop {
        if let Some(event) = receiver.unique().into_iter().next() {
            break event;
        }
        if arrived.elapsed() > Duration::from_secs(30) {
            bail!("no webhook arrived");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    ensure!(
        event.verified,
        "the webhook's Usd1-Signature does not verify"
    );
    ensure!(event.body["type"] == "invoice.paid", "{}", event.body);
    say(&format!(
        "usd1 transfer 125.5 --reference {reference}: the receiver got {} ({}), its Usd1-Signature verified",
        event.body["type"].as_str().unwrap_or_default(),
        event.event_id
    ));

    let (_, csv) = api.get("/v1/exports/ledger.csv").await;
    let csv = csv.as_str().unwrap_or_default();
    let closing = csv
        .lines()
        .last()
        .and_then(|l| l.split(',').nth(8))
        .unwrap_or_default();
    let balance = stage.usd1(
        &stage.cast.holder,
        &[
            "balance",
            &treasury.to_string(),
            "--mint",
            &stage.mint,
            "--output",
            "json",
        ],
    )?;
    let balance: Value = serde_json::from_str(&balance)?;
    let on_chain = balance["amount"].as_str().unwrap_or_default();
    ensure!(
        closing == on_chain,
        "the export closes at {closing}, the chain holds {on_chain}"
    );
    say(&format!("usd1-gateway export: the ledger's last running balance {closing} equals the treasury's balance on-chain"));
    Ok(())
}
