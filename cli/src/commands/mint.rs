//! `usd1 mint AMOUNT --to OWNER --mint MINT` (this keypair is the minter).
use anyhow::Result;
use solana_sdk::pubkey::Pubkey;
use usd1_client::format_amount;

use crate::commands::{MintArg, Sent};
use crate::{amount, Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Token units.
    #[arg(allow_hyphen_values = true)]
    pub amount: String,
    /// The owner to mint to; its token account is created if missing.
    #[arg(long, value_parser = crate::parse_pubkey)]
    pub to: Pubkey,
    #[command(flatten)]
    pub mint: MintArg,
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let decimals = usd1.decimals();
    let units = amount(&args.amount, decimals)?;
    let executed = usd1.mint_to(ctx.signer(), &args.to, units).await?;
    let supply = usd1.mint_info().await?.supply;
    let text = format!(
        "Minted {} to {}; supply {}",
        format_amount(units, decimals),
        args.to,
        format_amount(supply, decimals)
    );
    Ok(Sent::output(text, &executed))
}
