//! The bank rails: the files a bank and its customer exchange, read and
//! written in one place for every front end.
//!
//! In: statements (camt.053.001.02 and .08), intraday reports (camt.052.001.08),
//! notifications (camt.054.001.08) and BAI2/BTRS, all into one
//! [`model::StatementFile`]; payment status reports (pain.002.001.03 and .10)
//! into a [`pain002::StatusReport`]. Out: credit transfers, pain.001.001.09
//! ([`pain001`]).
//!
//! A file is taken whole or not at all: [`read`] returns every statement of
//! it, or a [`BankError`] that names the file and the element (a wrong
//! namespace or version, a missing mandatory element, an amount that is not
//! an exact decimal, a currency ISO 4217 does not have, totals that do not
//! add up, a file over the size limit, a DTD or entity, refused before
//! anything is expanded).
pub mod bai2;
pub mod camt;
pub mod model;
pub mod money;
pub mod pain001;
pub mod pain002;
mod xml;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

pub use model::{Entry, Format, Statement, StatementFile, Status};
pub use money::{BankAmount, Direction};
pub use pain002::StatusReport;

/// The size above which a file is refused unread, unless configured.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// What is wrong with a file, without its name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    #[error("{size} bytes is over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("neither ISO 20022 XML nor BAI2: {why}")]
    NotABankFile { why: String },
    #[error("{found} is not a message this reads (expected {expected})")]
    WrongMessage { found: String, expected: String },
    #[error("a DTD or entity declaration: refused, never expanded")]
    Doctype,
    #[error("malformed XML at byte {at}: {why}")]
    Malformed { at: u64, why: String },
    #[error("{element} is missing")]
    Missing { element: String },
    #[error("{element}: {value:?} is not an exact decimal amount")]
    BadAmount { element: String, value: String },
    #[error("{element}: {code:?} is not an ISO 4217 currency")]
    UnknownCurrency { element: String, code: String },
    #[error("{element}: {value:?} is not {expected}")]
    BadValue {
        element: String,
        value: String,
        expected: &'static str,
    },
    #[error("{element} says {stated}, the entries add up to {counted}")]
    TotalsDisagree {
        element: String,
        stated: String,
        counted: String,
    },
    #[error("its message id {message_id:?} was already read in {earlier}")]
    DuplicateMessage { message_id: String, earlier: String },
    #[error("line {line}: {why}")]
    Record { line: usize, why: String },
}

impl Fault {
    /// A stable name for the kind of refusal (the JSON `error` of
    /// `usd1 bank read`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::NotABankFile { .. } => "not_a_bank_file",
            Self::WrongMessage { .. } => "wrong_message",
            Self::Doctype => "dtd_refused",
            Self::Malformed { .. } => "malformed",
            Self::Missing { .. } => "missing_element",
            Self::BadAmount { .. } => "bad_amount",
            Self::UnknownCurrency { .. } => "unknown_currency",
            Self::BadValue { .. } => "bad_value",
            Self::TotalsDisagree { .. } => "totals_disagree",
            Self::DuplicateMessage { .. } => "duplicate_message",
            Self::Record { .. } => "bad_record",
        }
    }
}

/// A refused file: its name and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {fault}")]
pub struct BankError {
    pub file: String,
    pub fault: Fault,
}

/// Whatever a bank file turned out to be.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(untagged)]
pub enum Document {
    Statements(StatementFile),
    StatusReport(StatusReport),
}

impl Document {
    pub fn message_id(&self) -> &str {
        match self {
            Self::Statements(f) => &f.message_id,
            Self::StatusReport(r) => &r.message_id,
        }
    }
}

const ISO: &str = "urn:iso:std:iso:20022:tech:xsd:";

/// Reads one file's bytes, named `file` in any error.
pub fn read(file: &str, bytes: &[u8], max_bytes: u64) -> Result<Document, BankError> {
    let open = || -> std::io::Result<Box<dyn BufRead + '_>> { Ok(Box::new(bytes)) };
    parse(&open, bytes.len() as u64, max_bytes).map_err(|fault| BankError {
        file: file.into(),
        fault,
    })
}

