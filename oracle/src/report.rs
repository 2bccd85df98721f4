//! The canonical reserve report — every component and their sum — and the
//! folder it is kept in. Its bytes are fixed by this module alone (compact
//! JSON, fields in declaration order, components sorted by name, one trailing
//! newline); their SHA-256 is the report hash the attestation carries, so an
//! auditor can match a stored report to the chain with `sha256sum`.
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use usd1::instructions::AttestArgs;
use usd1_client::format_amount;

use crate::sources::Reading;

pub const REPORT_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Report {
    pub version: u32,
    pub mint: String,
    /// The attestation sequence number this report is for.
    pub seq: u64,
    /// When the reserve was observed (the chain's clock), unix seconds.
    pub as_of: i64,
    pub decimals: u8,
    /// Total reserve in base units, as a string so no JSON reader rounds it.
    pub reserve_base_units: String,
    /// The same, in token units.
    pub reserve: String,
    pub components: Vec<Component>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Component {
    pub name: String,
    pub kind: String,
    pub location: String,
    pub amount_base_units: String,
    pub amount: String,
    /// The custodian's own as-of time, unix seconds.
    pub as_of: i64,
}

impl Report {
    /// Sums `readings` into the report for attestation `seq`; `None` if the
    /// sum does not fit in a u64.
    pub fn build(
        mint: &Pubkey,
        seq: u64,
        as_of: i64,
        decimals: u8,
        readings: &[Reading],
    ) -> Option<Self> {
        let mut total = 0u64;
        for reading in readings {
            total = total.checked_add(reading.amount)?;
        }
        let mut components: Vec<Component> = readings
            .iter()
            .map(|r| Component {
                name: r.name.clone(),
                kind: r.kind.to_string(),
                location: r.location.clone(),
                amount_base_units: r.amount.to_string(),
                amount: format_amount(r.amount, decimals),
                as_of: r.as_of,
            })
            .collect();
        components.sort_by(|a, b| a.name.cmp(&b.name));
        Some(Self {
            version: REPORT_VERSION,
            mint: mint.to_string(),
            seq,
            as_of,
            decimals,
            reserve_base_units: total.to_string(),
            reserve: format_amount(total, decimals),
            components,
        })
    }

    pub fn reserve_amount(&self) -> u64 {
        // Built from a u64 by `build`; a hand-edited file that breaks this is not ours to attest.
        self.reserve_base_units.parse().unwrap_or(0)
    }

    /// The canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    pub fn sha256(&self) -> [u8; 32] {
        usd1_client::sha256(&self.to_bytes())
    }

    pub fn attest_args(&self) -> AttestArgs {
        AttestArgs {
            seq: self.seq,
            reserve_amount: self.reserve_amount(),
            as_of: self.as_of,
            report_sha256: self.sha256(),
        }
    }
}

/// One send of an attestation: what a restart needs to find out whether it landed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Attempt {
    pub signature: String,
    pub blockhash: String,
}

impl Attempt {
    pub fn new(signature: &Signature, blockhash: &Hash) -> Self {
        Self {
            signature: signature.to_string(),
            blockhash: blockhash.to_string(),
        }
    }

    pub fn parsed(&self) -> Option<(Signature, Hash)> {
        Some((self.signature.parse().ok()?, self.blockhash.parse().ok()?))
    }
}

/// A submission not yet known to have landed or died: written before every
/// send, removed once the outcome is known.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pending {
    pub seq: u64,
    pub report_sha256: String,
    pub attempts: Vec<Attempt>,
}

/// The output folder: `report-SEQ.json` per attestation, and `pending.json`.
#[derive(Clone, Debug)]
pub struct ReportStore {
    dir: PathBuf,
}

impl ReportStore {
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn report_path(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("report-{seq:010}.json"))
    }

    fn pending_path(&self) -> PathBuf {
        self.dir.join("pending.json")
    }

    pub fn save_report(&self, report: &Report) -> std::io::Result<PathBuf> {
        let path = self.report_path(report.seq);
        write_atomically(&path, &report.to_bytes())?;
        Ok(path)
    }

    /// The stored report for `seq`, if any.
    pub fn load_report(&self, seq: u64) -> std::io::Result<Option<Report>> {
        match std::fs::read(self.report_path(seq)) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Keeps a report that never reached the chain under another name, so
    /// `report-SEQ.json` always means the one attested.
    pub fn set_aside_report(&self, seq: u64, reason: &str) -> std::io::Result<()> {
        let from = self.report_path(seq);
        if from.exists() {
            let to = self.dir.join(format!("report-{seq:010}.{reason}.json"));
            std::fs::rename(from, to)?;
        }
        Ok(())
    }

    pub fn load_pending(&self) -> std::io::Result<Option<Pending>> {
        match std::fs::read(self.pending_path()) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn save_pending(&self, pending: &Pending) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(pending).map_err(std::io::Error::other)?;
        write_atomically(&self.pending_path(), &bytes)
    }

    pub fn clear_pending(&self) -> std::io::Result<()> {
        match std::fs::remove_file(self.pending_path()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Write to a temporary file, sync, rename: a crash leaves the old file or
/// the new one, never half of either.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(name: &str, amount: u64) -> Reading {
        Reading {
            name: name.into(),
            kind: "file",
            location: format!("/custody/{name}.json"),
            amount,
            as_of: 100,
        }
    }

    #[test]
    fn is_the_same_bytes_whatever_the_source_order() {
        let mint = Pubkey::new_unique();
        let a = Report::build(&mint, 3, 200, 6, &[reading("b", 2), reading("a", 1)]).unwrap();
        let b = Report::build(&mint, 3, 200, 6, &[reading("a", 1), reading("b", 2)]).unwrap();
        assert_eq!(a.to_bytes(), b.to_bytes());
        assert_eq!(a.reserve_amount(), 3);
        assert_eq!(
            a.attest_args().report_sha256,
            usd1_client::sha256(&a.to_bytes())
        );
        let text = String::from_utf8(a.to_bytes()).unwrap();
        assert!(text.starts_with(r#"{"version":1,"mint":""#), "{text}");
        assert!(text.ends_with("}\n"));
        assert_eq!(
            Report::build(&mint, 3, 200, 6, &[reading("a", u64::MAX), reading("b", 1)]),
            None
        );
    }
}
