//! `usd1-gateway trigger EVENT`: the sandbox's event maker, as the Stripe
//! CLI's `trigger` is. It makes the real thing happen on the cluster (a
//! localnet) — an invoice made through the API and paid by a funded test
//! wallet, money in with no reference, a redemption requested by the
//! treasury and settled or rejected by the treasurer — so the real event
//! leaves through the gateway's real outbox to every subscription. An event
//! that cannot be made to happen on demand is refused by name, saying why.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use serde_json::{json, Value};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::issuer::Usd1;
use usd1_client::rpc::RpcLedger;
use usd1_client::solana_pay::TransferRequest;

#[derive(Debug, clap::Args)]
pub struct Trigger {
    /// invoice.paid, invoice.underpaid, invoice.overpaid, invoice.expired,
    /// invoice.paid_after_close, payment.unmatched, redemption.requested,
    /// redemption.settled or redemption.rejected.
    event: String,
    /// The gateway's API.
    #[arg(long, default_value = "http://127.0.0.1:8787")]
    api: String,
    /// An API key that may create invoices.
    #[arg(long, env = "USD1_GATEWAY_API_KEY", hide_env_values = true)]
    api_key: String,
    /// The cluster's JSON-RPC URL (a localnet).
    #[arg(long, short = 'u', default_value = "http://127.0.0.1:8899")]
    url: String,
    /// A funded test wallet (SOL and USD1) that pays invoices: a keypair file.
    #[arg(long, value_name = "KEYPAIR")]
    wallet: PathBuf,
    /// The treasury wallet's keypair (it requests the redemption events' redemptions).
    #[arg(long, value_name = "KEYPAIR")]
    treasury_keypair: Option<PathBuf>,
    /// The treasurer's keypair (it settles or rejects them).
    #[arg(long, value_name = "KEYPAIR")]
    treasurer: Option<PathBuf>,
}

/// Events no command can make happen at will, and why.
fn not_on_demand(event: &str) -> Option<&'static str> {
    Some(match event {
        "invoice.payment_reversed" | "payment.reversed" => {
            "it needs a payment confirmed on a fork that then does not last; the tests make one with a proxy that makes the node forget it"
        }
        "payment.held" => {
            "it needs a sender on the gateway's sanctions lists: add the test wallet to a list file given to serve --list, then trigger invoice.paid"
        }
        "attestation.published" => {
            "attestations are the attestors' to make: run a round of usd1-oracle (usd1-oracle --once)"
        }
        _ => return None,
    })
}

struct Sandbox<'a> {
    args: &'a Trigger,
    http: reqwest::Client,
    wallet: Arc<Keypair>,
}

