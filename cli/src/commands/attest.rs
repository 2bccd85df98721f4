//! Reserve attestations from the command line.
//!
//! - `usd1 attest --mint MINT --reserve AMOUNT --as-of RFC3339 --report FILE --signer KEYPAIR...`:
//!   sign the next attestation with each attestor key held here and submit it.
//! - The offline ceremony, for attestors who sign on their own (air-gapped)
//!   machines: `usd1 attest sign ... --seq N --signer KEYPAIR` prints one
//!   attestor's `PUBKEY=SIGNATURE`, and `usd1 attest submit ... --seq N
//!   --signature PUBKEY=SIG...` checks every signature, then assembles and
//!   sends the attestation.
use std::fmt;
use std::str::FromStr;

use anyhow::{anyhow, bail, Context as _, Result};
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use usd1_client::attestation::{self, AttestArgs, AttestorSignature};
use usd1_client::{hex, parse_amount, sha256};

use crate::commands::{MintArg, Sent};
use crate::{read_keypair, Context, Output};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub ceremony: Option<Ceremony>,
    /// The USD1 mint.
    #[arg(long, value_parser = crate::parse_pubkey)]
    pub mint: Option<Pubkey>,
    /// Attested reserve, in token units.
    #[arg(long)]
    pub reserve: Option<String>,
    /// When the reserve figure was true (RFC 3339, e.g. 2026-11-24T12:00:00Z).
    #[arg(long, value_name = "RFC3339")]
    pub as_of: Option<String>,
    /// The reserve report; its SHA-256 is attested.
    #[arg(long, value_name = "FILE")]
    pub report: Option<String>,
    // Attestor keypair files come with `--signer KEYPAIR` (repeated, at least
    // the threshold): the global flag that otherwise takes a transaction's
    // `PUBKEY=SIGNATURE` (see `signers`).
}

/// What is attested: the same flags for every form of the command.
#[derive(Debug, Clone, clap::Args)]
pub struct Attestation {
    #[command(flatten)]
    pub mint: MintArg,
    /// Attested reserve, in token units.
    #[arg(long, required = true)]
    pub reserve: String,
    /// When the reserve figure was true (RFC 3339, e.g. 2026-11-24T12:00:00Z).
    #[arg(long, value_name = "RFC3339", required = true)]
    pub as_of: String,
    /// The reserve report; its SHA-256 is attested.
    #[arg(long, value_name = "FILE", required = true)]
    pub report: String,
}

#[derive(Debug, clap::Subcommand)]
pub enum Ceremony {
    /// Sign attestation SEQ with one attestor key and print `PUBKEY=SIGNATURE`
    /// (offline with --decimals: nothing is read from the chain).
    Sign {
        #[command(flatten)]
        attestation: Attestation,
        /// The attestation's sequence number (the chain's latest + 1).
        /// The attestor's keypair file comes with `--signer KEYPAIR`.
        #[arg(long)]
        seq: u64,
        /// The mint's decimals, to sign without reading the chain.
        #[arg(long)]
        decimals: Option<u8>,
    },
    /// Assemble attestation SEQ from signatures collected offline and send it.
    Submit {
        #[command(flatten)]
        attestation: Attestation,
        /// The attestation's sequence number (the chain's latest + 1).
        #[arg(long)]
        seq: u64,
        /// `ATTESTOR_PUBKEY=SIGNATURE`, as `usd1 attest sign` prints it (at least the threshold).
        #[arg(long = "signature", value_name = "PUBKEY=SIGNATURE", required = true, num_args = 1..)]
        signatures: Vec<String>,
    },
}

/// One attestor's signature, printed by `usd1 attest sign`.
#[derive(Debug, Serialize)]
pub struct Signed {
    pub mint: String,
    pub seq: u64,
    /// Base units.
    pub reserve_amount: u64,
    pub as_of: i64,
    pub report_sha256: String,
    /// The SHA-256 digest that was signed (DESIGN.md's attestation message).
    pub digest: String,
    pub attestor: String,
    pub signature: String,
}

impl fmt::Display for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Attestation #{} of {}: reserve {} base units as of {}, report {}",
            self.seq, self.mint, self.reserve_amount, self.as_of, self.report_sha256
        )?;
        writeln!(f, "Digest: {}", self.digest)?;
        write!(f, "{}={}", self.attestor, self.signature)
    }
}

/// The attestation's arguments from its flags, with the reserve read in
/// `decimals`.
fn attest_args(attestation: &Attestation, seq: u64, decimals: u8) -> Result<AttestArgs> {
    let as_of = parse_as_of(&attestation.as_of)?;
    let report = std::fs::read(&attestation.report)
        .with_context(|| format!("cannot read report {}", attestation.report))?;
    let reserve_amount = parse_amount(&attestation.reserve, decimals)
        .map_err(|e| anyhow::anyhow!("--reserve: {e}"))?;
    Ok(AttestArgs {
        seq,
        reserve_amount,
        as_of,
        report_sha256: sha256(&report),
    })
}

fn parse_as_of(text: &str) -> Result<i64> {
    Ok(chrono::DateTime::parse_from_rfc3339(text)
        .with_context(|| format!("--as-of '{text}' is not an RFC 3339 time"))?
        .timestamp())
}

