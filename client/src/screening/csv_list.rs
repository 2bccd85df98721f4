//! The issuer's own list: the header `address,reason,source[,added_at]`,
//! then one row per address, fields quoted as CSV quotes them. A file that
//! does not begin with that header (after blank and `#` comment lines) is no
//! issuer list: an empty file, base64, another CSV.
use super::{address, Entry, ParseError, Parsed, Rejected};

pub(crate) fn parse(text: &str) -> Result<Parsed, ParseError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut parsed = Parsed::default();
    let mut lines = LineCounter::new(text);
    let mut header = false;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| lines.line_at(usize::try_from(p.byte()).unwrap_or(0)));
                return Err(ParseError::Malformed(format!("line {line}: {e}")));
            }
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        let byte = record
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0));
        let line = lines.line_of_record(byte);
        let field = |i: usize| record.get(i).unwrap_or("").to_string();
        if !header {
            let names: Vec<String> = record.iter().map(str::to_ascii_lowercase).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            if !matches!(
                names.as_slice(),
                ["address", "reason", "source"] | ["address", "reason", "source", "added_at"]
            ) {
                return Err(ParseError::Unknown(format!(
                    "line {line} is not the issuer list's header address,reason,source[,added_at]"
                )));
            }
            header = true;
            continue;
        }
        parsed.records += 1;
        let entry = format!("line {line}");
        if record.len() < 3 {
            parsed.reject(Rejected {
                entry,
                text: record.iter().collect::<Vec<_>>().join(","),
                reason: "expected address,reason,source[,added_at]".into(),
            });
            continue;
        }
        match address(&field(0)) {
            Ok(address) => {
                let added_at = Some(field(3)).filter(|a| !a.is_empty());
                if let Some(date) = added_at.as_deref().and_then(date_of) {
                    if parsed.published.as_deref().is_none_or(|p| p < date) {
                        parsed.published = Some(date.to_string());
                    }
                }
                parsed.entries.push(Entry {
                    address,
                    entry,
                    subject: None,
                    reason: field(1),
                    source: field(2),
                    added_at,
                });
            }
            Err(reason) => parsed.reject(Rejected {
                entry,
                text: field(0),
                reason,
            }),
        }
    }
    if !header {
        return Err(ParseError::Incomplete(
            "the file is empty: no header address,reason,source[,added_at]".into(),
        ));
    }
    Ok(parsed)
}

/// Line numbers (1-based) of byte offsets met in increasing order: counted
/// from the text's own `\n`, so `\r\n` files number as editors do.
struct LineCounter<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    /// The line a record starts on, given where the reader began it: the
    /// csv reader's position includes the blank and `#` comment lines it
    /// skipped first.
    fn line_of_record(&mut self, mut byte: usize) -> usize {
        loop {
            let rest = self.text.get(byte..).unwrap_or_default();
            if rest.starts_with(b"\r\n") {
                byte += 2;
            } else if rest.starts_with(b"\n") {
                byte += 1;
            } else if rest.starts_with(b"#") {
                byte += rest
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(rest.len(), |at| at + 1);
            } else {
                return self.line_at(byte);
            }
        }
    }

    fn line_at(&mut self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        if byte > self.at {
            self.line += self.text[self.at..byte]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.at = byte;
        }
        self.line
    }
}

/// The `YYYY-MM-DD` an `added_at` begins with, if it does.
fn date_of(text: &str) -> Option<&str> {
    let date = text.get(..10)?;
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10)).then_some(date)
}
