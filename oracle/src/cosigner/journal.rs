//! The co-signer's memory of what it signed — its slashing-protection
//! database. One JSON line per signature, appended and synced *before* the
//! signature leaves the process, so no crash (not even `kill -9`) can make it
//! forget a seq it signed and sign a second, different digest for it.
use std::collections::HashMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;

/// One signature given out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    pub mint: String,
    pub seq: u64,
    /// The signed attestation's as_of (unix seconds): once the program's
    /// submission delay has passed it, the signature can never land.
    pub as_of: i64,
    /// Hex of the 32-byte digest signed.
    pub digest: String,
    pub signature: String,
}

/// What the journal says of a request for (mint, seq, digest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recall {
    /// Never signed anything for this (mint, seq).
    Fresh,
    /// Signed this very digest before: the same signature, again.
    Same(Signature),
    /// Signed another digest for this (mint, seq), as of `signed_as_of`:
    /// never sign this one while that one could still land.
    Equivocation {
        signed_digest: String,
        signed_as_of: i64,
    },
}

pub struct Journal {
    path: PathBuf,
    file: File,
    signed: HashMap<(Pubkey, u64), Signed>,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot open or write the journal {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A damaged line in the middle: what it held is unknown, so nothing
    /// is signed until an operator has looked.
    #[error("journal {path} is damaged at line {line}; the co-signer will not sign until it is repaired")]
    Damaged { path: PathBuf, line: usize },
    /// Two co-signers on one journal could each sign a different digest
    /// for one seq, each believing the journal said it was fresh.
    #[error(
        "journal {path} is in use by another co-signer; each co-signer needs a journal of its own"
    )]
    InUse { path: PathBuf },
}

