//! `--ledger DIR`: what a restart resumes from. Every transaction is
//! appended to `DIR/transactions.log` — the record the RPC methods answer
//! from, and the state of every account it wrote — and synced before its
//! sender hears it landed, so a crash (even `kill -9`) loses only
//! transactions nobody was told about. A restart loads the accounts into the
//! new bank and the records into the history; `faucet.json` keeps the faucet.
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Keypair;

use crate::record::{Record, RecordExtra};

/// One landed transaction and the accounts it left behind.
#[derive(Serialize, Deserialize)]
pub struct Entry {
    pub record: Record,
    /// `None`: the transaction closed the account.
    pub accounts: Vec<(Pubkey, Option<Account>)>,
    /// What the record keeps beyond its first format (lookup-table
    /// addresses, token balances). Last, so that the entries of a folder
    /// written before it existed still read (below).
    pub extra: RecordExtra,
}

/// An entry as written before `extra`: read, never written.
#[derive(Deserialize)]
struct EntryWithoutExtra {
    record: Record,
    accounts: Vec<(Pubkey, Option<Account>)>,
}

impl Entry {
    fn decode(bytes: &[u8]) -> Option<Self> {
        if let Ok(entry) = bincode::deserialize::<Entry>(bytes) {
            return Some(entry);
        }
        let old = bincode::deserialize::<EntryWithoutExtra>(bytes).ok()?;
        Some(Self {
            record: old.record,
            accounts: old.accounts,
            extra: RecordExtra::default(),
        })
    }
}

pub struct LedgerDir {
    dir: PathBuf,
    log: File,
}

/// What a restart finds.
pub struct Restored {
    pub faucet: Option<Keypair>,
    pub entries: Vec<Entry>,
}

impl LedgerDir {
    fn log_path(dir: &Path) -> PathBuf {
        dir.join("transactions.log")
    }

    fn faucet_path(dir: &Path) -> PathBuf {
        dir.join("faucet.json")
    }

    /// Opens (creating) `dir`; `reset` empties it first.
    pub fn open(dir: &Path, reset: bool) -> std::io::Result<(Self, Restored)> {
        if reset {
            for path in [Self::log_path(dir), Self::faucet_path(dir)] {
                match std::fs::remove_file(path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
        }
        std::fs::create_dir_all(dir)?;
        let faucet = match std::fs::read(Self::faucet_path(dir)) {
            Ok(bytes) => {
                let numbers: Vec<u8> =
                    serde_json::from_slice(&bytes).map_err(std::io::Error::other)?;
                Some(Keypair::try_from(numbers.as_slice()).map_err(std::io::Error::other)?)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let entries = Self::read_log(&Self::log_path(dir))?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(Self::log_path(dir))?;
        Ok((
            Self {
                dir: dir.to_path_buf(),
                log,
            },
            Restored { faucet, entries },
        ))
    }

    /// Every whole entry; a torn last one (a crash mid-append) is dropped and truncated away.
    fn read_log(path: &Path) -> std::io::Result<Vec<Entry>> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut reader = BufReader::new(file);
        let mut entries = Vec::new();
        let mut good_len = 0u64;
        loop {
            let mut len = [0u8; 4];
            if reader.read_exact(&mut len).is_err() {
                break;
            }
            let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
            if reader.read_exact(&mut bytes).is_err() {
                break;
            }
            match Entry::decode(&bytes) {
                Some(entry) => entries.push(entry),
                None => break,
            }
            good_len += 4 + bytes.len() as u64;
        }
        OpenOptions::new()
            .write(true)
            .open(path)?
            .set_len(good_len)?;
        Ok(entries)
    }

    pub fn save_faucet(&self, faucet: &Keypair) -> std::io::Result<()> {
        let text =
            serde_json::to_string(&faucet.to_bytes().to_vec()).map_err(std::io::Error::other)?;
        std::fs::write(Self::faucet_path(&self.dir), text)
    }

    /// Appends and syncs one entry.
    pub fn append(&mut self, entry: &Entry) -> std::io::Result<()> {
        let bytes = bincode::serialize(entry).map_err(std::io::Error::other)?;
        let len = u32::try_from(bytes.len()).map_err(std::io::Error::other)?;
        self.log.write_all(&len.to_le_bytes())?;
        self.log.write_all(&bytes)?;
        self.log.sync_data()
    }
}
