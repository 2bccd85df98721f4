//! `usd1 minter set MINTER --allowance AMOUNT [--window-secs SECS --window-cap AMOUNT]`
//! / `usd1 minter remove MINTER`.
use anyhow::Result;
use solana_sdk::pubkey::Pubkey;
use usd1::instructions::ConfigureMinterArgs;
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
        /// Rate limit: the capacity refills to --window-cap over this many seconds (0: none).
        #[arg(long, default_value_t = 0, requires = "window_cap")]
        window_secs: u32,
        /// Rate limit: most the minter may mint at once, refilling over --window-secs (token units).
        #[arg(long, requires = "window_secs")]
        window_cap: Option<String>,
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
            window_secs,
            window_cap,
            mint,
        } => {
            let usd1 = ctx.usd1(&mint.mint).await?;
            let decimals = usd1.decimals();
            let units = amount(&allowance, decimals)?;
            let cap = window_cap
                .as_deref()
                .map(|cap| amount(cap, decimals))
                .transpose()?
                .unwrap_or(0);
            let args = ConfigureMinterArgs {
                allowance: units,
                window_secs,
                window_cap: cap,
            };
            let executed = usd1
                .configure_minter_with(ctx.signer(), &minter, args)
                .await?;
            let mut text = format!(
                "Minter {minter} may mint {}",
                format_amount(units, decimals)
            );
            if window_secs > 0 {
                text.push_str(&format!(
                    ", at most {} per {window_secs} s",
                    format_amount(cap, decimals)
                ));
            }
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
