//! `usd1 bank read FILE…` and `usd1 bank pay PAYMENTS.csv … --out FILE.xml`:
//! what the platform understands of the files a bank sends (camt.053,
//! camt.052, camt.054, BAI2, pain.002), and a pain.001 credit-transfer file
//! made by hand. Both are thin over `usd1_client::bank`.
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use serde::Serialize;
use usd1_client::bank::model::Balance;
use usd1_client::bank::pain001::{self, Agent, Debtor, Run};
use usd1_client::bank::{self, BankAmount, Document, Reader, StatementFile, StatusReport};

use crate::Output;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Print what the platform reads in bank files: statements (camt.053,
    /// camt.052, camt.054, BAI2) and status reports (pain.002). A file that
    /// is not whole and consistent is refused by name.
    Read {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Refuse a file larger than this, unread.
        #[arg(long, value_name = "BYTES", default_value_t = bank::DEFAULT_MAX_BYTES)]
        max_bytes: u64,
    },
    /// Write a pain.001.001.09 credit-transfer file from a CSV of
    /// end_to_end_id,amount,creditor_name,creditor_account,creditor_agent,
    /// street,building_number,post_code,town,country_subdivision,country,remittance.
    Pay {
        #[arg(value_name = "PAYMENTS.csv")]
        csv: PathBuf,
        /// The account holder paying (the issuer).
        #[arg(long, value_name = "NAME")]
        debtor_name: String,
        /// The account paid from: an IBAN or an account number.
        #[arg(long, value_name = "ACCOUNT")]
        debtor_account: String,
        /// The paying bank: an ABA routing number or a BIC.
        #[arg(long, value_name = "ABA|BIC")]
        debtor_agent: String,
        #[arg(long, default_value = "USD")]
        currency: String,
        /// When the bank is to pay (YYYY-MM-DD); today (UTC) if not given.
        #[arg(long, value_name = "DATE")]
        execution_date: Option<String>,
        /// Where to write the file; an existing file of other payments is
        /// never overwritten.
        #[arg(long, value_name = "FILE.xml")]
        out: PathBuf,
    },
}

pub async fn run(args: Args) -> Result<Output> {
    match args.action {
        Action::Read { files, max_bytes } => {
            let mut reader = Reader::new(max_bytes);
            let mut read = Vec::new();
            for file in files {
                let document = reader.read_path(&file)?;
                read.push(Read {
                    file: file.display().to_string(),
                    document,
                });
            }
            Ok(Output::new(&Files(read)))
        }
        Action::Pay {
            csv,
            debtor_name,
            debtor_account,
            debtor_agent,
            currency,
            execution_date,
            out,
        } => {
            let text = std::fs::read_to_string(&csv)
                .with_context(|| format!("reading {}", csv.display()))?;
            let payments =
                pain001::read_csv(&text).map_err(|e| anyhow::anyhow!("{}: {e}", csv.display()))?;
            let Some(agent) = Agent::parse(&debtor_agent) else {
                bail!("--debtor-agent {debtor_agent:?} is neither an ABA routing number nor a BIC");
            };
            let now = chrono::Utc::now();
            let run = Run {
                debtor: Debtor {
                    name: debtor_name,
                    account: debtor_account,
                    agent,
                },
                currency,
                execution_date: execution_date
                    .unwrap_or_else(|| now.format("%Y-%m-%d").to_string()),
                created: now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                payments,
            };
            let xml =
                pain001::write(&run).map_err(|e| anyhow::anyhow!("{}: {e}", csv.display()))?;
            let message_id = pain001::message_id(&run);
            write_once(&out, &xml, &message_id)?;
            let total = BankAmount(run.payments.iter().map(|p| p.amount.0).sum());
            Ok(Output::new(&Written {
                file: out.display().to_string(),
                message: "pain.001.001.09",
                message_id,
                payments: run.payments.len(),
                total,
                currency: run.currency,
                execution_date: run.execution_date,
            }))
        }
    }
}

/// Writes the file whole (a temporary file renamed into place); a file
/// already there is replaced only when it carries the same message id (the
/// same payments, made again).
fn write_once(out: &Path, xml: &str, message_id: &str) -> Result<()> {
    if let Ok(existing) = std::fs::read_to_string(out) {
        if !existing.contains(&format!("<MsgId>{message_id}</MsgId>")) {
            bail!(
                "{} already holds other payments: it is not overwritten (choose another --out)",
                out.display()
            );
        }
    }
    let tmp = out.with_extension("xml.partial");
    std::fs::write(&tmp, xml).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

#[derive(Serialize)]
struct Written {
    file: String,
    message: &'static str,
    message_id: String,
    payments: usize,
    total: BankAmount,
    currency: String,
    execution_date: String,
}

impl fmt::Display for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Wrote {} ({}): message {}, {} payment(s), {} {} to be paid on {}",
            self.file,
            self.message,
            self.message_id,
            self.payments,
            grouped(self.total),
            self.currency,
            self.execution_date
        )
    }
}

