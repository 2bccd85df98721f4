//! `usd1 freeze OWNER|TOKEN_ACCOUNT --mint MINT [--reason CODE] [--order
//! FILE]` and `usd1 thaw …` (the freezer). The reason code and the SHA-256
//! of the order (or case file) go on the record, in the program's event.
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use solana_sdk::pubkey::Pubkey;
use usd1::instructions::LawfulBasis;

use crate::commands::{MintArg, Sent};
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An owner (its associated token account is used) or a token account of this mint.
    #[arg(value_parser = crate::parse_pubkey)]
    pub target: Pubkey,
    #[command(flatten)]
    pub basis: BasisArgs,
    #[command(flatten)]
    pub mint: MintArg,
}

/// What a freeze, thaw or seizure cites: `--reason CODE`, `--order FILE`.
#[derive(Debug, Clone, clap::Args)]
pub struct BasisArgs {
    /// Reason code (the issuer's own table).
    #[arg(long, default_value_t = 0)]
    pub reason: u16,
    /// The lawful order (or case file) carried out: its SHA-256 goes on-chain.
    #[arg(long, value_name = "FILE")]
    pub order: Option<PathBuf>,
}

impl BasisArgs {
    pub fn basis(&self) -> Result<LawfulBasis> {
        let order_sha256 = match &self.order {
            Some(path) => usd1_client::sha256(
                &std::fs::read(path)
                    .with_context(|| format!("cannot read the order {}", path.display()))?,
            ),
            None => [0; 32],
        };
        Ok(LawfulBasis {
            reason_code: self.reason,
            order_sha256,
        })
    }
}

/// `(reason 3, order sha256 …)` for a summary line.
pub fn cited(basis: &LawfulBasis) -> String {
    if basis.order_sha256 == [0; 32] {
        format!("(reason {}, no order cited)", basis.reason_code)
    } else {
        format!(
            "(reason {}, order sha256 {})",
            basis.reason_code,
            usd1_client::hex(&basis.order_sha256)
        )
    }
}

pub async fn run(ctx: &Context, args: Args, freeze: bool) -> Result<Output> {
    let basis = args.basis.basis()?;
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let account = usd1.resolve_token_account(&args.target).await?;
    let executed = usd1
        .set_frozen(ctx.signer(), &account, freeze, basis)
        .await?;
    let verb = if freeze { "Froze" } else { "Thawed" };
    Ok(Sent::output(
        format!("{verb} token account {account} {}", cited(&basis)),
        &executed,
    ))
}
