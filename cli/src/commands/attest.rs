//! `usd1 attest --mint MINT --reserve AMOUNT --as-of RFC3339 --report FILE --signer KEYPAIR...`:
//! sign the next attestation with each attestor key and submit it in one transaction.
use anyhow::{Context as _, Result};
use solana_sdk::signature::Keypair;
use usd1_client::{format_amount, sha256};

use crate::commands::{MintArg, Sent};
use crate::{amount, read_keypair, Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub mint: MintArg,
    /// Attested reserve, in token units.
    #[arg(long)]
    pub reserve: String,
    /// When the reserve figure was true (RFC 3339, e.g. 2026-11-24T12:00:00Z).
    #[arg(long, value_name = "RFC3339")]
    pub as_of: String,
    /// The reserve report; its SHA-256 is attested.
    #[arg(long, value_name = "FILE")]
    pub report: String,
    /// Attestor keypair files (at least the threshold).
    #[arg(long = "signer", value_name = "KEYPAIR", required = true, num_args = 1..)]
    pub signers: Vec<String>,
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let as_of = chrono::DateTime::parse_from_rfc3339(&args.as_of)
        .with_context(|| format!("--as-of '{}' is not an RFC 3339 time", args.as_of))?
        .timestamp();
    let report = std::fs::read(&args.report)
        .with_context(|| format!("cannot read report {}", args.report))?;
    let signers = args
        .signers
        .iter()
        .map(|path| read_keypair(path))
        .collect::<Result<Vec<Keypair>>>()?;
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let decimals = usd1.decimals();
    let reserve = amount(&args.reserve, decimals)?;
    let attestation = usd1
        .next_attestation(reserve, as_of, sha256(&report))
        .await?;
    let refs: Vec<&Keypair> = signers.iter().collect();
    let executed = usd1.attest(attestation, &refs).await?;
    let text = format!(
        "Attestation #{}: reserve {} as of {} ({} signatures)",
        attestation.seq,
        format_amount(reserve, decimals),
        args.as_of,
        signers.len()
    );
    Ok(Sent::output(text, &executed))
}
