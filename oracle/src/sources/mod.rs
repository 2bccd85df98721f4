//! Reserve sources: where the daemon reads what the custodians hold. One
//! module per kind; each turns a custodian's answer into a [`Reading`] in
//! token base units, exactly, or a named [`SourceError`] that fails the round.
use async_trait::async_trait;
use serde_json::value::RawValue;
use std::collections::HashMap;
use thiserror::Error;
use usd1_client::AmountError;

pub mod bank;
pub mod file;
pub mod http;

/// How far ahead of the chain's clock a custodian's as-of time may be before
/// it is treated as a broken clock rather than skew.
pub const MAX_CLOCK_SKEW_SECS: i64 = 60;

/// One source's answer: its configured name, kind ("file" or "http"),
/// where it was read, the reserve in token base units, the custodian's as-of
/// time and what the line holds.
pub use usd1_client::reserve_report::Reading;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SourceError {
    #[error("unreachable: {0}")]
    Unreachable(String),
    #[error("no complete answer within {0}s")]
    Timeout(u64),
    #[error("answered HTTP {0}")]
    HttpStatus(u16),
    #[error("credential environment variable {0} is not set")]
    MissingCredential(String),
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("has no value at {0}")]
    Missing(String),
    #[error("amount {0} is negative")]
    Negative(String),
    #[error("amount {0} is not a decimal number")]
    NonNumeric(String),
    #[error("amount {0} has more decimal places than the token")]
    TooPrecise(String),
    #[error("amount {0} is too large")]
    TooLarge(String),
    #[error("as-of time {0} is neither unix seconds nor RFC 3339")]
    BadTime(String),
    #[error("stale: as of {as_of}, {age_secs}s old, more than its max age of {max_age_secs}s")]
    Stale {
        as_of: i64,
        age_secs: i64,
        max_age_secs: u64,
    },
    #[error("as-of time {as_of} is {ahead_secs}s ahead of the chain's clock")]
    FromTheFuture { as_of: i64, ahead_secs: i64 },
    #[error("bank file refused: {0}")]
    BankFile(String),
    #[error("no statement of account {expected}; the folder states {found}")]
    WrongAccount { expected: String, found: String },
    #[error("the account is in {0}, not USD")]
    WrongCurrency(String),
}

impl SourceError {
    /// A stable label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unreachable(_) => "unreachable",
            Self::Timeout(_) => "timeout",
            Self::HttpStatus(_) => "http_status",
            Self::MissingCredential(_) => "missing_credential",
            Self::Malformed(_) | Self::Missing(_) | Self::BadTime(_) => "malformed",
            Self::Negative(_) => "negative",
            Self::NonNumeric(_) => "non_numeric",
            Self::TooPrecise(_) | Self::TooLarge(_) => "out_of_range",
            Self::Stale { .. } => "stale",
            Self::FromTheFuture { .. } => "from_the_future",
            Self::BankFile(_) => "bank_file",
            Self::WrongAccount { .. } => "wrong_account",
            Self::WrongCurrency(_) => "wrong_currency",
        }
    }
}

/// A reserve source. `now` is the chain's clock, so freshness is judged by
/// the same clock the program judges attestations by.
#[async_trait]
pub trait Source: Send + Sync {
    fn name(&self) -> &str;
    async fn read(&self, decimals: u8, now: i64) -> Result<Reading, SourceError>;
}

/// Refuses a reading older than `max_age_secs` or from the future.
pub fn check_fresh(as_of: i64, now: i64, max_age_secs: u64) -> Result<(), SourceError> {
    let age_secs = now.saturating_sub(as_of);
    if age_secs < -MAX_CLOCK_SKEW_SECS {
        return Err(SourceError::FromTheFuture {
            as_of,
            ahead_secs: age_secs.saturating_neg(),
        });
    }
    if age_secs > i64::try_from(max_age_secs).unwrap_or(i64::MAX) {
        return Err(SourceError::Stale {
            as_of,
            age_secs,
            max_age_secs,
        });
    }
    Ok(())
}

/// Converts a decimal amount as the custodian wrote it into base units.
pub fn amount_from_text(text: &str, decimals: u8) -> Result<u64, SourceError> {
    usd1_client::parse_amount(text, decimals).map_err(|error| match error {
        AmountError::Negative(s) => SourceError::Negative(s),
        AmountError::Empty => SourceError::NonNumeric(String::from("\"\"")),
        AmountError::NotANumber(s) => SourceError::NonNumeric(s),
        AmountError::TooPrecise { input, .. } => SourceError::TooPrecise(input),
        AmountError::Overflow(s) => SourceError::TooLarge(s),
    })
}

/// Parses an as-of time: unix seconds, or an RFC 3339 timestamp.
pub fn time_from_text(text: &str) -> Result<i64, SourceError> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp())
        .map_err(|_| SourceError::BadTime(text.to_string()))
}

