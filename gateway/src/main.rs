//! `usd1-gateway`: serve the API (with the watcher and the deliverer),
//! manage API keys, export the ledger.
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use usd1_gateway::store::keys::Scope;
use usd1_gateway::store::Store;
use usd1_gateway::{export, Settings};
use usd1_service::key_cli::ApiKeyCommand;

mod case_cli;
mod listen_cli;
mod trigger_cli;

#[derive(Debug, Parser)]
#[command(name = "usd1-gateway", version, about = "The USD1 payments gateway")]
struct Cli {
    /// The database: sqlite:PATH (embedded, created if missing) or postgres://…
    #[arg(
        long,
        global = true,
        env = "USD1_GATEWAY_DATABASE",
        default_value = "sqlite:usd1-gateway.db"
    )]
    database: String,
    /// The case history's key (32 random bytes, hex), kept outside the
    /// database: every history entry is MACed with it, and the chain's head
    /// is anchored in FILE.anchor.jsonl beside it. `serve` creates it
    /// (readable by its owner only) if missing.
    #[arg(
        long,
        global = true,
        env = "USD1_GATEWAY_CASE_KEY",
        default_value = "usd1-gateway.case-key"
    )]
    case_key: std::path::PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API, watch the treasury for payments, deliver webhooks.
    Serve(Serve),
    /// Create, list or revoke API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand<Scope>),
    /// The treasury account's ledger (what the watcher has recorded).
    Export(Export),
    /// Compliance cases: list, show, open, assign, note, decide, approve a
    /// release or a freeze, write a case file, verify the history chain.
    #[command(subcommand)]
    Case(case_cli::Case),
    /// The case history's key (--case-key): `new` writes one (readable by
    /// its owner only; an existing file is never overwritten). Every
    /// instance on one database uses the same key.
    #[command(name = "case-key", subcommand)]
    CaseKey(CaseKey),
    /// Screening list versions: confirm one that drops more of the previous
    /// version than the gateway takes unasked.
    #[command(subcommand)]
    List(ListCommand),
    /// The sandbox's receiver: a temporary webhook whose deliveries are
    /// forwarded to --forward-to, each printed with its receiver's status.
    Listen(listen_cli::Listen),
    /// The sandbox's event maker: makes EVENT really happen on the cluster
    /// (a localnet), so the real event leaves through the outbox.
    Trigger(trigger_cli::Trigger),
}

#[derive(Debug, Subcommand)]
enum ListCommand {
    /// Confirms the list version of this SHA-256 (as the refusal names it).
    Confirm {
        sha256: String,
        #[command(flatten)]
        who: case_cli::Who,
    },
}

#[derive(Debug, Subcommand)]
enum CaseKey {
    /// Writes a new key to --case-key.
    New,
}

#[derive(Debug, clap::Args)]
struct Serve {
    /// The cluster's JSON-RPC URL.
    #[arg(
        long,
        short = 'u',
        env = "USD1_GATEWAY_RPC_URL",
        default_value = "http://127.0.0.1:8899"
    )]
    url: String,
    /// The cluster's PubSub URL (default: the RPC URL's, at the next port).
    #[arg(long)]
    ws_url: Option<String>,
    /// The USD1 mint.
    #[arg(long, value_parser = parse_pubkey)]
    mint: Pubkey,
    /// The treasury wallet invoices are paid to (its token account receives).
    #[arg(long, value_parser = parse_pubkey)]
    treasury: Pubkey,
    /// Where the API listens.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// The commitment at which a payment counts: finalized or confirmed.
    #[arg(long, default_value = "finalized", value_parser = parse_commitment)]
    commitment: CommitmentConfig,
    /// How often the chain's signature lists are read (PubSub wakes the
    /// watcher sooner) and the outbox looked at, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    poll_ms: u64,
    /// The first webhook retry's delay in seconds, doubled each time…
    #[arg(long, default_value_t = 1)]
    retry_first_secs: i64,
    /// …up to this…
    #[arg(long, default_value_t = 3600)]
    retry_cap_secs: i64,
    /// …for this long after the event, then dead-lettered.
    #[arg(long, default_value_t = 3 * 24 * 3600)]
    retry_for_secs: i64,
    /// Requests per second per API key (bursts of twice that).
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    /// A sanctions list (repeatable): OFAC SDN_ADVANCED.XML, SDN.XML or the
    /// issuer's CSV (address,reason,source,added_at). A listed sender's
    /// payment is held (`payment.held`) and opens a case.
    #[arg(long = "list", value_name = "FILE")]
    lists: Vec<std::path::PathBuf>,
    /// Let webhooks go to loopback and private addresses (a receiver on
    /// this machine while developing). Without it such a URL is refused
    /// when created and at every delivery.
    #[arg(long)]
    allow_private_webhooks: bool,
    /// Live webhooks one API key may hold.
    #[arg(long, default_value_t = usd1_gateway::store::webhooks::DEFAULT_MAX_PER_KEY)]
    max_webhooks_per_key: usize,
    /// How long an invoice made without expires_at lives, in seconds.
    #[arg(long, default_value_t = 24 * 3600)]
    invoice_ttl_secs: i64,
    /// Invoices one API key may have open (or underpaid) at once.
    #[arg(long, default_value_t = 10_000)]
    max_open_invoices_per_key: u64,
    /// A new list version that drops more than this share (in basis points)
    /// of the previous version's addresses is not used until an operator
    /// confirms it (`usd1-gateway list confirm`).
    #[arg(long, default_value_t = usd1_gateway::rescreen::DEFAULT_MAX_LOSS_BPS)]
    max_list_loss_bps: u64,
    /// How long a request waits for a database connection (and SQLite for
    /// its write lock) before the API answers 503 database_unavailable, in
    /// milliseconds.
    #[arg(long, default_value_t = 2000)]
    database_timeout_ms: u64,
}

