//! solana-keygen keypair files, read with errors that say what is wrong with
//! the file: the CLI and the oracle both load their signers through here.
use std::path::{Path, PathBuf};

use solana_sdk::signature::Keypair;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum KeypairError {
    #[error("keypair file {} does not exist", .0.display())]
    Missing(PathBuf),
    #[error("cannot read keypair file {}: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("{} is not a solana-keygen keypair file (expected a JSON array of 64 bytes)", .0.display())]
    WrongShape(PathBuf),
}

/// Reads a solana-keygen JSON keypair file (a JSON array of 64 bytes).
pub fn read_keypair_file(path: &Path) -> Result<Keypair, KeypairError> {
    let bytes = std::fs::read(path).map_err(|error| match std::fs::metadata(path) {
        Err(_) => KeypairError::Missing(path.to_path_buf()),
        Ok(_) => KeypairError::Unreadable {
            path: path.to_path_buf(),
            reason: error.to_string(),
        },
    })?;
    let wrong_shape = || KeypairError::WrongShape(path.to_path_buf());
    let numbers: Vec<u8> = serde_json::from_slice(&bytes).map_err(|_| wrong_shape())?;
    if numbers.len() != 64 {
        return Err(wrong_shape());
    }
    Keypair::try_from(numbers.as_slice()).map_err(|_| wrong_shape())
}