/// The JSON text found at an RFC 6901 `pointer` in `document`, unparsed, so
/// that a number keeps every digit the custodian wrote (no trip through f64).
pub fn json_text_at<'a>(document: &'a str, pointer: &str) -> Result<&'a str, SourceError> {
    let malformed = |e: serde_json::Error| SourceError::Malformed(format!("not JSON: {e}"));
    let mut current: &'a RawValue = serde_json::from_str(document).map_err(malformed)?;
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(SourceError::Missing(pointer.to_string()));
    }
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let text = current.get().trim_start();
        let next = if text.starts_with('{') {
            let object: HashMap<String, &'a RawValue> =
                serde_json::from_str(current.get()).map_err(malformed)?;
            object.get(&token).copied()
        } else if text.starts_with('[') {
            let array: Vec<&'a RawValue> =
                serde_json::from_str(current.get()).map_err(malformed)?;
            token
                .parse::<usize>()
                .ok()
                .and_then(|i| array.get(i).copied())
        } else {
            None
        };
        current = next.ok_or_else(|| SourceError::Missing(pointer.to_string()))?;
    }
    Ok(current.get())
}

/// A JSON scalar as text: a string's contents, or a number's digits. Objects,
/// arrays, booleans and null are not amounts.
pub fn json_scalar_text(raw: &str) -> Result<String, SourceError> {
    let raw = raw.trim();
    match raw.bytes().next() {
        Some(b'"') => serde_json::from_str::<String>(raw)
            .map_err(|e| SourceError::Malformed(format!("bad string {raw}: {e}"))),
        Some(b'-' | b'0'..=b'9') => Ok(raw.to_string()),
        _ => Err(SourceError::NonNumeric(raw.to_string())),
    }
}

/// Reads the amount and the as-of time from a JSON document.
pub fn reading_from_json(
    document: &str,
    amount_pointer: &str,
    as_of_pointer: &str,
    decimals: u8,
) -> Result<(u64, i64), SourceError> {
    let amount_text = json_scalar_text(json_text_at(document, amount_pointer)?)?;
    let amount = amount_from_text(&amount_text, decimals)?;
    let as_of_raw = json_text_at(document, as_of_pointer)?;
    let as_of_text = json_scalar_text(as_of_raw)
        .map_err(|_| SourceError::BadTime(as_of_raw.trim().to_string()))?;
    Ok((amount, time_from_text(&as_of_text)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_digit_of_a_json_number() {
        let doc = r#"{"data": {"total": 12345678901234.123456, "as_of": "2026-11-24T10:00:00Z"}}"#;
        let (amount, as_of) = reading_from_json(doc, "/data/total", "/data/as_of", 6).unwrap();
        assert_eq!(amount, 12_345_678_901_234_123_456);
        assert_eq!(as_of, 1_795_514_400);
    }

    #[test]
    fn names_what_is_wrong() {
        let read = |doc: &str| reading_from_json(doc, "/amount", "/as_of", 6).unwrap_err();
        assert_eq!(
            read(r#"{"amount": -5, "as_of": 1}"#),
            SourceError::Negative("-5".into())
        );
        assert_eq!(
            read(r#"{"amount": "ten", "as_of": 1}"#),
            SourceError::NonNumeric("ten".into())
        );
        assert_eq!(
            read(r#"{"amount": true, "as_of": 1}"#),
            SourceError::NonNumeric("true".into())
        );
        assert_eq!(
            read(r#"{"amount": 1e6, "as_of": 1}"#),
            SourceError::NonNumeric("1e6".into())
        );
        assert_eq!(
            read(r#"{"as_of": 1}"#),
            SourceError::Missing("/amount".into())
        );
        assert_eq!(
            read(r#"{"amount": 99999999999999999999, "as_of": 1}"#),
            SourceError::TooLarge("99999999999999999999".into())
        );
        assert_eq!(
            read(r#"{"amount": 1.0000001, "as_of": 1}"#),
            SourceError::TooPrecise("1.0000001".into())
        );
        assert_eq!(
            read(r#"{"amount": 1, "as_of": "yesterday"}"#),
            SourceError::BadTime("yesterday".into())
        );
        assert_eq!(read(r#"{"amount": 1, "as_of"#).kind(), "malformed");
    }

    #[test]
    fn judges_freshness_by_the_given_clock() {
        assert_eq!(check_fresh(1_000, 1_100, 100), Ok(()));
        assert_eq!(
            check_fresh(1_000, 1_101, 100),
            Err(SourceError::Stale {
                as_of: 1_000,
                age_secs: 101,
                max_age_secs: 100
            })
        );
        assert_eq!(
            check_fresh(2_000, 1_000, 100),
            Err(SourceError::FromTheFuture {
                as_of: 2_000,
                ahead_secs: 1_000
            })
        );
    }
}
