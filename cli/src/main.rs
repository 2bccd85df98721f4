//! `usd1`: parse the command line, connect over JSON-RPC, run, print.
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use usd1_cli::{config, execute, Cli, Context, OutputFormat};
use usd1_client::rpc::{Limits, RpcLedger};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli.output;
    match run(cli).await {
        Ok(output) => {
            println!("{}", output.render(format));
            if output.failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<usd1_cli::Output> {
    let settings = config::resolve(&cli)?;
    let limits = Limits { rate: cli.rpc_rate };
    let ledger = Arc::new(RpcLedger::with_limits(
        settings.json_rpc_url,
        settings.commitment,
        std::time::Duration::from_secs(cli.rpc_timeout),
        limits,
    ));
    let progress = cli.output == OutputFormat::Display && std::io::stderr().is_terminal();
    let ctx = Context::from_flags(ledger, &settings.keypair_path, &cli.signing, &cli.command)
        .await?
        .with_progress(progress);
    execute(&ctx, cli.command).await
}

/// The error and its causes on one line.
fn one_line(error: &anyhow::Error) -> String {
    usd1_client::one_line(error.as_ref())
}
