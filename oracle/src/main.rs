//! `usd1-oracle`: load and check the config, serve `/metrics` and `/health`,
//! run rounds until SIGTERM or SIGINT, then exit 0.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use solana_sdk::signature::Signer;
use tokio_util::sync::CancellationToken;
use usd1_client::hex;
use usd1_oracle::config::ledger_for;
use usd1_oracle::cosigner::{Cosigner, CosignerConfig};
use usd1_oracle::daemon::{Oracle, Outcome, RoundOptions};
use usd1_oracle::{metrics, Config};

const EXIT_CODES: &str = "\
Exit codes of --once and --dry-run:
  0  attested, unchanged, or (dry run) built, signed and simulated
  1  could not start (metrics address in use, output folder unwritable)
  2  configuration error, or not enough attestor keys for the threshold
  3  a source failed (stale, unreachable, malformed, negative, non-numeric),
     or fewer than the threshold signed (co-signers down or refusing)
  4  reserve drop alarm: refused without --allow-drop
  5  the RPC node failed, or an earlier submission is still pending
  6  the program refused the attestation";

#[derive(Parser, Debug)]
#[command(name = "usd1-oracle", version, about = "Attests USD1 reserves on-chain", after_help = EXIT_CODES)]
#[command(args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// The TOML config file; USD1_ORACLE_* variables override its keys.
    #[arg(
        short = 'c',
        long,
        env = "USD1_ORACLE_CONFIG",
        default_value = "usd1-oracle.toml"
    )]
    config: PathBuf,
    /// Check the config (and load every key) and exit.
    #[arg(long)]
    check_config: bool,
    /// Run one round and exit; the exit code tells the outcome.
    #[arg(long)]
    once: bool,
    /// Build, sign and simulate one round; print the report and digest; send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Attest a reserve drop larger than alarms.max_drop_bps.
    #[arg(long)]
    allow_drop: bool,
    /// Log lines as text or JSON (filter with USD1_ORACLE_LOG, default "info").
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Run one attestor operator's co-signer: sign proposed attestations
    /// that this operator's own sources and chain view vouch for.
    Cosign {
        /// The co-signer's TOML config.
        #[arg(short = 'c', long, default_value = "usd1-cosigner.toml")]
        config: PathBuf,
        /// Check the config (and load the key and token) and exit.
        #[arg(long)]
        check_config: bool,
        /// Clear a raised equivocation alarm (after looking into it) and exit;
        /// the alarm file records who cleared it and when.
        #[arg(long, requires = "operator")]
        clear_alarm: bool,
        /// Who clears the alarm (a name the operator's team knows).
        #[arg(long, value_name = "NAME")]
        operator: Option<String>,
        /// Log lines as text or JSON.
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(Command::Cosign {
        config,
        check_config,
        clear_alarm,
        operator,
        log_format,
    }) = args.command
    {
        init_logs(log_format);
        if clear_alarm {
            return clear(&config, operator.as_deref().unwrap_or_default());
        }
        return cosign(&config, check_config).await;
    }
    init_logs(args.log_format);
    let config = match Config::load(&args.config, |name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            return ExitCode::from(2);
        }
    };
    if args.check_config {
        println!("{}\nconfig OK", config.summary());
        return ExitCode::SUCCESS;
    }
    match run(args, config).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args, config: Config) -> anyhow::Result<ExitCode> {
    let ledger = ledger_for(&config.rpc_urls, config.commitment)?;
    let oracle = Oracle::from_config(&config, ledger)?;
    let cancel = CancellationToken::new();
    tokio::spawn(stop_on_signal(cancel.clone())?);
    let options = RoundOptions {
        dry_run: args.dry_run,
        allow_drop: args.allow_drop,
    };

    if args.once || args.dry_run {
        return Ok(match oracle.run_round(options, &cancel).await {
            Ok(Outcome::DryRun {
                report,
                digest,
                refusal,
                signatures,
            }) => {
                println!("{}", String::from_utf8_lossy(&report.to_bytes()).trim_end());
                println!("report sha256: {}", hex(&report.sha256()));
                println!("digest:        {}", hex(&digest));
                println!("signatures:    {signatures}");
                match refusal {
                    None => {
                        println!("simulation:    accepted");
                        ExitCode::SUCCESS
                    }
                    Some(refusal) => {
                        println!("simulation:    refused: {refusal}");
                        ExitCode::from(6)
                    }
                }
            }
            Ok(_) => ExitCode::SUCCESS,
            Err(error) => ExitCode::from(error.exit_code()),
        });
    }

    let listener = tokio::net::TcpListener::bind(config.metrics_addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.metrics_addr))?;
    tracing::info!(
        metrics = %format!("http://{}/metrics", listener.local_addr()?),
        mint = %config.mint,
        interval_secs = config.interval.as_secs(),
        "usd1-oracle started"
    );
    let server = tokio::spawn(metrics::serve(
        listener,
        oracle.metrics.clone(),
        cancel.clone(),
    ));
    oracle.run(config.interval, options, cancel.clone()).await;
    cancel.cancel();
    server.await??;
    Ok(ExitCode::SUCCESS)
}

