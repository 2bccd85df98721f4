//! `usd1 admin propose NEW --mint MINT` / `usd1 admin accept --mint MINT` /
//! `usd1 admin cancel --mint MINT`.
use anyhow::Result;
use solana_sdk::pubkey::Pubkey;

use crate::commands::{MintArg, Sent};
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Propose a new admin (current admin).
    Propose {
        #[arg(value_parser = crate::parse_pubkey)]
        new_admin: Pubkey,
        #[command(flatten)]
        mint: MintArg,
    },
    /// Accept the admin role (the proposed key).
    Accept {
        #[command(flatten)]
        mint: MintArg,
    },
    /// Withdraw the pending proposal (current admin).
    Cancel {
        #[command(flatten)]
        mint: MintArg,
    },
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    match args.action {
        Action::Propose { new_admin, mint } => {
            let executed = ctx
                .usd1(&mint.mint)
                .await?
                .propose_admin(ctx.signer(), &new_admin)
                .await?;
            Ok(Sent::output(
                format!("Proposed {new_admin} as admin; it must run `usd1 admin accept`"),
                &executed,
            ))
        }
        Action::Accept { mint } => {
            let executed = ctx
                .usd1(&mint.mint)
                .await?
                .accept_admin(ctx.signer())
                .await?;
            Ok(Sent::output(
                format!("{} is now the admin", ctx.pubkey()),
                &executed,
            ))
        }
        Action::Cancel { mint } => {
            let usd1 = ctx.usd1(&mint.mint).await?;
            let pending = usd1.config().await?.pending_admin;
            let executed = usd1.cancel_admin_proposal(ctx.signer()).await?;
            Ok(Sent::output(
                format!("Withdrew the proposal of {pending} as admin"),
                &executed,
            ))
        }
    }
}
