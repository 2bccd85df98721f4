//! `usd1 pay`'s lock and journal: the OS lock that keeps a second run of a
//! file out, and the journal of every attempt beside it.
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use solana_sdk::hash::Hash;
use solana_sdk::signature::Signature;
use usd1_client::send_journal::{Attempt, SendJournal};

use super::*;

/// An OS advisory lock held for a whole run, so that a second `usd1 pay` of
/// the same file (an overlapping cron job, a second terminal) stops at once
/// instead of paying the rows again. The lock file names its holder.
pub struct PayLock {
    _file: File,
}

impl PayLock {
    pub fn path_for(file: &str) -> PathBuf {
        PathBuf::from(format!("{file}.lock"))
    }

    pub fn acquire(path: &Path, file: &str) -> Result<Self> {
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                // The holder names itself right after it takes the lock: give
                // it a moment (a fraction of a second at most) to do so.
                let mut holder = String::new();
                for _ in 0..25 {
                    holder.clear();
                    let _ = lock.seek(SeekFrom::Start(0));
                    let _ = lock.read_to_string(&mut holder);
                    if !holder.trim().is_empty() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                let holder = match holder.trim() {
                    "" => "a run that has not named itself yet".to_string(),
                    named => named.to_string(),
                };
                bail!(
                    "{file} is being paid by another usd1 pay ({holder}; lock {}); nothing sent — wait for it to finish",
                    path.display()
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "this machine".into());
        let since = crate::output::utc(unix_now());
        lock.set_len(0)?;
        // One write, so a reader sees the whole line or none of it.
        let holder = format!("pid {} on {host}, started {since}\n", std::process::id());
        lock.write_all(holder.as_bytes())?;
        lock.sync_data()?;
        Ok(Self { _file: lock })
    }
}

pub(super) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The journal beside the payout file: one line per event,
/// `line<TAB>sent|done|failed|expired<TAB>signature<TAB>blockhash[<TAB>last
/// valid block height]`, synced before we go on. `sent` is written before
/// the transaction leaves, so a crash can never hide a payment that landed;
/// `failed` (the chain refused it) and `expired` (it can no longer land)
/// only on what the chain says at the commitment.
pub struct Journal {
    pub(super) file: Mutex<File>,
    pub(super) entries: Entries,
    /// The batch its rows' ids are bound to (from its header).
    pub batch: String,
}

/// What a journal's text says.
#[derive(Default)]
pub(super) struct Entries {
    pub(super) done: HashSet<usize>,
    pub(super) attempts: HashMap<usize, Vec<Attempt>>,
    /// Attempts the chain refused: they never pay, so no need to wait on them.
    pub(super) refused: HashSet<Signature>,
    /// Entries that cannot be read: (entry number, the row's line if legible).
    pub(super) damaged: Vec<(usize, Option<usize>)>,
}

impl Journal {
    pub fn path_for(file: &str) -> PathBuf {
        PathBuf::from(format!("{file}.journal"))
    }

    pub(super) fn header(file_sha256: &str, batch: &str) -> String {
        format!("# usd1-pay sha256={file_sha256} batch={batch}")
    }

    /// The batch a journal's `text` names in its header, if legible.
    pub(super) fn batch_of(text: &str) -> Option<String> {
        let header = text.lines().next()?.strip_prefix("# usd1-pay sha256=")?;
        let (_, batch) = header.split_once(" batch=")?;
        Some(batch.trim().to_string()).filter(|b| !b.is_empty())
    }

    /// Opens (or starts) the journal of a payout file whose contents hash to
    /// `file_sha256`, paid as `batch`; a journal of other contents is
    /// refused, since its line numbers would name other rows, and so is one
    /// of another batch, whose row ids differ. Damaged entries are kept in
    /// `damaged` for the caller to refuse on.
    pub fn open(path: &Path, file_sha256: &str, batch: &str) -> Result<Self> {
        let header = Self::header(file_sha256, batch);
        let text = Self::read(path)?;
        let first = text.lines().next();
        if !text.is_empty() && first != Some(header.as_str()) {
            if first.is_some_and(|h| h.starts_with(&format!("# usd1-pay sha256={file_sha256} "))) {
                bail!(
                    "journal {} is of batch {}, not {batch}; run with --batch {0} to go on with it, \
                     or move it aside to pay this file as a new batch",
                    path.display(),
                    Self::batch_of(&text).unwrap_or_default()
                );
            }
            bail!(
                "journal {} belongs to other file contents; the payout file changed since it was started \
                 (to find what its batch paid from the chain instead, run again with --reconcile)",
                path.display()
            );
        }
        Ok(Self {
            entries: Entries::parse(&text),
            file: Mutex::new(Self::append_to(path, &header, text.is_empty())?),
            batch: batch.to_string(),
        })
    }

