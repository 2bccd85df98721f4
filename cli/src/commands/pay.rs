//! `usd1 pay FILE.csv --mint MINT`: business payouts. Rows are
//! `recipient,amount[,memo]`. Every row is checked before anything is sent;
//! transfers go out several at a time; a journal beside the file records each
//! attempt's signature before it is sent and its confirmation after, so a
//! re-run after an interruption pays no row twice and skips none.
//!
//! A lock beside the file keeps a second run of it from starting while one
//! is under way; a damaged journal stops the run, naming the rows whose fate
//! it hides. Every transfer's memo carries the row's id — bound to the
//! batch, so an identical row of another payout is another row — and
//! `--reconcile` rebuilds what the batch paid from the sender's on-chain
//! history when the journal is lost or damaged ([`reconcile`]).
use std::fmt;
use std::io::IsTerminal;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use futures::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use usd1_client::{format_amount, parse_amount, Ledger, Usd1};

mod journal;
mod pack;
mod reconcile;
mod send;
pub use journal::{Journal, PayLock};
pub use pack::memo_row_ids;
use reconcile::{landed_earlier, reconcile};

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
    /// Transactions in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// At most this many rows per transaction (default: as many as fit one
    /// packet and the compute budget; 1 sends one transfer per transaction).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub rows_per_tx: Option<u16>,
    /// Priority fee in micro-lamports per compute unit, set with the
    /// transaction's compute-unit limit through the Compute Budget program.
    #[arg(long, value_name = "MICRO_LAMPORTS", default_value_t = 0)]
    pub priority_fee: u64,
    /// The journal is missing, damaged or of other file contents: find the
    /// rows this batch already paid in the sender's on-chain history (by the
    /// row id in each transfer's memo), start a fresh journal, and pay only
    /// the rest.
    #[arg(long)]
    pub reconcile: bool,
    /// The payout's name, which every row id is bound to (letters, digits,
    /// `.`, `-`, `_`; at most 32). Default: the file's own (16 hex digits of
    /// its SHA-256, kept in the journal). Name a batch to pay the same rows
    /// again as a new payout, or to reconcile a run of an earlier version of
    /// the file (its id is in the summary and the journal).
    #[arg(long, value_name = "ID", value_parser = parse_batch)]
    pub batch: Option<String>,
    /// Screen every recipient (the wallet and its token account) against
    /// this sanctions list first; a listed one stops the payout before
    /// anything is sent. Repeat for several lists.
    #[arg(long = "list", value_name = "FILE")]
    pub lists: Vec<std::path::PathBuf>,
}

/// The rows whose recipient (wallet or token account) a list names, one
/// line each: what `--list` refuses a payout for.
fn listed_rows(
    usd1: &Usd1<dyn Ledger>,
    rows: &[Row],
    lists: &[std::path::PathBuf],
) -> Result<Vec<String>> {
    if lists.is_empty() {
        return Ok(Vec::new());
    }
    let screener = usd1_client::screening::Screener::read(lists)?;
    Ok(rows
        .iter()
        .flat_map(|row| {
            screener
                .screen_owner(&row.recipient, &usd1.token_account_of(&row.recipient))
                .into_iter()
                .map(move |finding| format!("line {}: {finding}", row.line))
        })
        .collect())
}

/// A `--batch` id as a memo can carry it.
fn parse_batch(text: &str) -> std::result::Result<String, String> {
    let fits = (1..=32).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if fits {
        Ok(text.to_string())
    } else {
        Err(format!(
            "'{text}': a batch id is 1 to 32 letters, digits, '.', '-' or '_'"
        ))
    }
}

