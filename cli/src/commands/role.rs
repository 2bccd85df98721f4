//! `usd1 role set pauser|freezer|treasurer PUBKEY --mint MINT`.
use anyhow::Result;
use solana_sdk::pubkey::Pubkey;
use usd1_client::Role;

use crate::commands::{MintArg, Sent};
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleName {
    Pauser,
    Freezer,
    Treasurer,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Give a role to a key (admin only).
    Set {
        #[arg(value_enum)]
        role: RoleName,
        #[arg(value_parser = crate::parse_pubkey)]
        holder: Pubkey,
        #[command(flatten)]
        mint: MintArg,
    },
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let Action::Set { role, holder, mint } = args.action;
    let role = match role {
        RoleName::Pauser => Role::Pauser,
        RoleName::Freezer => Role::Freezer,
        RoleName::Treasurer => Role::Treasurer,
    };
    let usd1 = ctx.usd1(&mint.mint).await?;
    let executed = usd1.set_role(ctx.signer(), role, &holder).await?;
    Ok(Sent::output(format!("{role:?} is now {holder}"), &executed))
}
