//! `usd1 seize AMOUNT --from OWNER --to OWNER --reason CODE [--order FILE]
//! --mint MINT` (admin, permanent-delegate mints): thaw, move, refreeze,
//! the reason code and the order's SHA-256 on the record.
use anyhow::Result;
use solana_sdk::pubkey::Pubkey;
use usd1_client::format_dollars;

use crate::commands::freeze::{cited, BasisArgs};
use crate::commands::{MintArg, Sent};
use crate::{amount, Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Token units.
    #[arg(allow_hyphen_values = true)]
    pub amount: String,
    /// Owner (or token account) to take from.
    #[arg(long, value_parser = crate::parse_pubkey)]
    pub from: Pubkey,
    /// Owner (or token account) to move to.
    #[arg(long, value_parser = crate::parse_pubkey)]
    pub to: Pubkey,
    /// Reason code (issuer-defined, e.g. a court order number).
    #[arg(long)]
    pub reason: u16,
    /// The lawful order (or case file) carried out: its SHA-256 goes on-chain.
    #[arg(long, value_name = "FILE")]
    pub order: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub mint: MintArg,
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let basis = BasisArgs {
        reason: args.reason,
        order: args.order.clone(),
    }
    .basis()?;
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let decimals = usd1.decimals();
    let units = amount(&args.amount, decimals)?;
    let from = usd1.resolve_token_account(&args.from).await?;
    let to = usd1.resolve_token_account(&args.to).await?;
    let executed = usd1.seize(ctx.signer(), &from, &to, units, basis).await?;
    let text = format!(
        "Seized {} from {from} to {to} {}",
        format_dollars(units.into(), decimals),
        cited(&basis)
    );
    Ok(Sent::output(text, &executed))
}