/// `PUBKEY=SIGNATURE`.
fn parse_signature(text: &str) -> Result<AttestorSignature> {
    let (key, signature) = text
        .split_once('=')
        .with_context(|| format!("--signature '{text}' is not PUBKEY=SIGNATURE"))?;
    Ok(AttestorSignature {
        attestor: Pubkey::from_str(key).map_err(|_| {
            anyhow::anyhow!("--signature: '{key}' is not a valid base58 public key")
        })?,
        signature: Signature::from_str(signature).map_err(|_| {
            anyhow::anyhow!("--signature: '{signature}' is not a valid base58 signature")
        })?,
    })
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    match args.ceremony {
        None => {
            // Required here, but not beside `sign`/`submit`, so clap cannot require them.
            let (Some(mint), Some(reserve), Some(as_of), Some(report)) =
                (args.mint, args.reserve, args.as_of, args.report)
            else {
                bail!("usd1 attest needs --mint, --reserve, --as-of, --report and --signer (or use `attest sign` / `attest submit`)");
            };
            let signers = ctx.flags.keypair_files();
            if signers.is_empty() {
                bail!("usd1 attest needs at least one --signer KEYPAIR");
            }
            let attestation = Attestation {
                mint: MintArg { mint },
                reserve,
                as_of,
                report,
            };
            direct(ctx, &attestation, &signers).await
        }
        Some(Ceremony::Sign {
            attestation,
            seq,
            decimals,
        }) => match ctx.flags.keypair_files().as_slice() {
            [signer] => sign(ctx, &attestation, seq, signer, decimals).await,
            _ => bail!("usd1 attest sign needs one --signer KEYPAIR: the attestor's keypair file"),
        },
        Some(Ceremony::Submit {
            attestation,
            seq,
            signatures,
        }) => submit(ctx, &attestation, seq, &signatures).await,
    }
}

async fn direct(ctx: &Context, attestation: &Attestation, signers: &[String]) -> Result<Output> {
    // The flags first, then the key files, then the chain.
    parse_as_of(&attestation.as_of)?;
    let (files, held): (Vec<&String>, Vec<&String>) = signers
        .iter()
        .partition(|source| !usd1_client::keystore::is_keystore(source));
    let files = files
        .into_iter()
        .map(|path| read_keypair(path))
        .collect::<Result<Vec<Keypair>>>()?;
    let held = held
        .into_iter()
        .map(|source| usd1_client::keystore::open(source).map_err(|e| anyhow!("--signer {e}")))
        .collect::<Result<Vec<_>>>()?;
    let usd1 = ctx.usd1(&attestation.mint.mint).await?;
    let decimals = usd1.decimals();
    let wanted = attest_args(attestation, 0, decimals)?;
    let args = usd1
        .next_attestation(wanted.reserve_amount, wanted.as_of, wanted.report_sha256)
        .await?;
    let executed = if held.is_empty() {
        let refs: Vec<&Keypair> = files.iter().collect();
        usd1.attest(args, &refs).await?
    } else {
        // Keys in an HSM or a vault sign the digest here; every signature is
        // checked against the attestor set before anything is sent.
        let digest = attestation::digest_of(&attestation.mint.mint, &args);
        let mut signatures = Vec::new();
        for file in &files {
            signatures.push(attestation::sign(file, &digest));
        }
        for key in &held {
            signatures.push(
                attestation::try_sign(key.as_ref(), &digest)
                    .map_err(|e| anyhow!("--signer {e}"))?,
            );
        }
        usd1.attest_with_signatures(args, &signatures).await?
    };
    let text = format!(
        "Attestation #{}: reserve {} as of {} ({} signatures)",
        args.seq,
        usd1_client::format_dollars(args.reserve_amount.into(), decimals),
        attestation.as_of,
        signers.len()
    );
    Ok(Sent::output(text, &executed))
}

async fn sign(
    ctx: &Context,
    attestation: &Attestation,
    seq: u64,
    signer: &str,
    decimals: Option<u8>,
) -> Result<Output> {
    let signer: usd1_client::signing::SharedSigner =
        match usd1_client::keystore::is_keystore(signer) {
            true => usd1_client::keystore::open(signer).map_err(|e| anyhow!("--signer {e}"))?,
            false => std::sync::Arc::new(read_keypair(signer)?),
        };
    let mint = attestation.mint.mint;
    let decimals = match decimals {
        Some(decimals) => decimals,
        None => ctx.usd1(&mint).await?.decimals(),
    };
    let args = attest_args(attestation, seq, decimals)?;
    let digest = attestation::digest_of(&mint, &args);
    let signed =
        attestation::try_sign(signer.as_ref(), &digest).map_err(|e| anyhow!("--signer {e}"))?;
    Ok(Output::new(&Signed {
        mint: mint.to_string(),
        seq,
        reserve_amount: args.reserve_amount,
        as_of: args.as_of,
        report_sha256: hex(&args.report_sha256),
        digest: hex(&digest),
        attestor: signer.pubkey().to_string(),
        signature: signed.signature.to_string(),
    }))
}

async fn submit(
    ctx: &Context,
    attestation: &Attestation,
    seq: u64,
    signatures: &[String],
) -> Result<Output> {
    let signatures = signatures
        .iter()
        .map(|text| parse_signature(text))
        .collect::<Result<Vec<_>>>()?;
    let usd1 = ctx.usd1(&attestation.mint.mint).await?;
    let decimals = usd1.decimals();
    let args = attest_args(attestation, seq, decimals)?;
    let next = usd1.config().await?.latest.seq.saturating_add(1);
    if seq != next {
        bail!("InvalidSequence: --seq {seq} is not the next attestation (the chain expects #{next}); nothing sent");
    }
    let executed = usd1.attest_with_signatures(args, &signatures).await?;
    let text = format!(
        "Attestation #{seq}: reserve {} as of {} ({} signatures collected offline)",
        usd1_client::format_dollars(args.reserve_amount.into(), decimals),
        attestation.as_of,
        signatures.len()
    );
    Ok(Sent::output(text, &executed))
}