/// Reads a file from disk as a stream (never the whole file in memory),
/// refusing it unread when it is over `max_bytes`.
pub fn read_path(path: &Path, max_bytes: u64) -> Result<Document, BankError> {
    let refuse = |fault| BankError {
        file: path.display().to_string(),
        fault,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| refuse(Fault::NotABankFile { why: e.to_string() }))?
        .len();
    let open = || -> std::io::Result<Box<dyn BufRead>> {
        let file = std::fs::File::open(path)?;
        Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, file)))
    };
    parse(&open, size, max_bytes).map_err(refuse)
}

type Open<'a> = dyn Fn() -> std::io::Result<Box<dyn BufRead + 'a>> + 'a;

/// The file's kind from its first bytes, then the file read by its reader
/// (XML opened twice: once for the root's namespace, once to read).
fn parse(open: &Open<'_>, size: u64, max_bytes: u64) -> Result<Document, Fault> {
    if size > max_bytes {
        return Err(Fault::TooLarge {
            size,
            limit: max_bytes,
        });
    }
    let unreadable = |e: std::io::Error| Fault::NotABankFile { why: e.to_string() };
    let mut head = open().map_err(unreadable)?;
    let first = head.fill_buf().map_err(unreadable)?;
    let first = first.strip_prefix(b"\xef\xbb\xbf").unwrap_or(first);
    let start = first
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |i| &first[i..]);
    if start.starts_with(b"01,") {
        return bai2::read(head).map(Document::Statements);
    }
    if !start.starts_with(b"<") {
        return Err(Fault::NotABankFile {
            why: "it starts with neither `<` nor a BAI2 file header `01,`".into(),
        });
    }
    drop(head);
    let (root, namespace) = xml::root_namespace(open().map_err(unreadable)?)?;
    let version = namespace.strip_prefix(ISO).unwrap_or_default().to_string();
    let found = || {
        if namespace.is_empty() {
            format!("<{root}> without a namespace")
        } else {
            format!("namespace {namespace:?}")
        }
    };
    if root != "Document" {
        return Err(Fault::WrongMessage {
            found: format!("root element <{root}>"),
            expected: "<Document>".into(),
        });
    }
    let input = open().map_err(unreadable)?;
    let format =
        match version.as_str() {
            "camt.053.001.02" | "camt.053.001.08" => Format::Camt053,
            "camt.052.001.02" | "camt.052.001.08" => Format::Camt052,
            "camt.054.001.02" | "camt.054.001.08" => Format::Camt054,
            "pain.002.001.03" | "pain.002.001.10" => {
                return pain002::read(input, &version).map(Document::StatusReport)
            }
            _ => return Err(Fault::WrongMessage {
                found: found(),
                expected:
                    "camt.053.001.02/.08, camt.052.001.08, camt.054.001.08 or pain.002.001.03/.10"
                        .into(),
            }),
        };
    camt::read(input, format, &version).map(Document::Statements)
}

/// Reads several files as one delivery: a message id seen twice is refused
/// by name (a file delivered twice, or a bank's id reused).
#[derive(Default)]
pub struct Reader {
    seen: HashMap<String, String>,
    pub max_bytes: u64,
}

impl Reader {
    pub fn new(max_bytes: u64) -> Self {
        Self {
            seen: HashMap::new(),
            max_bytes,
        }
    }

    pub fn read_path(&mut self, path: &Path) -> Result<Document, BankError> {
        let document = read_path(path, self.max_bytes)?;
        let file = path.display().to_string();
        let id = document.message_id().to_string();
        if let Some(earlier) = self.seen.get(&id) {
            return Err(BankError {
                file,
                fault: Fault::DuplicateMessage {
                    message_id: id,
                    earlier: earlier.clone(),
                },
            });
        }
        self.seen.insert(id, file);
        Ok(document)
    }
}

/// An ISO date (`2026-12-06`) or date and time (`2026-12-06T17:00:00`,
/// with fractions and a zone or not), returned as written.
pub(crate) fn check_date(value: &str, element: &str) -> Result<String, Fault> {
    match unix_time(value) {
        Some(_) => Ok(value.to_string()),
        None => Err(Fault::BadValue {
            element: element.into(),
            value: value.into(),
            expected: "an ISO 8601 date or date and time",
        }),
    }
}

/// Seconds since the Unix epoch of an ISO date (midnight UTC) or date and
/// time (its zone applied; none means UTC).
pub fn unix_time(value: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDateTime};
    if value.len() == 10 {
        return crate::reserve_report::unix_of_date(value);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.timestamp());
    }
    let at = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(at.and_utc().timestamp())
}
