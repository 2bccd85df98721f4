//! `usd1 report monthly --mint MINT --month YYYY-MM --reports DIR [--out
//! DIR]` writes the monthly reserve report (`report-YYYY-MM.json`, `.csv`,
//! `.html`) from the chain and the attested report files;
//! `usd1 report certify FILE --role ceo|cfo --signer KEYPAIR` and `usd1
//! report verify FILE --officer ROLE=PUBKEY…`: officers sign the SHA-256 of
//! a report's exact bytes (the signatures kept in `FILE.certifications.json`),
//! and anyone checks that every required officer signed exactly that report.
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::Result;
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use usd1_client::certification::{self, Problem};

use crate::commands::MintArg;
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Officer {
    Ceo,
    Cfo,
}

impl Officer {
    fn name(self) -> &'static str {
        match self {
            Self::Ceo => "ceo",
            Self::Cfo => "cfo",
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// The month's reserve report from the chain: outstanding, reserve and
    /// composition, attestations and coverage, redemptions.
    Monthly {
        #[command(flatten)]
        mint: MintArg,
        /// The calendar month (UTC), `YYYY-MM`; it must be over.
        #[arg(long, value_name = "YYYY-MM")]
        month: String,
        /// Folder of the attested reserve report files (found by the hash the chain holds).
        #[arg(long, value_name = "DIR")]
        reports: PathBuf,
        /// Where to write report-YYYY-MM.json, .csv and .html.
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
    },
    /// Sign the report as an officer (the signature goes to
    /// FILE.certifications.json); the officer's key is `--signer KEYPAIR`.
    Certify {
        file: PathBuf,
        #[arg(long, value_enum)]
        role: Officer,
    },
    /// Check that every named officer signed exactly this report; exit ≠ 0 if not.
    Verify {
        file: PathBuf,
        /// A required officer: `ceo=PUBKEY` (repeat for each).
        #[arg(long = "officer", value_name = "ROLE=PUBKEY", value_parser = parse_officer, required = true)]
        officers: Vec<(String, Pubkey)>,
    },
}

pub fn parse_officer(text: &str) -> std::result::Result<(String, Pubkey), String> {
    let (role, key) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}': expected ROLE=PUBKEY"))?;
    let role = role.trim().to_ascii_lowercase();
    if !matches!(role.as_str(), "ceo" | "cfo") {
        return Err(format!("'{role}': an officer role is ceo or cfo"));
    }
    let key = Pubkey::from_str(key.trim()).map_err(|_| format!("'{key}' is not a public key"))?;
    Ok((role, key))
}

#[derive(Debug, Serialize)]
pub struct Certified {
    pub report: String,
    pub report_sha256: String,
    pub role: String,
    pub officer: String,
    pub signature: String,
    pub certifications: String,
}

impl fmt::Display for Certified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Certified {} (sha256 {}) as {} with {}; written to {}",
            self.report, self.report_sha256, self.role, self.officer, self.certifications
        )
    }
}

#[derive(Debug, Serialize)]
pub struct Verified {
    pub report: String,
    pub report_sha256: String,
    pub verified: bool,
    pub officers: Vec<String>,
    pub problems: Vec<Problem>,
}

impl fmt::Display for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.verified {
            return write!(
                f,
                "{} (sha256 {}) is certified by {}",
                self.report,
                self.report_sha256,
                self.officers.join(", ")
            );
        }
        write!(f, "{} is NOT certified as required:", self.report)?;
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Serialize)]
pub struct Written {
    pub month: String,
    pub outstanding: String,
    pub reserve: String,
    pub attestation_seq: u64,
    pub coverage_bps: Option<u128>,
    pub attestations: usize,
    pub files: Vec<String>,
    /// SHA-256 of the JSON report: what the officers certify.
    pub json_sha256: String,
}

