//! `usd1 pause --mint MINT` and `usd1 unpause --mint MINT` (the pauser).
use anyhow::Result;

use crate::commands::{MintArg, Sent};
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub mint: MintArg,
}

pub async fn run(ctx: &Context, args: Args, pause: bool) -> Result<Output> {
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    if pause {
        let executed = usd1.pause(ctx.signer()).await?;
        Ok(Sent::output(
            "Paused: minting and settlement stop",
            &executed,
        ))
    } else {
        let executed = usd1.unpause(ctx.signer()).await?;
        Ok(Sent::output("Unpaused", &executed))
    }
}