/// Syncs the folder holding `path`, so that a file just created there
/// survives a crash (its directory entry is on disk too).
pub fn sync_parent(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

impl Journal {
    /// Opens (or starts) the journal at `path`. A torn last line (a crash
    /// mid-append: the signature never left) is dropped; any other damage
    /// refuses to open.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        let io = |error| JournalError::Io {
            path: path.to_path_buf(),
            error,
        };
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(JournalError::InUse {
                    path: path.to_path_buf(),
                })
            }
            Err(TryLockError::Error(error)) => return Err(io(error)),
        }
        if !existed {
            sync_parent(path).map_err(io)?;
        }
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => return Err(io(e)),
        };
        let lines: Vec<&str> = text.lines().collect();
        let mut signed = HashMap::new();
        let mut keep = 0;
        for (n, line) in lines.iter().enumerate() {
            let entry = serde_json::from_str::<Signed>(line)
                .ok()
                .and_then(|e| Some((e.mint.parse::<Pubkey>().ok()?, e)));
            match entry {
                Some((mint, entry)) => {
                    keep += line.len() + 1;
                    signed.insert((mint, entry.seq), entry);
                }
                None if n + 1 == lines.len() && !text.ends_with('\n') => {}
                None => {
                    return Err(JournalError::Damaged {
                        path: path.to_path_buf(),
                        line: n + 1,
                    })
                }
            }
        }
        let len = file.metadata().map_err(io)?.len() as usize;
        if len > keep {
            // Cut a torn tail, so the next entry starts on a line of its own.
            file.set_len(keep as u64).map_err(io)?;
            file.sync_data().map_err(io)?;
        } else if len + 1 == keep {
            // A whole last record whose newline was torn off: end its line,
            // or the next record would run on after it and damage both.
            file.write_all(b"\n").map_err(io)?;
            file.sync_data().map_err(io)?;
        }
        Ok(Self {
            path: path.to_path_buf(),
            file,
            signed,
        })
    }

    pub fn recall(&self, mint: &Pubkey, seq: u64, digest: &str) -> Recall {
        match self.signed.get(&(*mint, seq)) {
            None => Recall::Fresh,
            Some(entry) if entry.digest == digest => {
                entry.signature.parse().map_or(Recall::Fresh, Recall::Same)
            }
            Some(entry) => Recall::Equivocation {
                signed_digest: entry.digest.clone(),
                signed_as_of: entry.as_of,
            },
        }
    }

    /// Records a signature and syncs it to disk; only then may it be returned.
    pub fn record(&mut self, entry: Signed) -> Result<(), JournalError> {
        let io = |error| JournalError::Io {
            path: self.path.clone(),
            error,
        };
        let mint: Pubkey = entry.mint.parse().map_err(|_| {
            io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "bad mint",
            ))
        })?;
        let mut line = serde_json::to_string(&entry).map_err(|e| io(std::io::Error::other(e)))?;
        line.push('\n');
        self.file.write_all(line.as_bytes()).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.signed.insert((mint, entry.seq), entry);
        Ok(())
    }

    /// How many signatures it holds.
    pub fn len(&self) -> usize {
        self.signed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.signed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_when_a_second_co_signer_opens_the_same_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let first = Journal::open(&path).unwrap();
        match Journal::open(&path) {
            Err(JournalError::InUse { path: named }) => assert_eq!(named, path),
            other => panic!("expected InUse, got {:?}", other.map(|j| j.len())),
        }
        drop(first);
        Journal::open(&path).unwrap();
    }

    fn entry(mint: &Pubkey, seq: u64, digest: &str) -> Signed {
        Signed {
            mint: mint.to_string(),
            seq,
            as_of: 1_000,
            digest: digest.into(),
            signature: Signature::default().to_string(),
        }
    }

    #[test]
    fn remembers_across_a_reopen_and_names_a_second_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mint = Pubkey::new_unique();
        let mut journal = Journal::open(&path).unwrap();
        assert_eq!(journal.recall(&mint, 1, "aa"), Recall::Fresh);
        journal.record(entry(&mint, 1, "aa")).unwrap();
        drop(journal);

        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.len(), 1);
        assert_eq!(
            journal.recall(&mint, 1, "aa"),
            Recall::Same(Signature::default())
        );
        assert_eq!(
            journal.recall(&mint, 1, "bb"),
            Recall::Equivocation {
                signed_digest: "aa".into(),
                signed_as_of: 1_000
            }
        );
        assert_eq!(journal.recall(&mint, 2, "bb"), Recall::Fresh);
        assert_eq!(
            journal.recall(&Pubkey::new_unique(), 1, "bb"),
            Recall::Fresh
        );
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_other_damage_refuses_to_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mint = Pubkey::new_unique();
        let mut journal = Journal::open(&path).unwrap();
        journal.record(entry(&mint, 1, "aa")).unwrap();
        drop(journal);
        // A crash mid-append: the signature never left.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b"{\"mint\":\"half");
        std::fs::write(&path, &bytes).unwrap();
        let mut journal = Journal::open(&path).unwrap();
        assert_eq!(journal.len(), 1);
        journal.record(entry(&mint, 2, "cc")).unwrap();
        drop(journal);
        assert_eq!(Journal::open(&path).unwrap().len(), 2);

        // A whole record whose newline was torn off: its line is ended
        // before the next record, so both survive the next start.
        drop(Journal::open(&path).unwrap());
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.trim_end_matches('\n')).unwrap();
        let mut journal = Journal::open(&path).unwrap();
        assert_eq!(journal.len(), 2);
        journal.record(entry(&mint, 3, "dd")).unwrap();
        drop(journal);
        assert_eq!(Journal::open(&path).unwrap().len(), 3);

        // A damaged line in the middle: what it held is unknown.
        let text = std::fs::read_to_string(&path).unwrap();
        let damaged = text.replacen("\"seq\":1", "\"seq\":", 1);
        std::fs::write(&path, damaged).unwrap();
        match Journal::open(&path) {
            Err(JournalError::Damaged { line, .. }) => assert_eq!(line, 1),
            other => panic!("expected Damaged, got {:?}", other.map(|j| j.len())),
        }
    }
}