impl fmt::Display for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Monthly reserve report {}: {} outstanding, reserve {} (attestation #{}), {} attestation(s) in the month\nWrote {} (json sha256 {})",
            self.month,
            self.outstanding,
            self.reserve,
            self.attestation_seq,
            self.attestations,
            self.files.join(", "),
            self.json_sha256
        )
    }
}

async fn monthly(
    ctx: &Context,
    mint: &Pubkey,
    month: &str,
    reports: &std::path::Path,
    out: &std::path::Path,
) -> Result<Output> {
    use usd1_client::monthly::{self, Month, MonthlyError};
    let month = Month::parse(month)
        .ok_or_else(|| anyhow::anyhow!("--month '{month}': expected YYYY-MM"))?;
    let usd1 = ctx.usd1(mint).await?;
    let (_, now) = usd1.ledger().clock().await?;
    if now < month.end {
        return Err(MonthlyError::MonthNotOver {
            month: month.label,
            end: month.end,
            now,
        }
        .into());
    }
    let files = monthly::files_by_hash(reports)
        .map_err(|e| anyhow::anyhow!("cannot read --reports {}: {e}", reports.display()))?;
    let history = usd1
        .ledger()
        .history(&usd1_client::pda::config(&usd1.mint()))
        .await?;
    let report = monthly::build(
        &usd1.mint().to_string(),
        usd1.decimals(),
        &month,
        &history,
        &files,
    )?;
    std::fs::create_dir_all(out)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
    let json = serde_json::to_vec_pretty(&report)?;
    let mut written = Vec::new();
    for (ext, bytes) in [
        ("json", [json.as_slice(), b"\n"].concat()),
        ("csv", monthly::csv(&report).into_bytes()),
        ("html", monthly::html(&report).into_bytes()),
    ] {
        let path = out.join(format!("report-{}.{ext}", month.label));
        usd1_client::checkpoint::save(&path, &bytes)?;
        written.push(path.display().to_string());
    }
    let json_sha256 = usd1_client::hex(&usd1_client::sha256(&[json.as_slice(), b"\n"].concat()));
    Ok(Output::new(&Written {
        month: report.month.clone(),
        outstanding: report.outstanding.figure.amount.clone(),
        reserve: report.reserve.reserve.amount.clone(),
        attestation_seq: report.reserve.seq,
        coverage_bps: report.reserve.coverage_bps,
        attestations: report.attestations.len(),
        files: written,
        json_sha256,
    }))
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    match args.action {
        Action::Monthly {
            mint,
            month,
            reports,
            out,
        } => monthly(ctx, &mint.mint, &month, &reports, &out).await,
        Action::Certify { file, role } => {
            // The global `--signer`, as `usd1 attest` takes attestor keys.
            let [signer] = ctx.flags.keypair_files().try_into().map_err(|given: Vec<String>| {
                anyhow::anyhow!(
                    "usd1 report certify needs exactly one --signer KEYPAIR (the officer's key); {} given",
                    given.len()
                )
            })?;
            let officer = ctx.flags.signer(&signer, "signer")?;
            let done = certification::certify(&file, role.name(), officer.as_ref())?;
            Ok(Output::new(&Certified {
                report: file.display().to_string(),
                report_sha256: done.report_sha256,
                role: done.role,
                officer: done.officer.to_string(),
                signature: done.signature.to_string(),
                certifications: certification::path_for(&file).display().to_string(),
            }))
        }
        Action::Verify { file, officers } => {
            let problems = certification::verify(&file, &officers)?;
            let report_sha256 = usd1_client::hex(&usd1_client::sha256(&std::fs::read(&file)?));
            let verified = Verified {
                report: file.display().to_string(),
                report_sha256,
                verified: problems.is_empty(),
                officers: officers.iter().map(|(r, k)| format!("{r}={k}")).collect(),
                problems,
            };
            let failing = !verified.verified;
            Ok(Output::new(&verified).failing(failing))
        }
    }
}
