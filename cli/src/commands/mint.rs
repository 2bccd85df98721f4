//! `usd1 mint AMOUNT --to OWNER --mint MINT` (this keypair is the minter).
use anyhow::{bail, Result};
use solana_sdk::pubkey::Pubkey;
use usd1_client::{format_dollars, Usd1Event};

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
    // Supply as the program left it, from the event it emitted.
    let Some(supply) = executed.events.iter().find_map(|e| match e {
        Usd1Event::Minted(m) => Some(m.supply),
        _ => None,
    }) else {
        bail!(
            "the mint landed in {} without its Minted event",
            executed.signature
        );
    };
    let text = format!(
        "Minted {} to {}; supply {}",
        format_dollars(units.into(), decimals),
        args.to,
        format_dollars(supply.into(), decimals)
    );
    Ok(Sent::output(text, &executed))
}
