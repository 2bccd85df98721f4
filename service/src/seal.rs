//! The case history's seal, kept outside the database: a key that MACs
//! every entry's hash (so an entry rewritten with every later hash
//! recomputed is found: the writer lacks the key), and an anchor file that
//! records the chain's head after each decision (so a tail deleted with the
//! head rolled back is found: the anchor names an entry the database lost).
//! Anyone who can write the database but not these two files cannot rewrite
//! the history unseen.
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The key file's size: 32 random bytes, hex.
const KEY_BYTES: usize = 32;

#[derive(Clone)]
pub struct Seal {
    key: [u8; KEY_BYTES],
    anchor: PathBuf,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seal")
            .field("anchor", &self.anchor)
            .finish()
    }
}

/// One line of the anchor file: the head after a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchored {
    pub seq: i64,
    pub hash: String,
    pub at: i64,
    /// HMAC of `seq ‖ hash` under the seal's key.
    pub mac: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("cannot read the case key {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("the case key {path} is not {KEY_BYTES} bytes of hex (make one with `usd1-gateway case-key new`)")]
    Malformed { path: PathBuf },
    #[error("cannot write the case key or anchor {path}: {error}")]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("the anchor file {path} is damaged at line {line}")]
    Anchor { path: PathBuf, line: usize },
}

impl Seal {
    /// The key in `path` (hex); the anchor file beside it (`PATH.anchor.jsonl`).
    pub fn open(path: &Path) -> Result<Self, SealError> {
        let text = std::fs::read_to_string(path).map_err(|error| SealError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let bytes = hex_bytes(text.trim()).ok_or_else(|| SealError::Malformed {
            path: path.to_path_buf(),
        })?;
        let key: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| SealError::Malformed {
            path: path.to_path_buf(),
        })?;
        Ok(Self {
            key,
            anchor: PathBuf::from(format!("{}.anchor.jsonl", path.display())),
        })
    }

    /// Writes a new random key to `path` (readable by its owner only); an
    /// existing file is never overwritten.
    pub fn create(path: &Path) -> Result<Self, SealError> {
        let write = |error| SealError::Write {
            path: path.to_path_buf(),
            error,
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(write)?;
        let key: [u8; KEY_BYTES] = rand::random();
        writeln!(file, "{}", usd1_client::hex(&key)).map_err(write)?;
        file.sync_all().map_err(write)?;
        Self::open(path)
    }

    /// The key file if it exists, else a new one.
    pub fn open_or_create(path: &Path) -> Result<Self, SealError> {
        if path.exists() {
            Self::open(path)
        } else {
            Self::create(path)
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        for part in parts {
            mac.update(part);
            mac.update(b"\n");
        }
        usd1_client::hex(&mac.finalize().into_bytes())
    }

    /// An entry's MAC: over its hash (which covers all its fields and the chain before it).
    pub fn entry_mac(&self, hash: &str) -> String {
        self.mac(&[b"usd1-case-entry:v1", hash.as_bytes()])
    }

    fn anchor_mac(&self, seq: i64, hash: &str) -> String {
        self.mac(&[
            b"usd1-case-anchor:v1",
            seq.to_string().as_bytes(),
            hash.as_bytes(),
        ])
    }

    pub fn anchor_path(&self) -> &Path {
        &self.anchor
    }

    /// The anchors written so far (a torn last line, from a crash, is left out).
    pub fn anchors(&self) -> Result<Vec<Anchored>, SealError> {
        let text = match std::fs::read_to_string(&self.anchor) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => {
                return Err(SealError::Read {
                    path: self.anchor.clone(),
                    error,
                })
            }
        };
        let lines: Vec<&str> = text.lines().collect();
        let mut anchors = Vec::new();
        for (n, line) in lines.iter().enumerate() {
            match serde_json::from_str::<Anchored>(line) {
                Ok(anchored) if anchored.mac == self.anchor_mac(anchored.seq, &anchored.hash) => {
                    anchors.push(anchored)
                }
                _ if n + 1 == lines.len() && !text.ends_with('\n') => {}
                _ => {
                    return Err(SealError::Anchor {
                        path: self.anchor.clone(),
                        line: n + 1,
                    })
                }
            }
        }
        Ok(anchors)
    }

    /// Records `(seq, hash)` as the head, unless the last anchor is already it.
    pub fn anchor(&self, seq: i64, hash: &str) -> Result<(), SealError> {
        if self.anchors()?.last().is_some_and(|last| last.seq >= seq) {
            return Ok(());
        }
        let line = Anchored {
            seq,
            hash: hash.to_string(),
            at: crate::time::now(),
            mac: self.anchor_mac(seq, hash),
        };
        let write = |error| SealError::Write {
            path: self.anchor.clone(),
            error,
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.anchor)
            .map_err(write)?;
        let text = serde_json::to_string(&line).unwrap_or_default();
        file.write_all(format!("{text}\n").as_bytes())
            .map_err(write)?;
        file.sync_data().map_err(write)
    }
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
