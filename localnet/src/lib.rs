//! `usd1-localnet`: the whole platform on one machine. The native runtime
//! ([`runtime`]) with the USD1 program and the bundled SPL programs, moved
//! forward on the wall clock ([`chain`]), behind a Solana JSON-RPC endpoint
//! ([`rpc`]) and a PubSub websocket ([`pubsub`]) that `usd1`, `usd1-oracle`,
//! RpcClient and web3.js wallets use unchanged, both answering with agave's
//! own encoders ([`encode`]). A development and test harness, not a validator.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub mod chain;
pub mod encode;
pub mod ledger_dir;
pub mod logs;
pub mod pubsub;
pub mod record;
pub mod rpc;
pub mod runtime;

pub use chain::Chain;

/// How often the chain moves to a new slot (a validator's slot time) while
/// it is being used.
pub const SLOT_TIME: Duration = Duration::from_millis(400);

/// Where and how a localnet serves.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    /// JSON-RPC address (port 0 picks one).
    pub rpc: SocketAddr,
    /// PubSub port on the same address; `None`: the RPC port + 1, as
    /// solana-test-validator (and web3.js's default websocket URL) have it.
    pub pubsub_port: Option<u16>,
    /// The ledger folder to keep and resume, and whether to empty it first.
    pub ledger: Option<(&'a std::path::Path, bool)>,
    /// How often it moves to a new slot while in use ([`SLOT_TIME`], a
    /// validator's; tests that wait out a blockhash's 150 blocks set less).
    pub slot_time: Duration,
}

/// A running localnet: its URLs, its chain, and a way to stop it.
pub struct Localnet {
    pub url: String,
    /// The PubSub websocket URL.
    pub ws_url: String,
    pub addr: SocketAddr,
    pub pubsub_addr: SocketAddr,
    pub chain: Arc<Chain>,
    cancel: CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
    pubsub: JoinHandle<()>,
    ticker: JoinHandle<()>,
}

/// Binds the RPC and PubSub listeners. With RPC port 0 and PubSub at the
/// next port, tries fresh ports until a pair is free.
async fn bind(options: &Options<'_>) -> std::io::Result<(TcpListener, TcpListener)> {
    let pubsub_at = |rpc: &TcpListener| -> std::io::Result<SocketAddr> {
        let rpc = rpc.local_addr()?;
        let port = match options.pubsub_port {
            Some(port) => port,
            None => rpc.port().checked_add(1).ok_or_else(|| {
                std::io::Error::other("the RPC port is the last one; no port + 1 for PubSub")
            })?,
        };
        Ok(SocketAddr::new(rpc.ip(), port))
    };
    let mut tries = if options.rpc.port() == 0 && options.pubsub_port.is_none() {
        20
    } else {
        1
    };
    loop {
        let rpc = TcpListener::bind(options.rpc).await?;
        match TcpListener::bind(pubsub_at(&rpc)?).await {
            Ok(pubsub) => return Ok((rpc, pubsub)),
            Err(error) if tries <= 1 => return Err(error),
            Err(_) => tries -= 1,
        }
    }
}

impl Localnet {
    /// Starts a fresh chain and serves JSON-RPC on `addr` (port 0 picks one)
    /// and PubSub on the next port.
    pub async fn start(addr: SocketAddr) -> std::io::Result<Self> {
        Self::start_with(addr, None).await
    }

    /// Starts the chain kept in `ledger` (`reset` empties it first), or a fresh one.
    pub async fn start_with(
        addr: SocketAddr,
        ledger: Option<(&std::path::Path, bool)>,
    ) -> std::io::Result<Self> {
        Self::start_with_options(Options {
            rpc: addr,
            pubsub_port: None,
            ledger,
            slot_time: SLOT_TIME,
        })
        .await
    }

    pub async fn start_with_options(options: Options<'_>) -> std::io::Result<Self> {
        let (listener, pubsub_listener) = bind(&options).await?;
        let chain = Chain::start(options.ledger).await?;
        let addr = listener.local_addr()?;
        let pubsub_addr = pubsub_listener.local_addr()?;
        let cancel = CancellationToken::new();
        let ticker = {
            let (chain, cancel, slot_time) = (chain.clone(), cancel.clone(), options.slot_time);
            tokio::spawn(async move {
                // Slots at a steady pace, however long one takes to make: a
                // blockhash lives 150 of them, about a minute, as on a cluster.
                let mut slots = tokio::time::interval(slot_time);
                loop {
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        // An idle chain stands still: the bank keeps every
                        // slot's storage (nothing cleans it as a validator
                        // would), so slots are only made while someone calls.
                        _ = slots.tick() => if chain.take_activity() {
                            chain.tick().await
                        },
                    }
                }
            })
        };
        let server = {
            let (app, cancel) = (rpc::router(chain.clone()), cancel.clone());
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(cancel.cancelled_owned())
                    .await
            })
        };
        let pubsub = tokio::spawn(pubsub::serve(
            pubsub_listener,
            chain.clone(),
            cancel.clone(),
        ));
        Ok(Self {
            url: format!("http://{addr}"),
            ws_url: format!("ws://{pubsub_addr}"),
            addr,
            pubsub_addr,
            chain,
            cancel,
            server,
            pubsub,
            ticker,
        })
    }

    /// Stops serving and ticking, and waits for all three.
    pub async fn stop(self) -> std::io::Result<()> {
        self.cancel.cancel();
        let _ = self.ticker.await;
        let _ = self.pubsub.await;
        self.server.await.map_err(std::io::Error::other)?
    }
}
