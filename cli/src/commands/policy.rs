//! `usd1 policy set [--max-age SECS] [--margin-bps BPS] [--max-submission-delay SECS] --mint MINT`.
use anyhow::{bail, Result};
use usd1::instructions::PolicyArgs;

use crate::commands::{MintArg, Sent};
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Set the maximum attestation age, the reserve margin and/or the maximum submission delay.
    Set {
        /// Seconds an attestation stays good for minting.
        #[arg(long)]
        max_age: Option<i64>,
        /// Share of the reserve (basis points) kept unminted.
        #[arg(long)]
        margin_bps: Option<u16>,
        /// Seconds after its as-of time a signed attestation may still be submitted.
        #[arg(long)]
        max_submission_delay: Option<i64>,
        #[command(flatten)]
        mint: MintArg,
    },
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let Action::Set {
        max_age,
        margin_bps,
        max_submission_delay,
        mint,
    } = args.action;
    if max_age.is_none() && margin_bps.is_none() && max_submission_delay.is_none() {
        bail!("nothing to set: give --max-age, --margin-bps and/or --max-submission-delay");
    }
    let policy = PolicyArgs {
        max_attestation_age: max_age,
        margin_bps,
        max_submission_delay,
    };
    let usd1 = ctx.usd1(&mint.mint).await?;
    let executed = usd1.set_policy(ctx.signer(), policy).await?;
    let config = usd1.config().await?;
    let text = format!(
        "Policy: attestations valid for {} s, margin {} bps, submitted within {} s of their as-of time",
        config.max_attestation_age, config.margin_bps, config.max_submission_delay
    );
    Ok(Sent::output(text, &executed))
}
