//! `usd1 disclosure set …`: publish what a holder is entitled to know.
use anyhow::{Context as _, Result};
use usd1::instructions::DisclosureArgs;
use usd1_client::sha256;

use crate::commands::{MintArg, Sent};
use crate::{amount, Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Publish or update the disclosure (admin).
    Set {
        #[arg(long)]
        legal_name: String,
        #[arg(long)]
        terms_uri: String,
        /// The terms document; its SHA-256 is published.
        #[arg(long, value_name = "FILE")]
        terms_file: String,
        /// Smallest redemption, in token units.
        #[arg(long)]
        min_redemption: String,
        #[arg(long)]
        redemption_fee_bps: u16,
        /// Seconds within which redemptions are settled.
        #[arg(long, value_name = "SECS")]
        settlement_target: i64,
        #[arg(long)]
        reserve_report_uri: String,
        #[command(flatten)]
        mint: MintArg,
    },
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let Action::Set {
        legal_name,
        terms_uri,
        terms_file,
        min_redemption,
        redemption_fee_bps,
        settlement_target,
        reserve_report_uri,
        mint,
    } = args.action;
    let terms = std::fs::read(&terms_file)
        .with_context(|| format!("cannot read terms file {terms_file}"))?;
    let usd1 = ctx.usd1(&mint.mint).await?;
    let decimals = usd1.decimals();
    let disclosure = DisclosureArgs {
        legal_name,
        terms_uri,
        terms_sha256: sha256(&terms),
        min_redemption: amount(&min_redemption, decimals)?,
        redemption_fee_bps,
        settlement_target_secs: settlement_target,
        reserve_report_uri,
    };
    let executed = usd1.set_disclosure(ctx.signer(), disclosure).await?;
    let version = usd1.disclosure().await?.version;
    Ok(Sent::output(
        format!("Disclosure published (version {version})"),
        &executed,
    ))
}
