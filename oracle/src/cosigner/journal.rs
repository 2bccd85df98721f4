//! The co-signer's memory of what it signed — its slashing-protection
//! database. One JSON line per signature, appended and synced *before* the
//! signature leaves the process, so no crash (not even `kill -9`) can make it
//! forget a seq it signed and sign a second, different digest for it.
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
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
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
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
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        // Cut a torn tail, so the next entry starts on a line of its own.
        if (file.metadata().map_err(io)?.len() as usize) > keep {
            file.set_len(keep as u64).map_err(io)?;
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
