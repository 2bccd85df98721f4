//! `usd1-localnet`: the whole platform on one machine. The native runtime
//! ([`runtime`]) with the USD1 program and the bundled SPL programs, moved
//! forward on the wall clock ([`chain`]), behind a Solana JSON-RPC endpoint
//! ([`rpc`]) that `usd1`, `usd1-oracle` and RpcClient-based wallets use
//! unchanged. A development and test harness, not a validator.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub mod chain;
pub mod ledger_dir;
pub mod rpc;
pub mod runtime;

pub use chain::Chain;

/// How often the chain moves to a new slot (a validator's slot time) while
/// it is being used.
pub const SLOT_TIME: Duration = Duration::from_millis(400);

/// A running localnet: its URL, its chain, and a way to stop it.
pub struct Localnet {
    pub url: String,
    pub addr: SocketAddr,
    pub chain: Arc<Chain>,
    cancel: CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
    ticker: JoinHandle<()>,
}

impl Localnet {
    /// Starts a fresh chain and serves JSON-RPC on `addr` (port 0 picks one).
    pub async fn start(addr: SocketAddr) -> std::io::Result<Self> {
        Self::start_with(addr, None).await
    }

    /// Starts the chain kept in `ledger` (`reset` empties it first), or a fresh one.
    pub async fn start_with(
        addr: SocketAddr,
        ledger: Option<(&std::path::Path, bool)>,
    ) -> std::io::Result<Self> {
        let chain = Chain::start(ledger).await?;
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let cancel = CancellationToken::new();
        let ticker = {
            let (chain, cancel) = (chain.clone(), cancel.clone());
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        // An idle chain stands still: the bank keeps every
                        // slot's storage (nothing cleans it as a validator
                        // would), so slots are only made while someone calls.
                        _ = tokio::time::sleep(SLOT_TIME) => if chain.take_activity() {
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
        Ok(Self {
            url: format!("http://{addr}"),
            addr,
            chain,
            cancel,
            server,
            ticker,
        })
    }

    /// Stops serving and ticking, and waits for both.
    pub async fn stop(self) -> std::io::Result<()> {
        self.cancel.cancel();
        let _ = self.ticker.await;
        self.server.await.map_err(std::io::Error::other)?
    }
}
