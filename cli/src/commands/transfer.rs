//! `usd1 transfer AMOUNT RECIPIENT --mint MINT`: a holder's plain transfer,
//! from the keypair's account or (`--owner`, `--multisig-signer`) an SPL
//! Token multisig's; `--reference` and `--memo` as a Solana Pay wallet adds them.
use anyhow::Result;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
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
    /// The owner sending: an SPL Token multisig account when
    /// --multisig-signer is given (default: the keypair).
    #[arg(long, value_parser = crate::parse_pubkey, requires = "multisig_signer")]
    pub owner: Option<Pubkey>,
    /// Signer source of a member of the --owner multisig (repeat up to its
    /// threshold): a keypair, or a public key whose signature comes with --signer.
    #[arg(
        long = "multisig-signer",
        value_name = "MULTISIG_SIGNER",
        requires = "owner"
    )]
    pub multisig_signer: Vec<String>,
    /// A Solana Pay reference (repeatable): added to the transfer as a
    /// read-only, non-signing key, so the payee finds the payment by it.
    #[arg(long, value_name = "PUBKEY", value_parser = crate::parse_pubkey)]
    pub reference: Vec<Pubkey>,
    /// A memo on the transfer (an SPL Memo instruction signed by the sender).
    #[arg(long, conflicts_with = "owner")]
    pub memo: Option<String>,
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let decimals = usd1.decimals();
    let units = amount(&args.amount, decimals)?;
    let executed = match args.owner {
        None => {
            usd1.pay_request(
                ctx.signer(),
                &args.recipient,
                units,
                &args.reference,
                args.memo.as_deref(),
            )
            .await?
        }
        Some(multisig) => {
            let members = args
                .multisig_signer
                .iter()
                .map(|source| ctx.signer_from(source, "multisig-signer"))
                .collect::<Result<Vec<_>>>()?;
            let members: Vec<&(dyn Signer + Sync)> =
                members.iter().map(|m| m as &(dyn Signer + Sync)).collect();
            usd1.multisig_transfer(&multisig, &members, &args.recipient, units, &args.reference)
                .await?
        }
    };
    let text = format!(
        "Sent {} to {}",
        format_amount(units, decimals),
        args.recipient
    );
    Ok(Sent::output(text, &executed))
}
