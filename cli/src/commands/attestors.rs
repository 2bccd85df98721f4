//! `usd1 attestors set --threshold M PUBKEY... [--keep-latest] --mint MINT`.
use anyhow::Result;
use solana_sdk::pubkey::Pubkey;

use crate::commands::{MintArg, Sent};
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Replace the attestor set (1..=8 keys) and its threshold M.
    Set {
        #[arg(long)]
        threshold: u8,
        #[arg(required = true, value_parser = crate::parse_pubkey)]
        attestors: Vec<Pubkey>,
        /// Keep the live attestation good for minting. Without it the change
        /// retires it: mints wait for the new set's first attestation.
        #[arg(long)]
        keep_latest: bool,
        #[command(flatten)]
        mint: MintArg,
    },
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let Action::Set {
        threshold,
        attestors,
        keep_latest,
        mint,
    } = args.action;
    let count = attestors.len();
    let executed = ctx
        .usd1(&mint.mint)
        .await?
        .set_attestors(ctx.signer(), attestors, threshold, keep_latest)
        .await?;
    let retired = executed.events.iter().find_map(|event| match event {
        usd1_client::Usd1Event::AttestorsChanged(e) if e.retired_seq > 0 => Some(e.retired_seq),
        _ => None,
    });
    let summary = match retired {
        Some(seq) => format!(
            "Attestors set: {threshold} of {count}; attestation #{seq} retired, mints wait for the new set's first attestation"
        ),
        None => format!("Attestors set: {threshold} of {count}"),
    };
    Ok(Sent::output(summary, &executed))
}
