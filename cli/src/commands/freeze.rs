//! `usd1 freeze OWNER|TOKEN_ACCOUNT --mint MINT` and `usd1 thaw …` (the freezer).
use anyhow::Result;
use solana_sdk::pubkey::Pubkey;

use crate::commands::{MintArg, Sent};
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An owner (its associated token account is used) or a token account of this mint.
    #[arg(value_parser = crate::parse_pubkey)]
    pub target: Pubkey,
    #[command(flatten)]
    pub mint: MintArg,
}

pub async fn run(ctx: &Context, args: Args, freeze: bool) -> Result<Output> {
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let account = usd1.resolve_token_account(&args.target).await?;
    let (executed, verb) = if freeze {
        (usd1.freeze(ctx.signer(), &account).await?, "Froze")
    } else {
        (usd1.thaw(ctx.signer(), &account).await?, "Thawed")
    };
    Ok(Sent::output(
        format!("{verb} token account {account}"),
        &executed,
    ))
}
