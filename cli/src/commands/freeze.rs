//! `usd1 freeze OWNER|TOKEN_ACCOUNT --mint MINT` and `usd1 thaw …` (the freezer).
use anyhow::Result;
use solana_sdk::pubkey::Pubkey;
use usd1_client::{accounts, Ledger, Usd1};

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

/// `target` itself if it is a token account of this mint, else its owner's
/// associated token account.
pub async fn token_account(usd1: &Usd1<dyn Ledger>, target: &Pubkey) -> Result<Pubkey> {
    if let Some(account) = usd1.ledger().get_account(target).await? {
        if let Ok(token) = accounts::decode_token_account(target, &account.data) {
            if token.mint == usd1.mint() && account.owner == usd1.token_program() {
                return Ok(*target);
            }
        }
    }
    Ok(usd1.token_account_of(target))
}

pub async fn run(ctx: &Context, args: Args, freeze: bool) -> Result<Output> {
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let account = token_account(&usd1, &args.target).await?;
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