impl Sandbox<'_> {
    async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let api = (self.args.api.as_str(), self.args.api_key.as_str());
        let (status, answer) = crate::listen_cli::call(&self.http, api, method, path, body).await?;
        if !(200..300).contains(&status) {
            bail!(
                "the gateway answered {status}: {} {}",
                answer["error"]["code"].as_str().unwrap_or("?"),
                answer["error"]["message"].as_str().unwrap_or("")
            );
        }
        Ok(answer)
    }

    /// A new invoice (`body` as the API takes it) and its payment request.
    async fn invoice(&self, body: Value) -> anyhow::Result<(Value, TransferRequest)> {
        let invoice = self
            .api(reqwest::Method::POST, "/v1/invoices", Some(body))
            .await?;
        let url = invoice["url"].as_str().unwrap_or_default();
        let request = TransferRequest::parse(url, usd1_gateway::store::payload::DECIMALS)
            .map_err(|e| anyhow!("the invoice's URL {url}: {e}"))?;
        Ok((invoice, request))
    }

    async fn usd1(&self, mint: &Pubkey, payer: Arc<Keypair>) -> anyhow::Result<Usd1<RpcLedger>> {
        let ledger = Arc::new(RpcLedger::new(
            self.args.url.clone(),
            CommitmentConfig::confirmed(),
        ));
        Ok(Usd1::connect(ledger, payer, *mint).await?)
    }

    /// The test wallet pays `units` toward `request`, with its reference.
    async fn pay(
        &self,
        request: &TransferRequest,
        units: u64,
        reference: bool,
    ) -> anyhow::Result<String> {
        let mint = request.spl_token.context("the invoice names no mint")?;
        let usd1 = self.usd1(&mint, self.wallet.clone()).await?;
        let references = if reference {
            request.references.clone()
        } else {
            Vec::new()
        };
        let executed = usd1
            .pay_request(
                self.wallet.as_ref(),
                &request.recipient,
                units,
                &references,
                None,
            )
            .await?;
        Ok(executed.signature.to_string())
    }

    /// Until the API shows invoice `id` in `status` (within 60 s).
    async fn until_status(&self, id: &str, status: &str) -> anyhow::Result<()> {
        for _ in 0..600 {
            let invoice = self
                .api(reqwest::Method::GET, &format!("/v1/invoices/{id}"), None)
                .await?;
            if invoice["status"] == status {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("invoice {id} did not become {status} within 60 s")
    }

    /// A redemption of the disclosed minimum requested by the treasury: its id and handle.
    async fn redemption(&self) -> anyhow::Result<(u64, Usd1<RpcLedger>)> {
        let treasury = keypair(self.args.treasury_keypair.as_ref(), "--treasury-keypair")?;
        let (_, request) = self.invoice(json!({"amount": "0.01"})).await?;
        let mint = request.spl_token.context("the invoice names no mint")?;
        if treasury.pubkey() != request.recipient {
            bail!(
                "--treasury-keypair is {}, the gateway's treasury is {}",
                treasury.pubkey(),
                request.recipient
            );
        }
        let usd1 = self.usd1(&mint, treasury.clone()).await?;
        // The disclosed minimum (the program refuses less).
        let amount = usd1.disclosure().await?.min_redemption.max(1);
        let held = usd1.balance(&treasury.pubkey()).await.unwrap_or(0);
        if held < amount {
            bail!(
                "the treasury holds {} USD1 and a redemption is at least {}: pay it more first (trigger invoice.paid)",
                usd1_client::format_amount(held, 6),
                usd1_client::format_amount(amount, 6)
            );
        }
        let (id, _) = usd1
            .request_redemption(treasury.as_ref(), amount, [0x5a; 32])
            .await?;
        Ok((id, usd1))
    }
}

fn keypair(path: Option<&PathBuf>, flag: &str) -> anyhow::Result<Arc<Keypair>> {
    let path = path.with_context(|| format!("this event needs {flag} KEYPAIR"))?;
    Ok(Arc::new(usd1_client::keypair::read_keypair_file(path)?))
}

pub async fn run(args: Trigger) -> anyhow::Result<()> {
    if let Some(why) = not_on_demand(&args.event) {
        bail!("{} cannot be triggered: {why}", args.event);
    }
    let sandbox = Sandbox {
        args: &args,
        http: reqwest::Client::new(),
        wallet: Arc::new(usd1_client::keypair::read_keypair_file(&args.wallet)?),
    };
    let done = match args.event.as_str() {
        "invoice.paid" | "invoice.underpaid" | "invoice.overpaid" => {
            let (invoice, request) = sandbox.invoice(json!({"amount": "1.00"})).await?;
            let units = match args.event.as_str() {
                "invoice.paid" => 1_000_000,
                "invoice.underpaid" => 400_000,
                _ => 1_500_000,
            };
            let signature = sandbox.pay(&request, units, true).await?;
            format!(
                "invoice {} paid {} by {signature}",
                invoice["id"],
                usd1_client::format_amount(units, 6)
            )
        }
        "invoice.expired" | "invoice.paid_after_close" => {
            let expires = usd1_service::time::now() + 2;
            let (invoice, request) = sandbox
                .invoice(json!({"amount": "1.00", "expires_at": expires}))
                .await?;
            let id = invoice["id"].as_str().unwrap_or_default();
            sandbox.until_status(id, "expired").await?;
            if args.event == "invoice.paid_after_close" {
                let signature = sandbox.pay(&request, 1_000_000, true).await?;
                format!("invoice {id} expired, then paid by {signature}")
            } else {
                format!("invoice {id} expired")
            }
        }
        "payment.unmatched" => {
            let (invoice, request) = sandbox.invoice(json!({"amount": "0.01"})).await?;
            let signature = sandbox.pay(&request, 10_000, false).await?;
            format!(
                "0.01 sent to the treasury without a reference by {signature} (invoice {} left open)",
                invoice["id"]
            )
        }
        "redemption.requested" => {
            let (id, _) = sandbox.redemption().await?;
            format!("redemption {id} requested by the treasury")
        }
        "redemption.settled" | "redemption.rejected" => {
            let treasurer = keypair(args.treasurer.as_ref(), "--treasurer")?;
            let (id, usd1) = sandbox.redemption().await?;
            if args.event == "redemption.settled" {
                usd1.settle_redemption(treasurer.as_ref(), id, [0x5b; 32])
                    .await?;
                format!("redemption {id} requested and settled")
            } else {
                usd1.reject_redemption(treasurer.as_ref(), id, 1).await?;
                format!("redemption {id} requested and rejected")
            }
        }
        other => bail!(
            "{other} is not an event of the gateway's: {}",
            usd1_gateway::store::webhooks::EVENT_KINDS.join(", ")
        ),
    };
    println!("Triggered {}: {done}", args.event);
    Ok(())
}
