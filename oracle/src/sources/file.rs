//! `file`: a custodian's export on disk, JSON or CSV, carrying its own as-of
//! time. A CSV lists accounts, one per row: their amounts are summed and the
//! oldest row's as-of time is the reading's.
use std::path::PathBuf;

use async_trait::async_trait;
use serde::Deserialize;

use super::{
    amount_from_text, check_fresh, reading_from_json, time_from_text, Reading, Source, SourceError,
};

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Json,
    Csv,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileSourceConfig {
    pub name: String,
    pub path: PathBuf,
    /// Inferred from the extension when absent.
    pub format: Option<FileFormat>,
    /// JSON pointer (default `/amount`) or CSV column (default `amount`).
    pub amount: Option<String>,
    /// JSON pointer (default `/as_of`) or CSV column (default `as_of`).
    pub as_of: Option<String>,
    pub max_age_secs: u64,
    /// What the line holds and where (asset class, custodian, account,
    /// a T-bill's maturity): the report's composition.
    pub holding: Option<usd1_client::reserve_report::Holding>,
}

impl FileSourceConfig {
    pub fn format(&self) -> Result<FileFormat, String> {
        if let Some(format) = self.format {
            return Ok(format);
        }
        match self.path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Ok(FileFormat::Json),
            Some(e) if e.eq_ignore_ascii_case("csv") => Ok(FileFormat::Csv),
            _ => Err(format!(
                "source {}: cannot tell the format of {}; set format = \"json\" or \"csv\"",
                self.name,
                self.path.display()
            )),
        }
    }
}

pub struct FileSource {
    config: FileSourceConfig,
    format: FileFormat,
}

impl FileSource {
    pub fn new(config: FileSourceConfig) -> Result<Self, String> {
        let format = config.format()?;
        Ok(Self { config, format })
    }

    fn amount_field(&self) -> &str {
        match (&self.config.amount, self.format) {
            (Some(field), _) => field,
            (None, FileFormat::Json) => "/amount",
            (None, FileFormat::Csv) => "amount",
        }
    }

    fn as_of_field(&self) -> &str {
        match (&self.config.as_of, self.format) {
            (Some(field), _) => field,
            (None, FileFormat::Json) => "/as_of",
            (None, FileFormat::Csv) => "as_of",
        }
    }
}

#[async_trait]
impl Source for FileSource {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn read(&self, decimals: u8, now: i64) -> Result<Reading, SourceError> {
        let path = &self.config.path;
        let text = tokio::fs::read_to_string(path).await.map_err(|e| {
            SourceError::Unreachable(format!("cannot read {}: {e}", path.display()))
        })?;
        let (amount, as_of) = match self.format {
            FileFormat::Json => {
                reading_from_json(&text, self.amount_field(), self.as_of_field(), decimals)?
            }
            FileFormat::Csv => {
                reading_from_csv(&text, self.amount_field(), self.as_of_field(), decimals)?
            }
        };
        check_fresh(as_of, now, self.config.max_age_secs)?;
        Ok(Reading {
            name: self.config.name.clone(),
            kind: "file".into(),
            location: path.display().to_string(),
            amount,
            as_of,
            holding: self.config.holding.clone(),
        })
    }
}

/// Sums a CSV export's amount column; the as-of time is the oldest row's.
pub fn reading_from_csv(
    text: &str,
    amount_column: &str,
    as_of_column: &str,
    decimals: u8,
) -> Result<(u64, i64), SourceError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| SourceError::Malformed(format!("CSV header: {e}")))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| SourceError::Missing(format!("column {name}")))
    };
    let (amount_at, as_of_at) = (column(amount_column)?, column(as_of_column)?);
    let mut total = 0u64;
    let mut oldest: Option<i64> = None;
    for (index, record) in reader.records().enumerate() {
        let line = index.saturating_add(2);
        let record = record.map_err(|e| SourceError::Malformed(format!("CSV line {line}: {e}")))?;
        let cell = |at: usize, name: &str| {
            record
                .get(at)
                .filter(|c| !c.is_empty())
                .ok_or_else(|| SourceError::Missing(format!("{name} on CSV line {line}")))
        };
        let amount = amount_from_text(cell(amount_at, amount_column)?, decimals)?;
        let as_of = time_from_text(cell(as_of_at, as_of_column)?)?;
        total = total
            .checked_add(amount)
            .ok_or_else(|| SourceError::TooLarge(format!("the sum at CSV line {line}")))?;
        oldest = Some(oldest.map_or(as_of, |o| o.min(as_of)));
    }
    let as_of = oldest.ok_or_else(|| SourceError::Malformed("CSV export has no rows".into()))?;
    Ok((total, as_of))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_a_csv_export_and_keeps_its_oldest_time() {
        let csv = "account,amount,as_of\nA-1,1000.50,200\nA-2, 2500 ,150\n";
        assert_eq!(
            reading_from_csv(csv, "amount", "as_of", 2).unwrap(),
            (350_050, 150)
        );
        assert_eq!(
            reading_from_csv("account,amount,as_of\n", "amount", "as_of", 2).unwrap_err(),
            SourceError::Malformed("CSV export has no rows".into())
        );
        assert_eq!(
            reading_from_csv("account,total\nA,1\n", "amount", "as_of", 2).unwrap_err(),
            SourceError::Missing("column amount".into())
        );
        assert_eq!(
            reading_from_csv("amount,as_of\n-3,1\n", "amount", "as_of", 2).unwrap_err(),
            SourceError::Negative("-3".into())
        );
    }
}
