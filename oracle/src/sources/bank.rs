//! `bank_statement`: the reserve as the bank states it. The closing booked
//! balance of the newest end-of-day statement (camt.053, or BAI2's closing
//! ledger 015) of one account, among the files a bank delivers into a
//! folder; its as-of time is when the bank stated it. Each co-signer can
//! read its own copy from its own channel to the bank.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
use serde::Deserialize;
use usd1_client::bank::{self, model::newest_closing, Direction};

use super::{check_fresh, Reading, Source, SourceError};

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BankSourceConfig {
    pub name: String,
    /// The folder the bank's files arrive in.
    pub folder: PathBuf,
    /// The account: its IBAN or account number, as the statements give it.
    pub account: String,
    pub max_age_secs: u64,
    /// Files larger than this are refused unread (default 64 MiB).
    pub max_file_bytes: Option<u64>,
    pub holding: Option<usd1_client::reserve_report::Holding>,
}

pub struct BankSource {
    config: BankSourceConfig,
    /// The files already read, by path, with the size and modification time
    /// they were read at: a folder of a year's statements is not parsed again
    /// every round. Only their balances are kept (entries dropped).
    read: Arc<Mutex<Seen>>,
}

type Seen = HashMap<PathBuf, (u64, SystemTime, Option<bank::StatementFile>)>;

impl BankSource {
    pub fn new(config: BankSourceConfig) -> Result<Self, String> {
        if config.account.trim().is_empty() {
            return Err(format!("source {}: account must not be empty", config.name));
        }
        Ok(Self {
            config,
            read: Arc::default(),
        })
    }
}

/// Every bank file in `folder` (dot-files and partial downloads aside),
/// each read whole unless `seen` has it at its present size and time; the
/// first that cannot be read is the round's error.
fn read_folder(
    folder: &std::path::Path,
    max_bytes: u64,
    seen: &mut Seen,
) -> Result<Vec<bank::StatementFile>, SourceError> {
    let entries = std::fs::read_dir(folder).map_err(|e| {
        SourceError::Unreachable(format!("cannot read the folder {}: {e}", folder.display()))
    })?;
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.') && !name.ends_with(".partial") && !name.ends_with(".tmp")
        })
        .collect();
    paths.sort();
    seen.retain(|path, _| paths.contains(path));
    let mut files = Vec::new();
    for path in paths {
        let stamp = std::fs::metadata(&path)
            .and_then(|m| Ok((m.len(), m.modified()?)))
            .map_err(|e| SourceError::BankFile(format!("{}: {e}", path.display())))?;
        if let Some((len, at, statements)) = seen.get(&path) {
            if (*len, *at) == stamp {
                files.extend(statements.clone());
                continue;
            }
        }
        let statements = match bank::read_path(&path, max_bytes) {
            Ok(bank::Document::Statements(mut f)) => {
                for s in &mut f.statements {
                    s.entries = Vec::new();
                }
                Some(f)
            }
            Ok(bank::Document::StatusReport(_)) => None,
            Err(e) => return Err(SourceError::BankFile(e.to_string())),
        };
        files.extend(statements.clone());
        seen.insert(path, (stamp.0, stamp.1, statements));
    }
    Ok(files)
}

#[async_trait]
impl Source for BankSource {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn read(&self, decimals: u8, now: i64) -> Result<Reading, SourceError> {
        let c = &self.config;
        let max = c.max_file_bytes.unwrap_or(bank::DEFAULT_MAX_BYTES);
        let (folder, read) = (c.folder.clone(), self.read.clone());
        let files = tokio::task::spawn_blocking(move || {
            let mut seen = read.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            read_folder(&folder, max, &mut seen)
        })
        .await
        .map_err(|e| SourceError::Unreachable(e.to_string()))??;
        let closing = newest_closing(&files, &c.account)
            .map_err(|found| SourceError::WrongAccount {
                expected: c.account.clone(),
                found: found.join(", "),
            })?
            .ok_or_else(|| {
                SourceError::Missing(format!(
                    "a closing booked balance of account {} in {}",
                    c.account,
                    c.folder.display()
                ))
            })?;
        if closing.currency != "USD" {
            return Err(SourceError::WrongCurrency(closing.currency));
        }
        if closing.amount.direction == Direction::Debit && closing.amount.amount.0 > 0 {
            return Err(SourceError::Negative(closing.amount.to_string()));
        }
        let amount = closing
            .amount
            .amount
            .base_units(u32::from(decimals))
            .ok_or_else(|| SourceError::TooPrecise(closing.amount.to_string()))?;
        let amount =
            u64::try_from(amount).map_err(|_| SourceError::TooLarge(closing.amount.to_string()))?;
        let as_of = bank::unix_time(&closing.stated_at)
            .ok_or_else(|| SourceError::BadTime(closing.stated_at.clone()))?;
        check_fresh(as_of, now, c.max_age_secs)?;
        Ok(Reading {
            name: c.name.clone(),
            kind: "bank_statement".into(),
            location: format!("{} statement {}", c.folder.display(), closing.statement),
            amount,
            as_of,
            holding: c.holding.clone(),
        })
    }
}
