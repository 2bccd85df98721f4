//! `usd1 transfer AMOUNT RECIPIENT --mint MINT`: a holder's plain transfer.
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
    /// The recipient's wallet address; its token account is created if missing.
    #[arg(value_parser = crate::parse_pubkey)]
    pub recipient: Pubkey,
    #[command(flatten)]
    pub mint: MintArg,
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let decimals = usd1.decimals();
    let units = amount(&args.amount, decimals)?;
    let executed = usd1.transfer(ctx.signer(), &args.recipient, units).await?;
    let text = format!(
        "Sent {} to {}",
        format_amount(units, decimals),
        args.recipient
    );
    Ok(Sent::output(text, &executed))
}
