//! `usd1 pay FILE.csv --mint MINT`: business payouts. Rows are
//! `recipient,amount[,memo]`. Every row is checked before anything is sent;
//! transfers go out several at a time; a journal beside the file records each
//! attempt's signature before it is sent and its confirmation after, so a
//! re-run after an interruption pays no row twice and skips none.
//!
//! A lock beside the file keeps a second run of it from starting while one
//! is under way; a damaged journal stops the run, naming the rows whose fate
//! it hides. Every transfer's memo carries the row's id, so `--reconcile`
//! can rebuild what was paid from the sender's on-chain history when the
//! journal is lost or damaged.
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use anchor_spl::token_2022::spl_token_2022::instruction::TokenInstruction;
use anyhow::{bail, Context as _, Result};
use futures::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use usd1_client::instructions::MEMO_PROGRAM_ID;
use usd1_client::send_journal::{self, Attempt, Outcome, SendJournal, SendRecordedError};
use usd1_client::{format_amount, instructions, parse_amount, ClientError, Ledger, Usd1};

use crate::commands::MintArg;
use crate::{Context, Output};

/// Longest memo a row may carry (bytes).
const MAX_MEMO_LEN: usize = 200;
/// How long a re-run waits for an earlier attempt that may still land.
const PENDING_WAIT: Duration = Duration::from_secs(120);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV of `recipient,amount[,memo]`, amounts in token units; a header row is allowed.
    pub file: String,
    #[command(flatten)]
    pub mint: MintArg,
    /// Transfers in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// The journal is missing, damaged or of other file contents: find the
    /// rows already paid in the sender's on-chain history (by the row id in
    /// each transfer's memo), start a fresh journal, and pay only the rest.
    #[arg(long)]
    pub reconcile: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line number in the file.
    pub line: usize,
    pub recipient: Pubkey,
    pub amount: u64,
    pub memo: Option<String>,
}

