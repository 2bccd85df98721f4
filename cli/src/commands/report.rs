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

fn parse_officer(text: &str) -> std::result::Result<(String, Pubkey), String> {
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

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    match args.action {
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