#[derive(Debug, clap::Args)]
struct Export {
    #[arg(long, value_parser = clap::builder::ValueParser::new(export::parse_time))]
    from: Option<i64>,
    #[arg(long, value_parser = clap::builder::ValueParser::new(export::parse_time))]
    to: Option<i64>,
    #[arg(long, default_value = "csv", value_parser = ["csv", "json"])]
    format: String,
    /// The treasury wallet (to tell the fees it paid).
    #[arg(long, value_parser = parse_pubkey)]
    treasury: Pubkey,
}

fn parse_pubkey(text: &str) -> Result<Pubkey, String> {
    text.parse()
        .map_err(|_| format!("'{text}' is not a public key"))
}

fn parse_commitment(text: &str) -> Result<CommitmentConfig, String> {
    match text {
        "finalized" => Ok(CommitmentConfig::finalized()),
        "confirmed" => Ok(CommitmentConfig::confirmed()),
        other => Err(format!(
            "commitment '{other}' is not finalized or confirmed"
        )),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", usd1_client::one_line(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(serve) => {
            let settings = Settings {
                database: cli.database,
                rpc_url: serve.url,
                ws_url: serve.ws_url,
                commitment: serve.commitment,
                wallet: serve.treasury,
                mint: serve.mint,
                listen: serve.listen,
                poll: Duration::from_millis(serve.poll_ms.max(50)),
                backoff: usd1_gateway::store::outbox::Backoff {
                    first_secs: serve.retry_first_secs.max(1),
                    cap_secs: serve.retry_cap_secs.max(1),
                    give_up_secs: serve.retry_for_secs.max(0),
                },
                rate: usd1_gateway::api::RateLimit {
                    per_second: serve.rate,
                    burst: serve.rate * 2.0,
                    ..Default::default()
                },
                lists: serve.lists,
                case_key: Some(cli.case_key),
                allow_private_webhooks: serve.allow_private_webhooks,
                max_webhooks_per_key: serve.max_webhooks_per_key,
                timeouts: usd1_gateway::server::Timeouts::default(),
                vanish_after: Duration::from_secs(90),
                max_list_loss_bps: serve.max_list_loss_bps,
                database_timeout: Duration::from_millis(serve.database_timeout_ms),
                invoices: usd1_gateway::api::InvoiceLimits {
                    ttl_secs: serve.invoice_ttl_secs.max(1),
                    max_open_per_key: serve.max_open_invoices_per_key,
                },
            };
            let running = usd1_gateway::start(&settings).await?;
            println!("usd1-gateway listening on http://{}", running.addr);
            println!(
                "treasury {} (token account {}), mint {}",
                running.treasury.wallet, running.treasury.account, running.treasury.mint
            );
            tokio::signal::ctrl_c().await?;
            Ok(())
        }
        Command::ApiKey(command) => {
            let store = Store::open(&cli.database).await?;
            let printed = usd1_service::key_cli::run(&store, command)
                .await?
                .map_err(|e| anyhow::anyhow!(e))?;
            if !printed.out.is_empty() {
                println!("{}", printed.out);
            }
            if let Some(note) = printed.note {
                eprintln!("{note}");
            }
            Ok(())
        }
        Command::CaseKey(CaseKey::New) => {
            let seal = usd1_gateway::store::cases::Seal::create(&cli.case_key)?;
            println!(
                "case key {} written; its anchor file will be {}",
                cli.case_key.display(),
                seal.anchor_path().display()
            );
            Ok(())
        }
        Command::List(ListCommand::Confirm { sha256, who }) => {
            let store = Store::open(&cli.database).await?;
            let actor = who.actor(&store).await?;
            if store.confirm_list_version(&sha256, &actor).await? {
                println!(
                    "list version {sha256} confirmed by {}: the gateway uses it at its next look",
                    actor.operator
                );
            } else {
                println!("list version {sha256} was confirmed already");
            }
            Ok(())
        }
        Command::Case(command) => {
            let seal = usd1_gateway::store::cases::Seal::open(&cli.case_key)?;
            let store = Store::open(&cli.database).await?.sealed(seal);
            case_cli::run(&store, command).await
        }
        Command::Listen(args) => listen_cli::run(args).await,
        Command::Trigger(args) => trigger_cli::run(args).await,
        Command::Export(args) => {
            let store = Store::open(&cli.database).await?;
            let rows = export::ledger(&store, &args.treasury, args.from, args.to).await?;
            match args.format.as_str() {
                "json" => println!("{}", export::json(&rows)),
                _ => print!("{}", export::csv(&rows)),
            }
            Ok(())
        }
    }
}
