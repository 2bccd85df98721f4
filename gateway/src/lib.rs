//! `usd1-gateway`: the treasury's payments gateway. Invoices are Solana Pay
//! transfer requests with a fresh reference key; a watcher finds payments on
//! the treasury's token account and matches them; each state change writes
//! its events to a transactional outbox in the same database transaction;
//! deliverers send them as signed webhooks, at least once and in order per
//! invoice; the ledger export reconciles with the chain.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use usd1_client::ledger::Ledger;
use usd1_client::rpc::RpcLedger;

pub mod api;
pub mod export;
pub mod freeze;
pub mod health;
pub mod rescreen;
pub mod store;
pub mod wake;
pub mod watcher;

pub use usd1_service::{delivery, egress, server, signature};

/// The wallet invoices are paid to, its token account and the mint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Treasury {
    pub wallet: Pubkey,
    pub mint: Pubkey,
    pub account: Pubkey,
    /// The mint's token program (SPL Token or Token-2022).
    pub token_program: Pubkey,
}

impl Treasury {
    /// The treasury of `wallet` for `mint`, its account derived with the
    /// mint's own token program (read from the chain).
    pub async fn resolve(ledger: &RpcLedger, wallet: Pubkey, mint: Pubkey) -> anyhow::Result<Self> {
        let account = ledger
            .get_account(&mint)
            .await?
            .with_context(|| format!("mint {mint} does not exist on this cluster"))?;
        if account.owner != usd1_client::TOKEN_PROGRAM_ID
            && account.owner != usd1_client::TOKEN_2022_PROGRAM_ID
        {
            bail!("{mint} is not a token mint (owned by {})", account.owner);
        }
        let decimals = usd1_client::accounts::decode_mint(&mint, &account.data)?.decimals;
        if decimals != store::payload::DECIMALS {
            bail!(
                "mint {mint} has {decimals} decimals, the gateway serves USD1's {}",
                store::payload::DECIMALS
            );
        }
        Ok(Treasury {
            wallet,
            mint,
            account: usd1_client::pda::associated_token_account(&wallet, &mint, &account.owner),
            token_program: account.owner,
        })
    }
}

/// How long an idle deliverer waits before looking at the outbox again.
const DELIVERY_IDLE: Duration = Duration::from_millis(200);

/// How a gateway instance runs.
#[derive(Clone, Debug)]
pub struct Settings {
    pub database: String,
    pub rpc_url: String,
    /// The PubSub URL (default: beside the RPC URL, at its next port).
    pub ws_url: Option<String>,
    pub commitment: CommitmentConfig,
    pub wallet: Pubkey,
    pub mint: Pubkey,
    pub listen: SocketAddr,
    pub poll: Duration,
    pub backoff: store::outbox::Backoff,
    pub rate: api::RateLimit,
    /// Sanctions lists (OFAC SDN Advanced XML, SDN XML, the issuer's CSV):
    /// a listed sender's payment is held and opens a case.
    pub lists: Vec<std::path::PathBuf>,
    /// The case history's key file (created if missing); without one the
    /// history is hash-chained but not sealed (tests of the store alone).
    pub case_key: Option<std::path::PathBuf>,
    /// Webhooks may go to loopback and private addresses (development).
    pub allow_private_webhooks: bool,
    /// Live webhooks a key may hold.
    pub max_webhooks_per_key: usize,
    /// How long an API client may take to send headers (or idle) and a request.
    pub timeouts: server::Timeouts,
    /// Invoices' default lifetime and how many a key may have open.
    pub invoices: api::InvoiceLimits,
    /// Below `finalized`: how long a recorded movement may be unknown to
    /// the chain before it is reversed (longer than a blockhash lives).
    pub vanish_after: Duration,
    /// A new list version losing more of the previous one's addresses than
    /// this (basis points) waits for an operator's confirmation.
    pub max_list_loss_bps: u64,
    /// How long a caller waits for a database connection (and SQLite's
    /// write lock) before the database counts as unavailable.
    pub database_timeout: Duration,
}

/// A running gateway: its API's address; dropping it stops every task.
pub struct Running {
    pub addr: SocketAddr,
    pub store: store::Store,
    pub treasury: Treasury,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Opens the database, resolves the treasury and starts the API, the
/// watcher and a deliverer.
pub async fn start(settings: &Settings) -> anyhow::Result<Running> {
    let lists = Arc::new(rescreen::Lists::load_with(
        &settings.lists,
        settings.max_list_loss_bps,
    )?);
    let mut store = store::Store::open_with(&settings.database, settings.database_timeout).await?;
    if let Some(path) = &settings.case_key {
        store = store.sealed(store::cases::Seal::open_or_create(path)?);
    }
    let ledger = Arc::new(RpcLedger::new(
        settings.rpc_url.clone(),
        settings.commitment,
    ));
    let treasury = Treasury::resolve(&ledger, settings.wallet, settings.mint).await?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let health = Arc::new(health::Health::default());
    let app = api::router(Arc::new(
        api::AppState::new(store.clone(), treasury, ledger.clone(), settings.rate)
            .with_health(health.clone(), lists.clone())
            .with_webhooks(
                settings.allow_private_webhooks,
                settings.max_webhooks_per_key,
            )
            .with_invoices(settings.invoices),
    ));
    let server = tokio::spawn(server::serve(listener, app, settings.timeouts));
    let wake = Arc::new(tokio::sync::Notify::new());
    let mut tasks = vec![server];
    if let Some(ws_url) = settings
        .ws_url
        .clone()
        .or_else(|| wake::pubsub_url(&settings.rpc_url))
    {
        let commitment = settings.commitment.commitment.to_string();
        tasks.push(tokio::spawn(wake::subscribe(
            ws_url,
            treasury.account,
            commitment,
            wake.clone(),
        )));
    }
    let watcher = watcher::Watcher {
        store: store.clone(),
        ledger,
        treasury,
        poll: settings.poll,
        wake,
        lists,
        vanish_after: (settings.commitment != CommitmentConfig::finalized())
            .then_some(settings.vanish_after),
        health: health.clone(),
    };
    let deliverer = delivery::Deliverer::new(
        store.kit().clone(),
        settings.backoff,
        DELIVERY_IDLE,
        settings.allow_private_webhooks,
        concat!("usd1-gateway/", env!("CARGO_PKG_VERSION")),
    )
    .with_health(health);
    let watcher = Arc::new(watcher);
    tasks.push(tokio::spawn(watcher.clone().sweep()));
    tasks.push(tokio::spawn(watcher.clone().rescreen()));
    tasks.push(tokio::spawn(watcher.run()));
    tasks.push(tokio::spawn(deliverer.run()));
    Ok(Running {
        addr,
        store,
        treasury,
        tasks,
    })
}
