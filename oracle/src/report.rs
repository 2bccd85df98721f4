//! The folder reports are kept in, and the pending submission. The report
//! itself, its canonical bytes and its eligibility rules live in
//! `usd1_client::reserve_report`, where auditors read them too.
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use usd1_client::reserve_report::{
    Component, EligibilityPolicy, Report, COMPOSITION_REPORT_VERSION, REPORT_VERSION,
};

/// One send of an attestation: what a restart needs to find out whether it landed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Attempt {
    pub signature: String,
    pub blockhash: String,
    /// The last block height it can land in, when the node said (older
    /// files have none: the blockhash's validity is asked instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_valid_block_height: Option<u64>,
}

impl Attempt {
    pub fn new(attempt: &usd1_client::send_journal::Attempt) -> Self {
        Self {
            signature: attempt.signature.to_string(),
            blockhash: attempt.blockhash.to_string(),
            last_valid_block_height: attempt.last_valid_block_height,
        }
    }

    pub fn parsed(&self) -> Option<usd1_client::send_journal::Attempt> {
        Some(usd1_client::send_journal::Attempt {
            signature: self.signature.parse().ok()?,
            blockhash: self.blockhash.parse().ok()?,
            last_valid_block_height: self.last_valid_block_height,
        })
    }
}

/// A submission not yet known to have landed or died: written before every
/// send, removed once the outcome is known.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pending {
    pub seq: u64,
    pub report_sha256: String,
    pub attempts: Vec<Attempt>,
    /// What was signed, so that a restart can send the same attestation
    /// again with a fresh blockhash instead of asking for a second digest
    /// for the seq (which every co-signer refuses as equivocation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<SignedAttestation>,
}

/// An attestation's arguments and its attestors' signatures over them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignedAttestation {
    /// Base units.
    pub reserve_amount: u64,
    /// Unix seconds.
    pub as_of: i64,
    /// `ATTESTOR=SIGNATURE`, base58 both.
    pub signatures: Vec<String>,
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
