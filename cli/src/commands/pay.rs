//! `usd1 pay FILE.csv --mint MINT`: business payouts. Rows are
//! `recipient,amount[,memo]`. Every row is checked before anything is sent;
//! transfers go out several at a time; a journal beside the file records each
//! attempt's signature before it is sent and its confirmation after, so a
//! re-run after an interruption pays no row twice and skips none.
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use futures::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Signature, Signer};
use usd1_client::ledger::{attempts_outcome, AttemptsOutcome};
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

/// The journal beside the payout file: one line per event,
/// `line<TAB>sent|done|failed<TAB>signature<TAB>blockhash`, synced before we
/// go on. `sent` is written before the transaction leaves, so a crash can
/// never hide a payment that landed.
pub struct Journal {
    file: Mutex<File>,
    done: HashSet<usize>,
    attempts: HashMap<usize, Vec<(Signature, Hash)>>,
    /// Attempts the chain refused: they never pay, so no need to wait on them.
    refused: HashSet<Signature>,
}

impl Journal {
    pub fn path_for(file: &str) -> PathBuf {
        PathBuf::from(format!("{file}.journal"))
    }

    /// Opens (or starts) the journal of a payout file whose contents hash to
    /// `file_sha256`; a journal of other contents is refused, since its line
    /// numbers would name other rows.
    pub fn open(path: &Path, file_sha256: &str) -> Result<Self> {
        let header = format!("# usd1-pay sha256={file_sha256}");
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read journal {}", path.display()))
            }
        };
        let fresh = text.is_empty();
        if !fresh && text.lines().next() != Some(header.as_str()) {
            bail!(
                "journal {} belongs to other file contents; the payout file changed since it was started",
                path.display()
            );
        }
        let text: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
        let mut done = HashSet::new();
        let mut attempts: HashMap<usize, Vec<(Signature, Hash)>> = HashMap::new();
        let mut refused = HashSet::new();
        for (n, entry) in text.lines().enumerate() {
            let parts: Vec<&str> = entry.split('\t').collect();
            let parsed = match parts.as_slice() {
                [line, state, signature, blockhash] => Some((
                    line.parse::<usize>().ok(),
                    *state,
                    Signature::from_str(signature).ok(),
                    Hash::from_str(blockhash).ok(),
                )),
                _ => None,
            };
            match parsed {
                Some((Some(line), "done", Some(_), _)) => {
                    done.insert(line);
                }
                Some((Some(line), "sent", Some(signature), Some(blockhash))) => {
                    attempts
                        .entry(line)
                        .or_default()
                        .push((signature, blockhash));
                }
                Some((Some(_), "failed", Some(signature), _)) => {
                    refused.insert(signature);
                }
                // A torn last line (a crash mid-write) carries nothing that was sent.
                _ if n + 1 == text.lines().count() => {}
                _ => bail!("journal {} is damaged at entry {}", path.display(), n + 1),
            }
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot write journal {}", path.display()))?;
        if fresh {
            writeln!(file, "{header}")?;
            file.sync_data().context("cannot sync the journal")?;
        }
        Ok(Self {
            file: Mutex::new(file),
            done,
            attempts,
            refused,
        })
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

#[derive(Debug, Serialize)]
pub struct RowFailure {
    pub line: usize,
    pub recipient: String,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct Payout {
    pub rows: usize,
    /// Rows the journal shows were paid by an earlier run.
    pub already_paid: usize,
    pub paid: usize,
    pub amount_paid: String,
    pub failed: Vec<RowFailure>,
    pub journal: String,
}

impl fmt::Display for Payout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
async fn landed_earlier(ledger: &dyn Ledger, attempts: &[(Signature, Hash)]) -> Result<bool> {
    let deadline = Instant::now() + PENDING_WAIT;
    loop {
        match attempts_outcome(ledger, attempts).await? {
            AttemptsOutcome::Landed(_) => return Ok(true),
            AttemptsOutcome::CannotLand => return Ok(false),
            AttemptsOutcome::MayStillLand => {}
        }
        if Instant::now() > deadline {
            bail!(
                "an earlier attempt is still pending after {}s; run again later",
                PENDING_WAIT.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn pay_row(
    usd1: &Usd1<dyn Ledger>,
    journal: &Journal,
    name: &str,
    row: &Row,
    decimals: u8,
) -> std::result::Result<(), String> {
    let payer = usd1.payer().pubkey();
    let memo = match &row.memo {
        Some(memo) => format!("usd1-pay {name}:{} {memo}", row.line),
        None => format!("usd1-pay {name}:{}", row.line),
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
        // Names the row on-chain and makes every row's transaction distinct.
        instructions::memo(&memo, &payer),
    ];
    let blockhash = usd1
        .ledger()
        .latest_blockhash()
        .await
        .map_err(|e| e.to_string())?;
    let transaction = usd1.transaction(&ixs, &[], blockhash);
    let signature = transaction.signatures[0];
    journal
        .record(row.line, "sent", &signature, &blockhash)
        .map_err(|e| format!("{e:#}"))?;
    match usd1.ledger().send_and_confirm(&transaction).await {
        Ok(_) => journal
            .record(row.line, "done", &signature, &blockhash)
            .map_err(|e| format!("{e:#}")),
        Err(ClientError::Failed { failure, .. }) => {
            journal
                .record(row.line, "failed", &signature, &blockhash)
                .map_err(|e| format!("{e:#}"))?;
            Err(failure.to_string())
        }
        Err(other) => Err(format!("{other} (re-run to check and retry)")),
    }
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
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
    let journal_path = Journal::path_for(&args.file);
    let digest: String = usd1_client::sha256(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let journal = Journal::open(&journal_path, &digest)?;
    let name = Path::new(&args.file)
        .file_name()
        .map_or_else(|| args.file.clone(), |n| n.to_string_lossy().into_owned());

    // Rows already paid: recorded as done, or sent by a run that stopped before it knew.
    let mut already_paid = 0;
    let mut to_pay = Vec::new();
    for row in &rows {
        let attempts: Vec<(Signature, Hash)> = journal
            .attempts
            .get(&row.line)
            .map(|all| {
                all.iter()
                    .filter(|(sig, _)| !journal.refused.contains(sig))
                    .copied()
                    .collect()
            })
            .unwrap_or_default();
        let paid = journal.done.contains(&row.line)
            || landed_earlier(ctx.ledger.as_ref(), &attempts).await?;
        if paid {
            if !journal.done.contains(&row.line) {
                let (signature, blockhash) = attempts[attempts.len() - 1];
                journal.record(row.line, "done", &signature, &blockhash)?;
            }
            already_paid += 1;
        } else {
            to_pay.push(row.clone());
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
        paid,
        amount_paid: format_amount(amount_paid, decimals),
        failed,
        journal: journal_path.display().to_string(),
    };
    let failing = !payout.failed.is_empty();
    Ok(Output::new(&payout).failing(failing))
}
