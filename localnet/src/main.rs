//! `usd1-localnet`: serve the platform on 127.0.0.1 until SIGINT or SIGTERM.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use usd1_localnet::Localnet;

#[derive(Parser, Debug)]
#[command(
    name = "usd1-localnet",
    version,
    about = "The USD1 platform on one machine, behind Solana JSON-RPC"
)]
struct Args {
    /// JSON-RPC port on 127.0.0.1.
    #[arg(long, default_value_t = 8899)]
    port: u16,
    /// Where to write the faucet keypair (funds airdrops; a solana-keygen file).
    #[arg(long, default_value = "usd1-localnet-faucet.json")]
    faucet: PathBuf,
    /// Keep accounts and transaction history in DIR, and resume from it on restart.
    #[arg(long, value_name = "DIR")]
    ledger: Option<PathBuf>,
    /// Start the --ledger folder afresh.
    #[arg(long, requires = "ledger")]
    reset: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), args.port);
    let ledger = args.ledger.as_deref().map(|dir| (dir, args.reset));
    let localnet = Localnet::start_with(addr, ledger)
        .await
        .with_context(|| format!("cannot start on {addr}"))?;
    let faucet = serde_json::to_string(&localnet.chain.faucet().to_bytes().to_vec())?;
    std::fs::write(&args.faucet, faucet)
        .with_context(|| format!("cannot write {}", args.faucet.display()))?;
    println!("JSON-RPC URL: {}", localnet.url);
    println!("Faucet keypair: {}", args.faucet.display());
    println!("USD1 program: {}", usd1::ID);
    if let Some(dir) = &args.ledger {
        println!("Ledger: {}", dir.display());
    }
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = terminate.recv() => eprintln!("SIGTERM: stopping"),
        _ = tokio::signal::ctrl_c() => eprintln!("SIGINT: stopping"),
    }
    localnet.stop().await?;
    Ok(())
}
