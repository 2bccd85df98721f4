//! `usd1-localnet`: serve the platform until SIGINT or SIGTERM, with
//! solana-test-validator's flags and startup lines, so scripts written for it
//! run unchanged.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use usd1_localnet::{Localnet, Options};

#[derive(Parser, Debug)]
#[command(
    name = "usd1-localnet",
    version,
    about = "The USD1 platform on one machine, behind Solana JSON-RPC and PubSub"
)]
struct Args {
    /// JSON-RPC port; PubSub (websocket) listens on the next one.
    #[arg(long = "rpc-port", visible_alias = "port", default_value_t = 8899)]
    rpc_port: u16,
    /// PubSub websocket port [default: the RPC port + 1].
    #[arg(long)]
    pubsub_port: Option<u16>,
    /// Address to serve on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind_address: IpAddr,
    /// Keep accounts and transaction history in DIR, and resume from it on restart
    /// [default: in memory, gone at exit].
    #[arg(long, value_name = "DIR")]
    ledger: Option<PathBuf>,
    /// Start the --ledger folder afresh (without --ledger every start is fresh).
    #[arg(long)]
    reset: bool,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Where to write the faucet keypair (funds airdrops; a solana-keygen file).
    #[arg(long, default_value = "usd1-localnet-faucet.json")]
    faucet: PathBuf,
    /// Give the faucet this much SOL at start (a decimal amount).
    #[arg(long, value_name = "SOL")]
    faucet_sol: Option<String>,
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
    let faucet_lamports = args
        .faucet_sol
        .as_deref()
        .map(|sol| usd1_client::parse_amount(sol, 9))
        .transpose()
        .context("--faucet-sol")?;
    let rpc = SocketAddr::new(args.bind_address, args.rpc_port);
    let localnet = Localnet::start_with_options(Options {
        rpc,
        pubsub_port: args.pubsub_port,
        ledger: args.ledger.as_deref().map(|dir| (dir, args.reset)),
        slot_time: usd1_localnet::SLOT_TIME,
    })
    .await
    .with_context(|| format!("cannot start on {rpc}"))?;
    if let Some(lamports) = faucet_lamports {
        localnet
            .chain
            .set_faucet_lamports(lamports)
            .await
            .context("cannot fund the faucet")?;
    }
    let faucet = serde_json::to_string(&localnet.chain.faucet().to_bytes().to_vec())?;
    usd1_localnet::ledger_dir::write_secret(&args.faucet, faucet.as_bytes())
        .with_context(|| format!("cannot write {}", args.faucet.display()))?;
    // Listening before the lines go out: a script that waits for them and
    // then signals must find the handlers in place.
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    if !args.quiet {
        // solana-test-validator's lines, for scripts that read them.
        match &args.ledger {
            Some(dir) => println!("Ledger location: {}", dir.display()),
            None => println!("Ledger location: in memory"),
        }
        println!("JSON RPC URL: {}", localnet.url);
        println!("WebSocket PubSub URL: {}", localnet.ws_url);
        println!("Faucet keypair: {}", args.faucet.display());
        println!("USD1 program: {}", usd1::ID);
    }
    tokio::select! {
        _ = terminate.recv() => if !args.quiet { eprintln!("SIGTERM: stopping") },
        _ = interrupt.recv() => if !args.quiet { eprintln!("SIGINT: stopping") },
    }
    localnet.stop().await?;
    Ok(())
}