/// `usd1-oracle cosign --clear-alarm --operator NAME`: records who cleared
/// the co-signer's equivocation alarm, and when.
fn clear(path: &std::path::Path, operator: &str) -> ExitCode {
    let cleared = CosignerConfig::journal_of(path)
        .and_then(|journal| Ok(usd1_oracle::cosigner::alarm::Alarm::open(&journal)?))
        .and_then(|alarm| Ok((alarm.clear(operator)?, alarm)));
    match cleared {
        Ok((usd1_oracle::cosigner::alarm::AlarmEvent::Raised { at, seq, .. }, alarm)) => {
            println!(
                "equivocation alarm (raised at {at} for seq {seq}) cleared by {} at {}; recorded in {}",
                operator.trim(),
                usd1_oracle::cosigner::alarm::unix_now(),
                alarm.path().display()
            );
            ExitCode::SUCCESS
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::from(2)
        }
    }
}

/// `usd1-oracle cosign`: serve until SIGTERM or SIGINT.
async fn cosign(path: &std::path::Path, check_config: bool) -> ExitCode {
    let config = match CosignerConfig::load(path, |name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            return ExitCode::from(2);
        }
    };
    if check_config {
        println!(
            "mint:      {}\nattestor:  {}\nlisten:    http://{}/sign\njournal:   {}\nconfig OK",
            config.mint,
            config.attestor.pubkey(),
            config.listen_addr,
            config.journal.display()
        );
        return ExitCode::SUCCESS;
    }
    let served = async {
        let ledger = ledger_for(&config.rpc_urls, config.commitment)?;
        let cosigner = Cosigner::new(&config, ledger).await?;
        let listener = tokio::net::TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen_addr))?;
        let addr = listener.local_addr()?;
        tracing::info!(
            sign = %format!("http://{addr}/sign"),
            attestor = %cosigner.attestor(),
            mint = %config.mint,
            "usd1-oracle co-signer started"
        );
        let cancel = CancellationToken::new();
        tokio::spawn(stop_on_signal(cancel.clone())?);
        // The line scripts and tests wait for.
        println!("co-signer listening on http://{addr}");
        usd1_oracle::cosigner::serve(listener, cosigner, cancel).await?;
        anyhow::Ok(())
    };
    match served.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// Listens for SIGTERM and SIGINT from now on — before anything is
/// announced, so a script that waits for a line and then signals finds the
/// handlers in place — and returns what cancels `cancel` on the first.
fn stop_on_signal(
    cancel: CancellationToken,
) -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        let signal = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        tracing::info!(signal, "shutting down");
        cancel.cancel();
    })
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("USD1_ORACLE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The error and its causes on one line.
fn one_line(error: &anyhow::Error) -> String {
    usd1_client::one_line(error.as_ref())
}