#[derive(Serialize)]
struct Read {
    file: String,
    #[serde(flatten)]
    document: Document,
}

#[derive(Serialize)]
#[serde(transparent)]
struct Files(Vec<Read>);

/// `1,152,500.00`: grouped, the currency's own code beside it.
fn grouped(amount: BankAmount) -> String {
    usd1_client::format_grouped(amount.0, bank::money::SCALE as u8)
}

fn balance(b: &Balance) -> String {
    let sign = if b.amount.value() < 0 { "-" } else { "" };
    format!(
        "{} {sign}{} as of {}",
        b.kind,
        grouped(b.amount.amount),
        b.date
    )
}

fn statements(f: &mut fmt::Formatter<'_>, file: &str, s: &StatementFile) -> fmt::Result {
    writeln!(
        f,
        "{file}: {}, message {}, made {}",
        s.version, s.message_id, s.created
    )?;
    for st in &s.statements {
        let a = &st.account;
        write!(f, "  {} — account {}", st.id, a.id())?;
        if let Some(r) = &a.routing {
            write!(f, " (ABA {r})")?;
        }
        if let Some(b) = &a.bic {
            write!(f, " (BIC {b})")?;
        }
        writeln!(f, ", {}", st.currency)?;
        for b in &st.balances {
            writeln!(f, "    {}", balance(b))?;
        }
        if let Some(t) = &st.totals {
            let n = t.entries.map_or(String::new(), |n| format!("{n} entries"));
            writeln!(f, "    totals stated and checked: {n}")?;
        }
        for e in &st.entries {
            let sign = match e.direction {
                bank::Direction::Credit => "+",
                bank::Direction::Debit => "-",
            };
            write!(
                f,
                "    {} {sign}{} {}",
                e.status.code(),
                grouped(e.amount),
                e.booking_date
                    .as_deref()
                    .or(e.value_date.as_deref())
                    .unwrap_or("")
            )?;
            if e.reversal {
                write!(f, " REVERSAL")?;
            }
            if let Some(t) = e.bai_type {
                write!(f, " type {t}")?;
            }
            writeln!(f, "  [{}]", e.identity)?;
            for t in &e.transactions {
                let party = match e.direction {
                    bank::Direction::Credit => &t.debtor,
                    bank::Direction::Debit => &t.creditor,
                };
                let mut parts = Vec::new();
                if let Some(a) = t.amount.filter(|a| *a != e.amount) {
                    parts.push(grouped(a));
                }
                if let Some(n) = &party.name {
                    parts.push(n.clone());
                }
                if let Some(id) = &t.end_to_end_id {
                    parts.push(format!("end-to-end {id}"));
                }
                for r in t
                    .remittance
                    .structured
                    .iter()
                    .chain(&t.remittance.unstructured)
                {
                    parts.push(format!("{r:?}"));
                }
                if !parts.is_empty() {
                    writeln!(f, "      {}", parts.join(" · "))?;
                }
            }
        }
    }
    Ok(())
}

fn report(f: &mut fmt::Formatter<'_>, file: &str, r: &StatusReport) -> fmt::Result {
    writeln!(
        f,
        "{file}: {}, message {}, made {}, answers {}{}",
        r.version,
        r.message_id,
        r.created,
        r.original_message_id,
        r.group_status
            .as_deref()
            .map_or(String::new(), |s| format!(": {s}"))
    )?;
    for p in &r.payments {
        let reason = p
            .reason
            .as_deref()
            .map_or(String::new(), |c| format!(" ({c})"));
        writeln!(f, "  {} {}{reason}", p.end_to_end_id, p.status)?;
    }
    Ok(())
}

/// Every file's lines, the last newline left to the printer.
impl fmt::Display for Files {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Lines(self).to_string().trim_end())
    }
}

struct Lines<'a>(&'a Files);

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for read in &self.0 .0 {
            match &read.document {
                Document::Statements(s) => statements(f, &read.file, s)?,
                Document::StatusReport(r) => report(f, &read.file, r)?,
            }
        }
        Ok(())
    }
}