    /// Starts the journal afresh (after `--reconcile`), keeping the old one
    /// beside it as `<journal>.replaced-<unix time>`.
    pub(super) fn replace(path: &Path, file_sha256: &str, batch: &str) -> Result<Self> {
        if path.exists() {
            let now = unix_now();
            let kept = PathBuf::from(format!("{}.replaced-{now}", path.display()));
            std::fs::rename(path, &kept)
                .with_context(|| format!("cannot set {} aside", path.display()))?;
        }
        Ok(Self {
            entries: Entries::default(),
            file: Mutex::new(Self::append_to(
                path,
                &Self::header(file_sha256, batch),
                true,
            )?),
            batch: batch.to_string(),
        })
    }

    /// The journal's text; bytes that are not UTF-8 read as damage, not as an error.
    pub(super) fn read(path: &Path) -> Result<String> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(e).with_context(|| {
                format!(
                    "cannot read journal {} (to find what was paid from the chain instead, run again with --reconcile)",
                    path.display()
                )
            }),
        }
    }

    pub(super) fn append_to(path: &Path, header: &str, fresh: bool) -> Result<File> {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot write journal {}", path.display()))?;
        if fresh {
            writeln!(file, "{header}")?;
            file.sync_data().context("cannot sync the journal")?;
        }
        Ok(file)
    }

    pub(super) fn record(&self, line: usize, state: &str, attempt: &Attempt) -> Result<()> {
        self.record_all(&[line], state, attempt)
    }

    /// The same event for every row of one transaction: one write, one sync.
    pub(super) fn record_all(&self, lines: &[usize], state: &str, attempt: &Attempt) -> Result<()> {
        let mut file = self
            .file
            .lock()
            .map_err(|_| anyhow::anyhow!("journal lock poisoned"))?;
        let Attempt {
            signature,
            blockhash,
            last_valid_block_height,
        } = attempt;
        // The last valid block height, when known, judges expiry (older
        // journals have four fields).
        let height = last_valid_block_height.map_or(String::new(), |h| format!("\t{h}"));
        let text: String = lines
            .iter()
            .map(|line| format!("{line}\t{state}\t{signature}\t{blockhash}{height}\n"))
            .collect();
        file.write_all(text.as_bytes())?;
        file.sync_data().context("cannot sync the journal")?;
        Ok(())
    }
}

impl Entries {
    /// Every legible entry of a journal's `text` (its first line is the header).
    pub(super) fn parse(text: &str) -> Self {
        let mut journal = Self::default();
        let entries: Vec<&str> = text.lines().skip(1).collect();
        for (n, entry) in entries.iter().enumerate() {
            let parts: Vec<&str> = entry.split('\t').collect();
            let (line, state, signature, blockhash, height) = match parts.as_slice() {
                [line, state, signature, blockhash, rest @ ..] if rest.len() <= 1 => (
                    line.parse::<usize>().ok(),
                    *state,
                    Signature::from_str(signature).ok(),
                    Hash::from_str(blockhash).ok(),
                    match rest {
                        [height] => height.parse::<u64>().ok().map(Some),
                        _ => Some(None),
                    },
                ),
                _ => (None, "", None, None, None),
            };
            match (line, state, signature, blockhash, height) {
                (Some(line), "done", Some(_), _, Some(_)) => {
                    journal.done.insert(line);
                }
                (Some(line), "sent", Some(signature), Some(blockhash), Some(height)) => {
                    journal.attempts.entry(line).or_default().push(Attempt {
                        signature,
                        blockhash,
                        last_valid_block_height: height,
                    });
                }
                // Refused by the chain, or expired unlanded: it never pays.
                (Some(_), "failed" | "expired", Some(signature), _, Some(_)) => {
                    journal.refused.insert(signature);
                }
                // A torn last line (a crash mid-write) carries nothing that was sent.
                _ if n + 1 == entries.len() && !text.ends_with('\n') => {}
                _ => journal.damaged.push((n + 1, line)),
            }
        }
        journal
    }

    /// Earlier attempts at the row on `line` that could have paid it.
    pub(super) fn open_attempts(&self, line: usize) -> Vec<Attempt> {
        self.attempts
            .get(&line)
            .map(|all| {
                all.iter()
                    .filter(|a| !self.refused.contains(&a.signature))
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Rows whose payment the damage leaves unknown: those named by a damaged
    /// entry, or every row not known paid when an entry names no line.
    pub(super) fn uncertain_rows(&self, rows: &[Row]) -> Vec<usize> {
        let anonymous = self.damaged.iter().any(|(_, line)| line.is_none());
        rows.iter()
            .map(|row| row.line)
            .filter(|line| !self.done.contains(line))
            .filter(|line| anonymous || self.damaged.iter().any(|(_, l)| *l == Some(*line)))
            .collect()
    }
}

/// The rows of one transaction's share of the journal, as the send journal
/// `usd1-client` records through: one attempt, every row it pays.
pub(super) struct GroupJournal<'a> {
    pub(super) journal: &'a Journal,
    pub(super) lines: &'a [usize],
}

impl SendJournal for GroupJournal<'_> {
    fn record_sent(&mut self, attempt: &Attempt) -> std::io::Result<()> {
        self.journal
            .record_all(self.lines, "sent", attempt)
            .map_err(std::io::Error::other)
    }
}
