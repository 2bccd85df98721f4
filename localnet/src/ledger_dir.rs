//! `--ledger DIR`: what a restart resumes from. Every transaction is
//! appended to `DIR/transactions.log` — the record the RPC methods answer
//! from, and the state of every account it wrote — and synced before its
//! sender hears it landed, so a crash (even `kill -9`) loses only
//! transactions nobody was told about. A restart loads the accounts into the
//! new bank and the records into the history; `faucet.json` keeps the faucet
//! (readable by its owner only, as a keypair file should be).
//!
//! Reading it back, a torn last entry (a crash mid-append: nobody was told
//! it landed) is dropped — and said so — but an unreadable entry with more
//! after it stops the start, naming where: what it and those after it held
//! is unknown, and a localnet that forgot them would answer "unknown" for
//! transactions it once confirmed. No length read from the file is trusted
//! further than the file's own size.
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
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

/// The most one entry may hold: far above any transaction's record and
/// the accounts it wrote, far below what a damaged length could ask for.
pub const MAX_ENTRY_BYTES: u64 = 1 << 30;

/// What a restart finds.
pub struct Restored {
    pub faucet: Option<Keypair>,
    pub entries: Vec<Entry>,
    /// A torn last entry that was dropped.
    pub dropped_tail: Option<Tail>,
}

/// A torn last entry: (its byte offset, its bytes).
pub type Tail = (u64, u64);