/// Parses every row; on any bad row, every problem with its line number.
pub fn parse_rows(text: &str, decimals: u8) -> std::result::Result<Vec<Row>, Vec<String>> {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut seen_data = false;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        if !seen_data && trimmed.to_ascii_lowercase().starts_with("recipient") {
            seen_data = true;
            continue;
        }
        seen_data = true;
        let fields: Vec<&str> = trimmed.splitn(3, ',').map(str::trim).collect();
        if fields.len() < 2 {
            problems.push(format!("line {line}: expected recipient,amount[,memo]"));
            continue;
        }
        let recipient = Pubkey::from_str(fields[0]);
        let amount = parse_amount(fields[1], decimals);
        let memo = fields
            .get(2)
            .filter(|m| !m.is_empty())
            .map(|m| m.to_string());
        match (&recipient, &amount) {
            (Err(_), _) => problems.push(format!(
                "line {line}: '{}' is not a valid address",
                fields[0]
            )),
            (_, Err(e)) => problems.push(format!("line {line}: {e}")),
            (Ok(_), Ok(0)) => {
                problems.push(format!("line {line}: amount must be greater than zero"))
            }
            _ if memo.as_ref().is_some_and(|m| m.len() > MAX_MEMO_LEN) => problems.push(format!(
                "line {line}: memo longer than {MAX_MEMO_LEN} bytes"
            )),
            (Ok(recipient), Ok(amount)) => rows.push(Row {
                line,
                recipient: *recipient,
                amount: *amount,
                memo,
            }),
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// The memo every payout transfer carries first: `usd1-pay:<row id>`.
pub const ROW_MEMO_PREFIX: &str = "usd1-pay:";

impl Row {
    /// The row's identifier on-chain: the first 8 bytes (16 hex digits) of
    /// the SHA-256 of what the row pays — mint, line, recipient, amount in
    /// base units, memo — and not of where the file lies, so that a copy of
    /// the file on another machine names the same rows.
    pub fn id(&self, mint: &Pubkey) -> String {
        let content = format!(
            "usd1-pay-row:v1\n{mint}\n{}\n{}\n{}\n{}",
            self.line,
            self.recipient,
            self.amount,
            self.memo.as_deref().unwrap_or("")
        );
        usd1_client::hex(&usd1_client::sha256(content.as_bytes())[..8])
    }
}

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
        let since = chrono::DateTime::from_timestamp(unix_now(), 0)
            .map_or_else(String::new, |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        lock.set_len(0)?;
        // One write, so a reader sees the whole line or none of it.
        let holder = format!("pid {} on {host}, started {since}\n", std::process::id());
        lock.write_all(holder.as_bytes())?;
        lock.sync_data()?;
        Ok(Self { _file: lock })
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The journal beside the payout file: one line per event,
/// `line<TAB>sent|done|failed<TAB>signature<TAB>blockhash`, synced before we
/// go on. `sent` is written before the transaction leaves, so a crash can
/// never hide a payment that landed.
pub struct Journal {
    file: Mutex<File>,
    entries: Entries,
}

/// What a journal's text says.
#[derive(Default)]
struct Entries {
    done: HashSet<usize>,
    attempts: HashMap<usize, Vec<Attempt>>,
    /// Attempts the chain refused: they never pay, so no need to wait on them.
    refused: HashSet<Signature>,
    /// Entries that cannot be read: (entry number, the row's line if legible).
    damaged: Vec<(usize, Option<usize>)>,
}

impl Journal {
    pub fn path_for(file: &str) -> PathBuf {
        PathBuf::from(format!("{file}.journal"))
    }

    fn header(file_sha256: &str) -> String {
        format!("# usd1-pay sha256={file_sha256}")
    }

    /// Opens (or starts) the journal of a payout file whose contents hash to
    /// `file_sha256`; a journal of other contents is refused, since its line
    /// numbers would name other rows. Damaged entries are kept in `damaged`
    /// for the caller to refuse on.
    pub fn open(path: &Path, file_sha256: &str) -> Result<Self> {
        let header = Self::header(file_sha256);
        let text = Self::read(path)?;
        if !text.is_empty() && text.lines().next() != Some(header.as_str()) {
            bail!(
                "journal {} belongs to other file contents; the payout file changed since it was started \
                 (to find what was paid from the chain instead, run again with --reconcile)",
                path.display()
            );
        }
        Ok(Self {
            entries: Entries::parse(&text),
            file: Mutex::new(Self::append_to(path, &header, text.is_empty())?),
        })
    }

    /// Starts the journal afresh (after `--reconcile`), keeping the old one
    /// beside it as `<journal>.replaced-<unix time>`.
    fn replace(path: &Path, file_sha256: &str) -> Result<Self> {
        if path.exists() {
            let now = unix_now();
            let kept = PathBuf::from(format!("{}.replaced-{now}", path.display()));
            std::fs::rename(path, &kept)
                .with_context(|| format!("cannot set {} aside", path.display()))?;
        }
        Ok(Self {
            entries: Entries::default(),
            file: Mutex::new(Self::append_to(path, &Self::header(file_sha256), true)?),
        })
    }

    /// The journal's text; bytes that are not UTF-8 read as damage, not as an error.
    fn read(path: &Path) -> Result<String> {
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

    fn append_to(path: &Path, header: &str, fresh: bool) -> Result<File> {
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

    fn record(
        &self,
        line: usize,
        state: &str,
        signature: &Signature,
        blockhash: &Hash,
    ) -> Result<()> {
        let mut file = self
            .file
            .lock()
            .map_err(|_| anyhow::anyhow!("journal lock poisoned"))?;
        writeln!(file, "{line}\t{state}\t{signature}\t{blockhash}")?;
        file.sync_data().context("cannot sync the journal")?;
        Ok(())
    }
}

impl Entries {
    /// Every legible entry of a journal's `text` (its first line is the header).
    fn parse(text: &str) -> Self {
        let mut journal = Self::default();
        let entries: Vec<&str> = text.lines().skip(1).collect();
        for (n, entry) in entries.iter().enumerate() {
            let parts: Vec<&str> = entry.split('\t').collect();
            let (line, state, signature, blockhash) = match parts.as_slice() {
                [line, state, signature, blockhash] => (
                    line.parse::<usize>().ok(),
                    *state,
                    Signature::from_str(signature).ok(),
                    Hash::from_str(blockhash).ok(),
                ),
                _ => (None, "", None, None),
            };
            match (line, state, signature, blockhash) {
                (Some(line), "done", Some(_), _) => {
                    journal.done.insert(line);
                }
                (Some(line), "sent", Some(signature), Some(blockhash)) => {
                    journal.attempts.entry(line).or_default().push(Attempt {
                        signature,
                        blockhash,
                    });
                }
                (Some(_), "failed", Some(signature), _) => {
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
    fn open_attempts(&self, line: usize) -> Vec<Attempt> {
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
    fn uncertain_rows(&self, rows: &[Row]) -> Vec<usize> {
        let anonymous = self.damaged.iter().any(|(_, line)| line.is_none());
        rows.iter()
            .map(|row| row.line)
            .filter(|line| !self.done.contains(line))
            .filter(|line| anonymous || self.damaged.iter().any(|(_, l)| *l == Some(*line)))
            .collect()
    }
}

/// One row's share of the journal, as the send journal `usd1-client` records through.
struct RowJournal<'a> {
    journal: &'a Journal,
    line: usize,
}

impl SendJournal for RowJournal<'_> {
    fn record_sent(&mut self, attempt: &Attempt) -> std::io::Result<()> {
        self.journal
            .record(self.line, "sent", &attempt.signature, &attempt.blockhash)
            .map_err(std::io::Error::other)
    }
}

#[derive(Debug, Serialize)]
pub struct RowFailure {
    pub line: usize,
    pub recipient: String,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct Payout {
    pub rows: usize,
    /// Rows the journal (or, with `--reconcile`, the chain) shows were paid by an earlier run.
    pub already_paid: usize,
    /// With `--reconcile`: how many of those the sender's on-chain history showed.
    pub found_on_chain: Option<usize>,
    pub paid: usize,
    pub amount_paid: String,
    pub failed: Vec<RowFailure>,
    pub journal: String,
}

impl fmt::Display for Payout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(found) = self.found_on_chain {
            writeln!(
                f,
                "Reconciled with the chain: {found} rows found already paid in the sender's history"
            )?;
        }
        write!(
            f,
            "Paid {} of {} rows ({} in this run, {} earlier), {} sent in this run; journal {}",
            self.paid + self.already_paid,
            self.rows,
            self.paid,
            self.already_paid,
            self.amount_paid,
            self.journal
        )?;
        for failure in &self.failed {
            write!(
                f,
                "\nline {}: {} — {}",
                failure.line, failure.recipient, failure.error
            )?;
        }
        Ok(())
    }
}

/// Whether any earlier attempt at a row landed, waiting for ones that still might.
async fn landed_earlier(ledger: &dyn Ledger, attempts: &[Attempt]) -> Result<Option<Attempt>> {
    let pending = std::future::pending();
    match send_journal::wait_for_outcome(ledger, attempts, PENDING_WAIT, pending).await? {
        Outcome::Landed(signature) => {
            Ok(attempts.iter().find(|a| a.signature == signature).copied())
        }
        Outcome::CannotLand => Ok(None),
        Outcome::MayStillLand => bail!(
            "an earlier attempt is still pending after {}s; run again later",
            PENDING_WAIT.as_secs()
        ),
    }
}

/// The rows of `rows` that the payer's on-chain history shows paid: a
/// successful transaction whose memo, signed by the payer, names the row's id,
/// and whose transfer moved the row's amount of the mint to the recipient.
async fn paid_on_chain(usd1: &Usd1<dyn Ledger>, rows: &[Row]) -> Result<HashMap<usize, Signature>> {
    let payer = usd1.payer().pubkey();
    let mint = usd1.mint();
    let by_id: HashMap<String, &Row> = rows.iter().map(|row| (row.id(&mint), row)).collect();
    let history = usd1
        .ledger()
        .history(&payer)
        .await
        .context("cannot read the sender's history to reconcile")?;
    let mut paid = HashMap::new();
    for tx in &history {
        let ids = tx.instructions.iter().filter_map(|ix| {
            if ix.program_id != MEMO_PROGRAM_ID || !ix.accounts.contains(&payer) {
                return None;
            }
            let text = std::str::from_utf8(&ix.data).ok()?;
            text.strip_prefix(ROW_MEMO_PREFIX)?.get(..16)
        });
        for id in ids {
            let Some(row) = by_id.get(id) else { continue };
            let destination = usd1.token_account_of(&row.recipient);
            let transferred = tx.instructions.iter().any(|ix| {
                ix.program_id == usd1.token_program()
                    && ix.accounts.get(1) == Some(&mint)
                    && ix.accounts.get(2) == Some(&destination)
                    && ix.accounts.get(3) == Some(&payer)
                    && matches!(
                        TokenInstruction::unpack(&ix.data),
                        Ok(TokenInstruction::TransferChecked { amount, .. }) if amount == row.amount
                    )
            });
            if transferred {
                paid.insert(row.line, tx.signature);
            }
        }
    }
    Ok(paid)
}

async fn pay_row(
    usd1: &Usd1<dyn Ledger>,
    journal: &Journal,
    name: &str,
    row: &Row,
    decimals: u8,
) -> std::result::Result<(), String> {
    let payer = usd1.payer().pubkey();
    let id = row.id(&usd1.mint());
    let memo = match &row.memo {
        Some(memo) => format!("{ROW_MEMO_PREFIX}{id} {name}:{} {memo}", row.line),
        None => format!("{ROW_MEMO_PREFIX}{id} {name}:{}", row.line),
    };
    let transfer = instructions::transfer(
        &payer,
        &usd1.mint(),
        &row.recipient,
        &usd1.token_program(),
        row.amount,
        decimals,
    )
    .map_err(|e| e.to_string())?;
    let ixs = [
        instructions::create_associated_token_account(
            &payer,
            &row.recipient,
            &usd1.mint(),
            &usd1.token_program(),
        ),
        transfer,
        // Names the row on-chain (what `--reconcile` finds) and makes every
        // row's transaction distinct.
        instructions::memo(&memo, &payer),
    ];
    let blockhash = usd1
        .ledger()
        .latest_blockhash()
        .await
        .map_err(|e| e.to_string())?;
    let transaction = usd1
        .transaction(&ixs, &[], blockhash)
        .map_err(|e| e.to_string())?;
    let signature = transaction.signatures[0];
    let mut row_journal = RowJournal {
        journal,
        line: row.line,
    };
    let sent = send_journal::send_recorded(usd1.ledger().as_ref(), &mut row_journal, &transaction);
    match sent.await {
        Ok(_) => journal
            .record(row.line, "done", &signature, &blockhash)
            .map_err(|e| format!("{e:#}")),
        Err(SendRecordedError::Journal(e)) => Err(e.to_string()),
        Err(SendRecordedError::Send(ClientError::Failed { failure, .. })) => {
            journal
                .record(row.line, "failed", &signature, &blockhash)
                .map_err(|e| format!("{e:#}"))?;
            Err(failure.to_string())
        }
        Err(SendRecordedError::Send(other)) => Err(format!("{other} (re-run to check and retry)")),
    }
}

/// With `--reconcile`: waits out whatever the old journal (damaged, foreign or
/// whole) says may still land, reads the chain for rows already paid, and
/// starts a fresh journal that records them (the old one is kept beside it).
/// Returns the journal and how many rows the chain showed paid.
async fn reconcile(
    usd1: &Usd1<dyn Ledger>,
    path: &Path,
    digest: &str,
    rows: &[Row],
) -> Result<(Journal, usize)> {
    let old = Entries::parse(&Journal::read(path)?);
    for attempts in old.attempts.values() {
        let attempts: Vec<Attempt> = attempts
            .iter()
            .filter(|a| !old.refused.contains(&a.signature))
            .copied()
            .collect();
        landed_earlier(usd1.ledger().as_ref(), &attempts).await?;
    }
    let paid = paid_on_chain(usd1, rows).await?;
    let mut journal = Journal::replace(path, digest)?;
    let mut lines: Vec<_> = paid.iter().collect();
    lines.sort();
    for (line, signature) in lines {
        journal.record(*line, "done", signature, &Hash::default())?;
        journal.entries.done.insert(*line);
    }
    Ok((journal, paid.len()))
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    ctx.one_transaction_only("pay")?;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file))?;
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let decimals = usd1.decimals();
    let rows = match parse_rows(&text, decimals) {
        Ok(rows) => rows,
        Err(problems) => bail!(
            "{} invalid row(s), nothing sent: {}",
            problems.len(),
            problems.join("; ")
        ),
    };
    let _lock = PayLock::acquire(&PayLock::path_for(&args.file), &args.file)?;
    let journal_path = Journal::path_for(&args.file);
    let digest = usd1_client::hex(&usd1_client::sha256(text.as_bytes()));
    let (journal, found_on_chain) = if args.reconcile {
        let (journal, found) = reconcile(&usd1, &journal_path, &digest, &rows).await?;
        (journal, Some(found))
    } else {
        let journal = Journal::open(&journal_path, &digest)?;
        if !journal.entries.damaged.is_empty() {
            let entries: Vec<String> = journal
                .entries
                .damaged
                .iter()
                .map(|(n, _)| n.to_string())
                .collect();
            let uncertain: Vec<String> = journal
                .entries
                .uncertain_rows(&rows)
                .iter()
                .map(ToString::to_string)
                .collect();
            bail!(
                "journal {} is damaged at entry {}; nothing sent. Whether the rows on line(s) {} were paid is unknown: \
                 run again with --reconcile to find the paid rows in the sender's on-chain history and pay only the rest",
                journal_path.display(),
                entries.join(", "),
                uncertain.join(", ")
            );
        }
        (journal, None)
    };
    let name = Path::new(&args.file)
        .file_name()
        .map_or_else(|| args.file.clone(), |n| n.to_string_lossy().into_owned());

    // Rows already paid: recorded as done, or sent by a run that stopped before it knew.
    let mut already_paid = 0;
    let mut to_pay = Vec::new();
    for row in &rows {
        if journal.entries.done.contains(&row.line) {
            already_paid += 1;
            continue;
        }
        let attempts = journal.entries.open_attempts(row.line);
        match landed_earlier(ctx.ledger.as_ref(), &attempts).await? {
            Some(landed) => {
                journal.record(row.line, "done", &landed.signature, &landed.blockhash)?;
                already_paid += 1;
            }
            None => to_pay.push(row.clone()),
        }
    }
    let progress = ProgressBar::with_draw_target(
        Some(to_pay.len() as u64),
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let results: Vec<(Row, std::result::Result<(), String>)> = stream::iter(to_pay)
        .map(|row| {
            let (usd1, journal, name, progress) = (&usd1, &journal, name.as_str(), &progress);
            async move {
                let result = pay_row(usd1, journal, name, &row, decimals).await;
                progress.inc(1);
                (row, result)
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .collect()
        .await;
    progress.finish_and_clear();

    let mut failed: Vec<RowFailure> = Vec::new();
    let mut paid = 0;
    let mut amount_paid = 0u64;
    for (row, result) in results {
        match result {
            Ok(()) => {
                paid += 1;
                amount_paid = amount_paid.saturating_add(row.amount);
            }
            Err(error) => failed.push(RowFailure {
                line: row.line,
                recipient: row.recipient.to_string(),
                error,
            }),
        }
    }
    failed.sort_by_key(|f| f.line);
    let payout = Payout {
        rows: rows.len(),
        already_paid,
        found_on_chain,
        paid,
        amount_paid: format_amount(amount_paid, decimals),
        failed,
        journal: journal_path.display().to_string(),
    };
    let failing = !payout.failed.is_empty();
    Ok(Output::new(&payout).failing(failing))
}
