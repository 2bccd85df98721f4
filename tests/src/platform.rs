//! A mint set up over JSON-RPC against an in-process localnet: what the
//! conformance test, the end-to-end tests and the RPC benchmarks start from.
use std::net::SocketAddr;
use std::sync::Arc;

use solana_commitment_config::CommitmentConfig;
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::rpc::RpcLedger;
use usd1_client::{Ledger, Usd1};
use usd1_localnet::Localnet;

use crate::fixture::{default_init_args, report_hash, MINTER_ALLOWANCE};

/// A mint with 2-of-3 attestors, one attestation of `reserve`, a minter and
/// `held` base units minted to `holder` — all sent over RPC.
pub struct Platform {
    pub usd1: Usd1<RpcLedger>,
    /// The admin, who also pays.
    pub admin: Arc<Keypair>,
    pub attestors: Vec<Keypair>,
    pub minter: Keypair,
    pub holder: Keypair,
}

/// A localnet on a free port of 127.0.0.1.
pub async fn localnet() -> Localnet {
    Localnet::start(SocketAddr::from(([127, 0, 0, 1], 0)))
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

impl Platform {
    /// A Token-2022 mint.
    pub async fn new(localnet: &Localnet, reserve: u64, held: u64) -> Self {
        Self::with_token_program(localnet, reserve, held, usd1_client::TOKEN_2022_PROGRAM_ID).await
    }

    /// A mint under `token_program` (SPL Token or Token-2022).
    pub async fn with_token_program(
        localnet: &Localnet,
        reserve: u64,
        held: u64,
        token_program: solana_sdk::pubkey::Pubkey,
    ) -> Self {
        let ledger = Arc::new(RpcLedger::new(
            localnet.url.clone(),
            CommitmentConfig::confirmed(),
        ));
        let admin = funded(localnet).await;
        let mint = Keypair::new();
        let (usd1, _) = Usd1::initialize(
            ledger,
            admin.clone(),
            &mint,
            token_program,
            default_init_args(),
        )
        .await
        .expect("initialize over RPC");
        let attestors: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
        usd1.set_attestors(
            &admin,
            attestors.iter().map(|k| k.pubkey()).collect(),
            2,
            false,
        )
        .await
        .expect("attestors");
        let minter = Keypair::new();
        usd1.configure_minter(&admin, &minter.pubkey(), MINTER_ALLOWANCE.max(held))
            .await
            .expect("minter");
        let now = usd1.ledger().unix_timestamp().await.expect("clock");
        let args = usd1
            .next_attestation(reserve, now, report_hash(reserve, 1))
            .await
            .expect("next");
        usd1.attest(args, &attestors.iter().take(2).collect::<Vec<_>>())
            .await
            .expect("attest");
        let holder = Keypair::new();
        usd1.mint_to(&minter, &holder.pubkey(), held)
            .await
            .expect("mint");
        Self {
            usd1,
            admin,
            attestors,
            minter,
            holder,
        }
    }
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

/// The platform the localnet tests share: 1,000 attested, 400 held.
pub async fn sample_platform(localnet: &Localnet) -> Platform {
    Platform::new(localnet, 1_000 * crate::ONE, 400 * crate::ONE).await
}