/// Writes a keypair file (or any secret) readable and writable by its owner only.
pub fn write_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // An existing file keeps its mode on open: narrow it.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(bytes)?;
    file.sync_all()
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
        let (entries, dropped_tail) = Self::read_log(&Self::log_path(dir))?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(Self::log_path(dir))?;
        Ok((
            Self {
                dir: dir.to_path_buf(),
                log,
            },
            Restored {
                faucet,
                entries,
                dropped_tail,
            },
        ))
    }

    /// Every whole entry, and the torn last one dropped (truncated away), if
    /// any. An unreadable entry that is not the last refuses to start.
    fn read_log(path: &Path) -> std::io::Result<(Vec<Entry>, Option<Tail>)> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), None)),
            Err(e) => return Err(e),
        };
        let size = file.metadata()?.len();
        let mut reader = BufReader::new(file);
        let mut entries = Vec::new();
        let mut at = 0u64;
        let damaged = |what: String| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "ledger folder log {}: {what}; the localnet will not start on a damaged \
                     ledger (move the folder aside, or start afresh with --reset)",
                    path.display()
                ),
            )
        };
        loop {
            let left = size - at;
            if left == 0 {
                return Ok((entries, None));
            }
            let mut len = [0u8; 4];
            if left < 4 || reader.read_exact(&mut len).is_err() {
                break;
            }
            let len = u64::from(u32::from_le_bytes(len));
            // A length past the end is a torn write: never allocate more
            // than the file holds.
            if len > left - 4 {
                break;
            }
            if len > MAX_ENTRY_BYTES {
                return Err(damaged(format!(
                    "entry {} at byte {at} claims {len} bytes, more than an entry can hold",
                    entries.len() + 1
                )));
            }
            let mut bytes = vec![0u8; usize::try_from(len).map_err(std::io::Error::other)?];
            reader.read_exact(&mut bytes)?;
            let end = at + 4 + len;
            match Entry::decode(&bytes) {
                Some(entry) => entries.push(entry),
                // Whole but unreadable, and last: a write the crash cut
                // short inside its bytes. Anything after it is not.
                None if end == size => break,
                None => {
                    return Err(damaged(format!(
                        "entry {} at byte {at} cannot be read, and {} bytes of later entries \
                         follow it",
                        entries.len() + 1,
                        size - end
                    )))
                }
            }
            at = end;
        }
        OpenOptions::new().write(true).open(path)?.set_len(at)?;
        Ok((entries, Some((at, size - at))))
    }

    pub fn save_faucet(&self, faucet: &Keypair) -> std::io::Result<()> {
        let text =
            serde_json::to_string(&faucet.to_bytes().to_vec()).map_err(std::io::Error::other)?;
        write_secret(&Self::faucet_path(&self.dir), text.as_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;
    use solana_sdk::signature::Signer;

    /// A folder with two landed airdrops' worth of entries, as the chain writes them.
    fn two_entries(dir: &Path) -> Vec<u8> {
        let (mut folder, _) = LedgerDir::open(dir, false).unwrap();
        let faucet = Keypair::new();
        for lamports in [1, 2] {
            let ix = anchor_lang::solana_program::system_instruction::transfer(
                &faucet.pubkey(),
                &Pubkey::new_unique(),
                lamports,
            );
            let tx = solana_sdk::transaction::Transaction::new_signed_with_payer(
                &[ix],
                Some(&faucet.pubkey()),
                &[&faucet],
                solana_sdk::hash::Hash::new_unique(),
            );
            let record = Record {
                signature: tx.signatures[0],
                slot: lamports,
                block_time: 0,
                transaction: tx.into(),
                err: None,
                logs: Vec::new(),
                inner_instructions: Vec::new(),
                units_consumed: 0,
                fee: 5_000,
                pre_balances: Vec::new(),
                post_balances: Vec::new(),
                extra: RecordExtra::default(),
            };
            let entry = Entry {
                record,
                accounts: Vec::new(),
                extra: RecordExtra::default(),
            };
            folder.append(&entry).unwrap();
        }
        std::fs::read(LedgerDir::log_path(dir)).unwrap()
    }

    #[test]
    fn a_torn_last_entry_is_dropped_and_said_so() {
        let dir = tempfile::tempdir().unwrap();
        let whole = two_entries(dir.path());
        let log = LedgerDir::log_path(dir.path());
        // Cut inside the second entry's bytes.
        std::fs::write(&log, &whole[..whole.len() - 10]).unwrap();
        let (_, restored) = LedgerDir::open(dir.path(), false).unwrap();
        assert_eq!(restored.entries.len(), 1);
        let (at, bytes) = restored.dropped_tail.unwrap();
        assert_eq!(at + bytes, whole.len() as u64 - 10);
        assert_eq!(std::fs::read(&log).unwrap().len() as u64, at);
        // A length that claims four gigabytes, at the end: torn, not allocated.
        let mut claim = whole.clone();
        claim.extend_from_slice(&u32::MAX.to_le_bytes());
        claim.extend_from_slice(b"half");
        std::fs::write(&log, &claim).unwrap();
        let (_, restored) = LedgerDir::open(dir.path(), false).unwrap();
        assert_eq!(restored.entries.len(), 2);
        assert_eq!(restored.dropped_tail, Some((whole.len() as u64, 8)));
    }

    #[test]
    fn fails_when_an_unreadable_entry_has_entries_after_it_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let whole = two_entries(dir.path());
        let log = LedgerDir::log_path(dir.path());
        let mut damaged = whole.clone();
        // Garble the first entry's bytes, keeping its length.
        let first = u32::from_le_bytes(damaged[..4].try_into().unwrap()) as usize;
        for byte in &mut damaged[4..4 + first] {
            *byte = 0xff;
        }
        std::fs::write(&log, &damaged).unwrap();
        let error = LedgerDir::open(dir.path(), false).err().expect("refused");
        let text = error.to_string();
        assert!(text.contains("entry 1 at byte 0 cannot be read"), "{text}");
        assert!(text.contains("bytes of later entries follow it"), "{text}");
        assert_eq!(std::fs::read(&log).unwrap(), damaged, "nothing truncated");
    }

    #[test]
    fn the_faucet_keypair_is_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let (folder, _) = LedgerDir::open(dir.path(), false).unwrap();
        let path = LedgerDir::faucet_path(dir.path());
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        folder.save_faucet(&Keypair::new()).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
