//! The issuer's own list: `address,reason,source,added_at`, a header row
//! allowed, fields quoted as CSV quotes them.
use super::{address, Entry, Parsed, Rejected};

pub(crate) fn parse(text: &str) -> Result<Parsed, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut parsed = Parsed {
        entries: Vec::new(),
        rejected: Vec::new(),
        published: None,
    };
    let mut first = true;
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("").to_string();
        if std::mem::take(&mut first) && field(0).eq_ignore_ascii_case("address") {
            continue;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        let entry = format!("line {line}");
        if record.len() < 3 {
            parsed.rejected.push(Rejected {
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
            Err(reason) => parsed.rejected.push(Rejected {
                entry,
                text: field(0),
                reason,
            }),
        }
    }
    Ok(parsed)
}

/// The `YYYY-MM-DD` an `added_at` begins with, if it does.
fn date_of(text: &str) -> Option<&str> {
    let date = text.get(..10)?;
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10)).then_some(date)
}
