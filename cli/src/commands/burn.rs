//! `usd1 burn AMOUNT --mint MINT`: this minter burns from its own token account.
use anyhow::Result;
use usd1_client::format_dollars;

use crate::commands::{MintArg, Sent};
use crate::{amount, Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Token units.
    #[arg(allow_hyphen_values = true)]
    pub amount: String,
    #[command(flatten)]
    pub mint: MintArg,
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let decimals = usd1.decimals();
    let units = amount(&args.amount, decimals)?;
    let executed = usd1.burn(ctx.signer(), units).await?;
    Ok(Sent::output(
        format!("Burned {}", format_dollars(units.into(), decimals)),
        &executed,
    ))
}
