//! `usd1 balance [OWNER] --mint MINT`.
use std::fmt;

use anyhow::Result;
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use usd1_client::format_amount;

use crate::commands::MintArg;
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Default: this keypair.
    #[arg(value_parser = crate::parse_pubkey)]
    pub owner: Option<Pubkey>,
    #[command(flatten)]
    pub mint: MintArg,
}

#[derive(Debug, Serialize)]
pub struct Balance {
    pub owner: String,
    pub token_account: String,
    /// Token units, exact.
    pub amount: String,
    pub base_units: u64,
}

impl fmt::Display for Balance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", usd1_client::dollars(&self.amount))
    }
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let owner = args.owner.unwrap_or_else(|| ctx.pubkey());
    let decimals = usd1.decimals();
    let base_units = usd1.balance(&owner).await?;
    Ok(Output::new(&Balance {
        owner: owner.to_string(),
        token_account: usd1.token_account_of(&owner).to_string(),
        amount: format_amount(base_units, decimals),
        base_units,
    }))
}