/// A payout file's own batch id: the first 8 bytes of its SHA-256, in hex.
pub fn default_batch(text: &str) -> String {
    usd1_client::hex(&usd1_client::sha256(text.as_bytes())[..8])
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
    /// the SHA-256 of the batch and what the row pays — mint, line,
    /// recipient, amount in base units, memo — and not of where the file
    /// lies, so that a copy of the file on another machine names the same
    /// rows, while an identical row of another batch is another row.
    pub fn id(&self, mint: &Pubkey, batch: &str) -> String {
        let content = format!(
            "usd1-pay-row:v2\n{batch}\n{mint}\n{}\n{}\n{}\n{}",
            self.line,
            self.recipient,
            self.amount,
            self.memo.as_deref().unwrap_or("")
        );
        usd1_client::hex(&usd1_client::sha256(content.as_bytes())[..8])
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
    /// The batch every row id is bound to (`--batch`).
    pub batch: String,
    pub rows: usize,
    /// Rows the journal (or, with `--reconcile`, the chain) shows were paid by an earlier run.
    pub already_paid: usize,
    /// With `--reconcile`: how many of those the sender's on-chain history showed.
    pub found_on_chain: Option<usize>,
    pub paid: usize,
    pub amount_paid: String,
    pub failed: Vec<RowFailure>,
    pub journal: String,
    /// Transactions sent in this run, and rows per transaction on average.
    pub transactions: usize,
    pub rows_per_transaction: f64,
    /// Signature and priority fees of the transactions that landed (SOL).
    pub fees_sol: String,
    /// What the payer's SOL balance fell by in this run: fees, and the rent
    /// of the recipients' accounts it created.
    pub sol_spent: String,
    pub rent_sol: String,
    pub accounts_created: usize,
    pub seconds: f64,
    pub rows_per_second: f64,
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
            "Paid {} of {} rows of batch {} ({} in this run, {} earlier), {} sent in this run; journal {}",
            self.paid + self.already_paid,
            self.rows,
            self.batch,
            self.paid,
            self.already_paid,
            usd1_client::dollars(&self.amount_paid),
            self.journal
        )?;
        if self.transactions > 0 {
            write!(
                f,
                "\n{} transaction(s), {:.1} rows each; {} SOL spent ({} in fees, {} rent for {} new account(s)); {:.1} rows/s",
                self.transactions,
                self.rows_per_transaction,
                self.sol_spent,
                self.fees_sol,
                self.rent_sol,
                self.accounts_created,
                self.rows_per_second
            )?;
        }
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

/// A new journal knows nothing of what its batch paid: a copy of the file
/// under another name, or a run on a machine without the journal, has the
/// same batch and row ids. So the sender's on-chain history is read first,
/// and a batch that already paid any row is refused, saying how many and
/// which flags say what was meant.
async fn refuse_if_paid_elsewhere(
    usd1: &Usd1<dyn Ledger>,
    batch: &str,
    rows: &[Row],
    journal: &Path,
) -> Result<()> {
    let paid = reconcile::paid_on_chain(usd1, batch, rows).await?;
    if paid.is_empty() {
        return Ok(());
    }
    let mut lines: Vec<usize> = paid.keys().copied().collect();
    lines.sort_unstable();
    let lines: Vec<String> = lines.iter().map(ToString::to_string).collect();
    bail!(
        "{} of the {} rows of batch {batch} are already paid on-chain (line(s) {}, found in the sender's history), \
         but journal {} is new: a copy of a payout file already paid, or a run on another machine. Nothing sent. \
         To pay only the rows not yet paid, run again with --reconcile; to pay every row again as a new payout, \
         name a new batch with --batch ID",
        paid.len(),
        rows.len(),
        lines.join(", "),
        journal.display()
    )
}

/// The payer's lamports.
async fn sol_balance(ledger: &dyn Ledger, payer: &Pubkey) -> Result<u64> {
    Ok(ledger.get_account(payer).await?.map_or(0, |a| a.lamports))
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
    let listed = listed_rows(&usd1, &rows, &args.lists)?;
    if !listed.is_empty() {
        let lines: std::collections::BTreeSet<&str> =
            listed.iter().filter_map(|l| l.split(':').next()).collect();
        bail!(
            "{} row(s) pay a listed recipient, nothing sent: {}",
            lines.len(),
            listed.join("; ")
        );
    }
    let _lock = PayLock::acquire(&PayLock::path_for(&args.file), &args.file)?;
    let journal_path = Journal::path_for(&args.file);
    let digest = usd1_client::hex(&usd1_client::sha256(text.as_bytes()));
    let (journal, found_on_chain) = if args.reconcile {
        let (journal, found) = reconcile(
            &usd1,
            &journal_path,
            &digest,
            args.batch.as_deref(),
            &text,
            &rows,
        )
        .await?;
        (journal, Some(found))
    } else {
        let batch = args.batch.clone().unwrap_or_else(|| default_batch(&text));
        if Journal::read(&journal_path)?.is_empty() {
            refuse_if_paid_elsewhere(&usd1, &batch, &rows, &journal_path).await?;
        }
        let journal = Journal::open(&journal_path, &digest, &batch)?;
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
                journal.record(row.line, "done", &landed)?;
                already_paid += 1;
            }
            None => to_pay.push(row.clone()),
        }
    }
    let started = std::time::Instant::now();
    let payer = usd1.payer().pubkey();
    let lamports_before = sol_balance(ctx.ledger.as_ref(), &payer).await?;
    let packing = pack::Packing {
        rows_per_tx: args.rows_per_tx.map(usize::from),
        priority_fee: args.priority_fee,
    };
    let missing = pack::missing_accounts(&usd1, &to_pay).await?;
    let accounts_created = to_pay
        .iter()
        .map(|r| r.recipient)
        .filter(|r| missing.contains(r))
        .collect::<std::collections::HashSet<_>>()
        .len();
    let groups = pack::pack(
        &usd1,
        to_pay.clone(),
        &missing,
        &packing,
        &journal.batch,
        &name,
    )
    .map_err(anyhow::Error::msg)?;
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
    let outcomes: Vec<send::GroupOutcome> = stream::iter(groups)
        .map(|group| {
            let (usd1, journal, name, progress, packing) =
                (&usd1, &journal, name.as_str(), &progress, &packing);
            async move {
                let rows = group.rows.len() as u64;
                let outcome = send::pay_group(usd1, journal, name, group, packing).await;
                progress.inc(rows);
                outcome
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .collect()
        .await;
    progress.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();

    let mut failed: Vec<RowFailure> = Vec::new();
    let mut paid = 0;
    let mut amount_paid = 0u64;
    let (mut transactions, mut fees) = (0usize, 0u64);
    for outcome in outcomes {
        transactions += outcome.transactions;
        fees = fees.saturating_add(outcome.fees);
        for row in outcome.paid {
            paid += 1;
            amount_paid = amount_paid.saturating_add(row.amount);
        }
        for (row, error) in outcome.failed {
            failed.push(RowFailure {
                line: row.line,
                recipient: row.recipient.to_string(),
                error,
            });
        }
    }
    let spent = lamports_before.saturating_sub(sol_balance(ctx.ledger.as_ref(), &payer).await?);
    failed.sort_by_key(|f| f.line);
    let payout = Payout {
        batch: journal.batch.clone(),
        rows: rows.len(),
        already_paid,
        found_on_chain,
        paid,
        amount_paid: format_amount(amount_paid, decimals),
        failed,
        journal: journal_path.display().to_string(),
        transactions,
        rows_per_transaction: if transactions == 0 {
            0.0
        } else {
            paid as f64 / transactions as f64
        },
        fees_sol: format_amount(fees, 9),
        sol_spent: format_amount(spent, 9),
        rent_sol: format_amount(spent.saturating_sub(fees), 9),
        accounts_created,
        seconds,
        rows_per_second: if seconds > 0.0 {
            paid as f64 / seconds
        } else {
            0.0
        },
    };
    let failing = !payout.failed.is_empty();
    Ok(Output::new(&payout).failing(failing))
}
