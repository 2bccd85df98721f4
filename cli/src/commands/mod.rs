//! One file per command: its arguments, then `run`.
pub mod admin;
pub mod attest;
pub mod attestations;
pub mod attestors;
pub mod audit;
pub mod balance;
pub mod bank;
pub mod bootstrap;
pub mod burn;
pub mod disclosure;
pub mod freeze;
pub mod init;
pub mod key;
pub mod mint;
pub mod minter;
pub mod pause;
pub mod pay;
pub mod policy;
pub mod redeem;
pub mod report;
pub mod role;
pub mod screen;
pub mod seize;
pub mod status;
pub mod transfer;
pub mod transparency;

use std::fmt;

use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use usd1_client::ledger::Executed;

use crate::Output;

/// A confirmed transaction: its signature, the events it emitted, and a line
/// saying what happened.
#[derive(Debug, Serialize)]
pub struct Sent {
    pub summary: String,
    pub signature: String,
    pub events: Vec<String>,
}

impl Sent {
    pub fn output(summary: impl Into<String>, executed: &Executed) -> Output {
        Output::new(&Sent {
            summary: summary.into(),
            signature: executed.signature.to_string(),
            events: executed
                .events
                .iter()
                .map(|e| e.name().to_string())
                .collect(),
        })
    }
}

impl fmt::Display for Sent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary)?;
        if !self.events.is_empty() {
            writeln!(f, "Events: {}", self.events.join(", "))?;
        }
        write!(f, "Signature: {}", self.signature)
    }
}

/// The `--mint` argument every mint-scoped command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct MintArg {
    /// The USD1 mint.
    #[arg(long, value_parser = crate::parse_pubkey)]
    pub mint: Pubkey,
}
