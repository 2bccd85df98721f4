//! `usd1 minter set MINTER --allowance AMOUNT` / `usd1 minter remove MINTER`.
use anyhow::Result;
use solana_sdk::pubkey::Pubkey;
use usd1_client::format_amount;

use crate::commands::{MintArg, Sent};
use crate::{amount, Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Enable a minter with a remaining allowance (token units).
    Set {
        #[arg(value_parser = crate::parse_pubkey)]
        minter: Pubkey,
        #[arg(long)]
        allowance: String,
        #[command(flatten)]
        mint: MintArg,
    },
    /// Disable a minter and void its allowance.
    Remove {
        #[arg(value_parser = crate::parse_pubkey)]
        minter: Pubkey,
        #[command(flatten)]
        mint: MintArg,
    },
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    match args.action {
        Action::Set {
            minter,
            allowance,
            mint,
        } => {
            let usd1 = ctx.usd1(&mint.mint).await?;
            let decimals = usd1.decimals();
            let units = amount(&allowance, decimals)?;
            let executed = usd1.configure_minter(ctx.signer(), &minter, units).await?;
            let text = format!(
                "Minter {minter} may mint {}",
                format_amount(units, decimals)
            );
            Ok(Sent::output(text, &executed))
        }
        Action::Remove { minter, mint } => {
            let executed = ctx
                .usd1(&mint.mint)
                .await?
                .remove_minter(ctx.signer(), &minter)
                .await?;
            Ok(Sent::output(format!("Minter {minter} removed"), &executed))
        }
    }
}
