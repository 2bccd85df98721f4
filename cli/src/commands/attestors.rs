//! `usd1 attestors set --threshold M PUBKEY... --mint MINT`.
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
        #[command(flatten)]
        mint: MintArg,
    },
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let Action::Set {
        threshold,
        attestors,
        mint,
    } = args.action;
    let count = attestors.len();
    let executed = ctx
        .usd1(&mint.mint)
        .await?
        .set_attestors(ctx.signer(), attestors, threshold)
        .await?;
    Ok(Sent::output(
        format!("Attestors set: {threshold} of {count}"),
        &executed,
    ))
}
