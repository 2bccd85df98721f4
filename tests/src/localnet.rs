//! A localnet for the tests that go over JSON-RPC, and keys its faucet funds.
//! The mint on it is the fixture's: `Fixture::on_localnet`.
use std::net::SocketAddr;
use std::sync::Arc;

use solana_commitment_config::CommitmentConfig;
use solana_sdk::signature::{Keypair, Signer};
use usd1_localnet::Localnet;

/// A localnet on a free port of 127.0.0.1.
pub async fn localnet() -> Localnet {
    Localnet::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("localnet")
}

/// A localnet making a slot every `slot_time` while in use (a tenth of a
/// validator's lets a test wait out a blockhash's 150 blocks in seconds).
pub async fn localnet_with_slot_time(slot_time: std::time::Duration) -> Localnet {
    Localnet::start_with_options(usd1_localnet::Options {
        rpc: SocketAddr::from(([127, 0, 0, 1], 0)),
        pubsub_port: None,
        ledger: None,
        slot_time,
    })
    .await
    .expect("localnet")
}

/// A new key holding 100 SOL from the localnet's faucet.
pub async fn funded(localnet: &Localnet) -> Arc<Keypair> {
    let key = Keypair::new();
    localnet
        .chain
        .airdrop(&key.pubkey(), 100_000_000_000)
        .await
        .expect("airdrop");
    Arc::new(key)
}

/// A localnet and a stock `RpcClient` on it (confirmed commitment).
pub async fn rpc_client_for() -> (
    Localnet,
    solana_rpc_client::nonblocking::rpc_client::RpcClient,
) {
    let localnet = localnet().await;
    let client = solana_rpc_client::nonblocking::rpc_client::RpcClient::new_with_commitment(
        localnet.url.clone(),
        CommitmentConfig::confirmed(),
    );
    (localnet, client)
}
