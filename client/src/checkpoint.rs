//! Checkpoints: an audit replay's state written to a file, so the next replay reads
//! only the history after it.
//!
//! A checkpoint is JSON, canonical (fields in one order, no maps with an
//! unordered key, keys and signatures in base58, 128-bit amounts and hashes
//! as strings) and versioned:
//!
//! ```text
//! {"format": "usd1-audit-checkpoint", "version": 2, "mint": "…", "state": {…}, "sha256": "…"}
//! ```
//!
//! `sha256` is the SHA-256 of the compact JSON of `[format, version, mint,
//! state]`, so anyone can recompute it, and a file edited or cut short is
//! refused. Files are written to a temporary file, synced and renamed over
//! the old one: a crash leaves the old checkpoint or the new one, never a
//! torn file.
use std::io::Write;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_with::{serde_as, DeserializeAs, DisplayFromStr, SerializeAs};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;

/// The checkpoint format this build writes and reads.
/// 2: the replay counts freezes, thaws and seizures (issue 25); a version-1
/// checkpoint has not seen them, so it is refused rather than read short.
pub const VERSION: u32 = 2;

/// Why a checkpoint was refused.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("CheckpointUnreadable: cannot read checkpoint {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("CheckpointMalformed: {path} is not a checkpoint: {reason}")]
    Malformed { path: String, reason: String },
    #[error("CheckpointWrongKind: {path} is a {found} checkpoint, not a {expected} one")]
    WrongKind {
        path: String,
        found: String,
        expected: &'static str,
    },
    #[error("CheckpointVersionUnsupported: {path} is version {found}; this build reads version {VERSION}")]
    VersionUnsupported { path: String, found: u32 },
    #[error("CheckpointHashMismatch: {path} says sha256 {stated}, its contents hash to {computed}; it was edited or damaged")]
    HashMismatch {
        path: String,
        stated: String,
        computed: String,
    },
    #[error("CheckpointForAnotherMint: {path} is of mint {checkpoint}, not {mint}")]
    AnotherMint {
        path: String,
        checkpoint: Pubkey,
        mint: Pubkey,
    },
    #[error("CheckpointUnknownToNode: the node does not know {signature}, the last transaction the checkpoint replayed (another cluster, or a fork that did not last); replay with --from-scratch")]
    UnknownToNode { signature: Signature },
    #[error("CheckpointUnwritable: cannot write checkpoint {path}: {reason}")]
    Unwritable { path: String, reason: String },
}

/// `[u8; 32]` as lower-case hex.
pub struct Hex32;

impl SerializeAs<[u8; 32]> for Hex32 {
    fn serialize_as<S: Serializer>(bytes: &[u8; 32], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&crate::hex(bytes))
    }
}

impl<'de> DeserializeAs<'de, [u8; 32]> for Hex32 {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::hash_from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not 32 bytes of hex")))
    }
}

#[serde_as]
#[derive(Serialize, Deserialize)]
struct Envelope<S> {
    format: String,
    version: u32,
    #[serde_as(as = "DisplayFromStr")]
    mint: Pubkey,
    state: S,
    sha256: String,
}

/// The hash a checkpoint of `state` carries.
fn digest<S: Serialize>(format: &str, mint: &Pubkey, state: &S) -> String {
    let canonical = serde_json::to_vec(&(format, VERSION, mint.to_string(), state))
        .expect("a checkpoint state always serializes");
    crate::hex(&crate::sha256(&canonical))
}

/// The checkpoint file of `state`, and its hash.
pub fn encode<S: Serialize>(format: &str, mint: &Pubkey, state: &S) -> (Vec<u8>, String) {
    let sha256 = digest(format, mint, state);
    let envelope = Envelope {
        format: format.to_string(),
        version: VERSION,
        mint: *mint,
        state,
        sha256: sha256.clone(),
    };
    let mut bytes =
        serde_json::to_vec_pretty(&envelope).expect("a checkpoint state always serializes");
    bytes.push(b'\n');
    (bytes, sha256)
}

/// The state of the checkpoint at `path` for `mint`, and its hash; `None`
/// when there is no file. Refused (named) when it is another kind of file,
/// another version, another mint's, or its hash does not check.
pub fn load<S: Serialize + DeserializeOwned>(
    path: &Path,
    format: &'static str,
    mint: &Pubkey,
) -> Result<Option<(S, String)>, CheckpointError> {
    let shown = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CheckpointError::Unreadable {
                path: shown,
                reason: e.to_string(),
            })
        }
    };
    decode(&bytes, &shown, format, mint).map(Some)
}

/// The state of checkpoint `bytes` (read from `shown`) for `mint`, refused
/// as [`load`] says.
pub fn decode<S: Serialize + DeserializeOwned>(
    bytes: &[u8],
    shown: &str,
    format: &'static str,
    mint: &Pubkey,
) -> Result<(S, String), CheckpointError> {
    let shown = shown.to_string();
    let malformed = |reason: String| CheckpointError::Malformed {
        path: shown.clone(),
        reason,
    };
    // The kind and version first: another version's state need not parse.
    #[derive(Deserialize)]
    struct Head {
        format: String,
        version: u32,
    }
    let head: Head = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    if head.format != format {
        return Err(CheckpointError::WrongKind {
            path: shown,
            found: head.format,
            expected: format,
        });
    }
    if head.version != VERSION {
        return Err(CheckpointError::VersionUnsupported {
            path: shown,
            found: head.version,
        });
    }
    let envelope: Envelope<S> =
        serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    let computed = digest(format, &envelope.mint, &envelope.state);
    if computed != envelope.sha256 {
        return Err(CheckpointError::HashMismatch {
            path: shown,
            stated: envelope.sha256,
            computed,
        });
    }
    if envelope.mint != *mint {
        return Err(CheckpointError::AnotherMint {
            path: shown,
            checkpoint: envelope.mint,
            mint: *mint,
        });
    }
    Ok((envelope.state, computed))
}

/// Writes `bytes` to `path` whole or not at all: a temporary file beside it,
/// synced, renamed over it, and the folder synced.
pub fn save(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let unwritable = |e: std::io::Error| CheckpointError::Unwritable {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| unwritable(std::io::Error::other("the path names no file")))?;
    let mut temporary = name.to_os_string();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = folder.join(temporary);
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        std::fs::File::open(&folder)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(unwritable)
}
