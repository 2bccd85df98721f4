//! BAI2 (ANSI X9.121 BTRS): the U.S. banks' balance and transaction
//! report, read into the statement model with every control total checked.
//!
//! Records, one per line, fields split by `,`, a line's last `/` ending its
//! fields; `88` continues the record before it (a `16`'s text with a space
//! between). `01` file header, `02` group (the bank, the as-of date), `03`
//! account with its balances (010 opening ledger → `OPBD`, 015 closing ledger
//! → `CLBD`, 040 → `OPAV`, 045 → `CLAV`), `16` transaction detail (type code,
//! amount in minor units, funds type and its availability fields, bank
//! reference, customer reference, text to the end of the record), `49`
//! account trailer, `98` group trailer, `99` file trailer. A trailer's control
//! total is the sum of every amount below it (balances included) and its
//! record count includes the header, the trailer and every `88`.
use super::model::{
    Account, Balance, Entry, Format, Statement, StatementFile, Status, Transaction,
};
use super::money::{currency_decimals, BankAmount, Direction, SignedAmount};
use super::Fault;

struct Record {
    code: String,
    fields: Vec<String>,
    line: usize,
    /// Physical lines: itself and its `88`s.
    lines: u64,
}

fn records(input: impl std::io::BufRead) -> Result<Vec<Record>, Fault> {
    let mut out: Vec<Record> = Vec::new();
    for (i, raw) in input.lines().enumerate() {
        let raw = raw.map_err(|e| Fault::NotABankFile {
            why: format!("line {}: {e}", i + 1),
        })?;
        let raw = raw.strip_prefix('\u{feff}').unwrap_or(&raw);
        let line = raw.trim_end();
        if line.is_empty() {
            continue;
        }
        let (code, rest) = line.split_at_checked(2).ok_or_else(|| Fault::Record {
            line: i + 1,
            why: format!("{line:?} is not a record"),
        })?;
        let rest = rest.strip_prefix(',').unwrap_or(rest);
        let body = rest.strip_suffix('/').unwrap_or(rest);
        if code == "88" {
            let previous = out.last_mut().ok_or_else(|| Fault::Record {
                line: i + 1,
                why: "a continuation (88) with no record before it".into(),
            })?;
            previous.lines += 1;
            if previous.code == "16" {
                // Text goes on: joined with a space.
                if let Some(last) = previous.fields.last_mut() {
                    if !last.is_empty() {
                        last.push(' ');
                    }
                    last.push_str(body);
                }
            } else {
                previous.fields.extend(body.split(',').map(str::to_string));
            }
            continue;
        }
        // A 16's text is the rest of the record, commas and all: `detail`
        // joins it back once the funds type says where it starts.
        let fields: Vec<String> = body.split(',').map(str::to_string).collect();
        out.push(Record {
            code: code.to_string(),
            fields,
            line: i + 1,
            lines: 1,
        });
    }
    Ok(out)
}

fn field<'a>(r: &'a Record, i: usize, what: &str) -> Result<&'a str, Fault> {
    r.fields
        .get(i)
        .map(String::as_str)
        .ok_or_else(|| Fault::Record {
            line: r.line,
            why: format!("record {} has no {what} (field {})", r.code, i + 2),
        })
}

fn number(r: &Record, i: usize, what: &str) -> Result<i128, Fault> {
    let text = field(r, i, what)?;
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 18 {
        return Err(Fault::BadAmount {
            element: format!("line {} record {} {what}", r.line, r.code),
            value: text.into(),
        });
    }
    let v: i128 = digits.parse().unwrap_or(0);
    Ok(if text.starts_with('-') { -v } else { v })
}

/// YYMMDD → YYYY-MM-DD.
fn date(r: &Record, i: usize, what: &str) -> Result<String, Fault> {
    let d = field(r, i, what)?;
    let ok = d.len() == 6
        && d.bytes().all(|b| b.is_ascii_digit())
        && (1..=12).contains(&d[2..4].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&d[4..6].parse::<u8>().unwrap_or(0));
    if !ok {
        return Err(Fault::BadValue {
            element: format!("line {} record {} {what}", r.line, r.code),
            value: d.into(),
            expected: "a date as YYMMDD",
        });
    }
    Ok(format!("20{}-{}-{}", &d[..2], &d[2..4], &d[4..]))
}

/// The funds type's availability fields after it: how many to skip, and a
/// value date when it gives one.
fn availability(r: &Record, at: usize) -> Result<(usize, Option<String>), Fault> {
    Ok(match field(r, at, "funds type")? {
        "S" => (3, None),
        "V" => (2, date(r, at + 1, "value date").ok()),
        "D" => {
            let n = number(r, at + 1, "distribution count")?;
            (1 + 2 * usize::try_from(n).unwrap_or(0), None)
        }
        _ => (0, None),
    })
}

fn balance_kind(code: &str) -> Option<&'static str> {
    Some(match code {
        "010" => "OPBD",
        "015" => "CLBD",
        "040" => "OPAV",
        "045" => "CLAV",
        _ => return None,
    })
}

fn disagree(what: String, stated: i128, counted: i128) -> Fault {
    Fault::TotalsDisagree {
        element: what,
        stated: stated.to_string(),
        counted: counted.to_string(),
    }
}

pub(crate) fn read(input: impl std::io::BufRead) -> Result<StatementFile, Fault> {
    let records = records(input)?;
    let mut it = records.iter().peekable();
    let header = it.next().filter(|r| r.code == "01").ok_or(Fault::Missing {
        element: "BAI2 01 file header".into(),
    })?;
    let version = field(header, 7, "version number")?;
    if version != "2" {
        return Err(Fault::WrongMessage {
            found: format!("BAI version {version}"),
            expected: "BAI version 2 (BTRS)".into(),
        });
    }
    let message_id = header.fields[..5.min(header.fields.len())].join("/");
    let created = format!(
        "{}T{}",
        date(header, 2, "creation date")?,
        clock(field(header, 3, "creation time")?)
    );
    let (mut statements, mut file_total, mut groups, mut file_records) =
        (Vec::new(), 0i128, 0i128, header.lines);
    loop {
        let r = it.next().ok_or(Fault::Missing {
            element: "BAI2 99 file trailer".into(),
        })?;
        if r.code != "02" {
            // A group counts its own header.
            file_records += r.lines;
        }
        match r.code.as_str() {
            "02" => {
                let (total, records) = group(r, &mut it, &created, &mut statements)?;
                file_total += total;
                file_records += records;
                groups += 1;
            }
            "99" => {
                let stated = number(r, 0, "file control total")?;
                if stated != file_total {
                    return Err(disagree("99 file control total".into(), stated, file_total));
                }
                let stated = number(r, 1, "number of groups")?;
                if stated != groups {
                    return Err(disagree("99 number of groups".into(), stated, groups));
                }
                let stated = number(r, 2, "number of records")?;
                if stated != i128::from(file_records) {
                    return Err(disagree(
                        "99 number of records".into(),
                        stated,
                        file_records.into(),
                    ));
                }
                if let Some(after) = it.next() {
                    return Err(Fault::Record {
                        line: after.line,
                        why: "a record after the file trailer (99)".into(),
                    });
                }
                break;
            }
            other => {
                return Err(Fault::Record {
                    line: r.line,
                    why: format!(
                        "record {other} where a group (02) or the file trailer (99) belongs"
                    ),
                })
            }
        }
    }
    Ok(StatementFile {
        format: Format::Bai2,
        version: "BAI2".into(),
        message_id,
        created,
        statements,
    })
}

/// HHMM (2400 and 9999 mean the end of the day) → hh:mm:ss.
fn clock(t: &str) -> String {
    match t {
        "2400" | "9999" | "" => "23:59:59".into(),
        t if t.len() == 4 => format!("{}:{}:00", &t[..2], &t[2..]),
        t => t.into(),
    }
}

type Records<'r> = std::iter::Peekable<std::slice::Iter<'r, Record>>;

/// A group from its 02 to its 98: its control total and record count.
fn group(
    header: &Record,
    it: &mut Records<'_>,
    created: &str,
    statements: &mut Vec<Statement>,
) -> Result<(i128, u64), Fault> {
    let originator = field(header, 1, "originator")?.to_string();
    let as_of = date(header, 3, "as-of date")?;
    let currency = match header.fields.get(5).map(String::as_str) {
        None | Some("") => "USD".to_string(),
        Some(c) => c.to_string(),
    };
    let (mut total, mut accounts, mut records) = (0i128, 0i128, header.lines);
    loop {
        let r = it.next().ok_or(Fault::Missing {
            element: "BAI2 98 group trailer".into(),
        })?;
        records += r.lines;
        match r.code.as_str() {
            "03" => {
                let (statement, account_total, account_records) =
                    account(r, it, &originator, &as_of, &currency, created)?;
                statements.push(statement);
                total += account_total;
                records += account_records;
                accounts += 1;
            }
            "98" => {
                let stated = number(r, 0, "group control total")?;
                if stated != total {
                    return Err(disagree("98 group control total".into(), stated, total));
                }
                let stated = number(r, 1, "number of accounts")?;
                if stated != accounts {
                    return Err(disagree("98 number of accounts".into(), stated, accounts));
                }
                let stated = number(r, 2, "number of records")?;
                if stated != i128::from(records) {
                    return Err(disagree(
                        "98 number of records".into(),
                        stated,
                        records.into(),
                    ));
                }
                return Ok((total, records));
            }
            other => {
                return Err(Fault::Record {
                    line: r.line,
                    why: format!(
                        "record {other} where an account (03) or the group trailer (98) belongs"
                    ),
                })
            }
        }
    }
}

/// An account from its 03 to its 49 (the 49 counted by the caller's loop
/// through the returned record count).
fn account(
    header: &Record,
    it: &mut Records<'_>,
    originator: &str,
    as_of: &str,
    group_currency: &str,
    created: &str,
) -> Result<(Statement, i128, u64), Fault> {
    let number_ = field(header, 0, "account number")?.to_string();
    let currency = match header.fields.get(1).map(String::as_str) {
        None | Some("") => group_currency.to_string(),
        Some(c) => c.to_string(),
    };
    let decimals = currency_decimals(&currency).ok_or_else(|| Fault::UnknownCurrency {
        element: format!("line {} record 03 currency", header.line),
        code: currency.clone(),
    })?;
    let mut total = 0i128;
    let mut balances = Vec::new();
    let mut i = 2;
    while let Some(code) = header
        .fields
        .get(i)
        .map(String::as_str)
        .filter(|c| !c.is_empty())
    {
        let amount = match header.fields.get(i + 1).map(String::as_str) {
            None | Some("") => None,
            Some(_) => Some(number(header, i + 1, "amount")?),
        };
        let (skip, _) = if header.fields.len() > i + 3 {
            availability(header, i + 3)?
        } else {
            (0, None)
        };
        if let (Some(kind), Some(minor)) = (balance_kind(code), amount) {
            let units = BankAmount::from_minor(minor.unsigned_abs(), decimals).unwrap_or_default();
            balances.push(Balance {
                kind: kind.into(),
                amount: SignedAmount {
                    amount: units,
                    direction: if minor < 0 {
                        Direction::Debit
                    } else {
                        Direction::Credit
                    },
                },
                date: as_of.to_string(),
            });
        }
        total += amount.unwrap_or(0);
        i += 4 + skip;
    }
    let mut entries = Vec::new();
    let mut records = 0u64;
    loop {
        let r = it.next().ok_or(Fault::Missing {
            element: format!("BAI2 49 account trailer for account {number_}"),
        })?;
        records += r.lines;
        match r.code.as_str() {
            "16" => {
                let (entry, minor) = detail(r, decimals, as_of)?;
                total += minor;
                entries.push(entry);
            }
            "49" => {
                let stated = number(r, 0, "account control total")?;
                if stated != total {
                    return Err(disagree(
                        format!("49 account control total of {number_}"),
                        stated,
                        total,
                    ));
                }
                let stated = number(r, 1, "number of records")?;
                let counted = records + header.lines;
                if stated != i128::from(counted) {
                    return Err(disagree(
                        format!("49 number of records of {number_}"),
                        stated,
                        counted.into(),
                    ));
                }
                let statement = Statement {
                    id: format!("{originator}/{as_of}/{number_}"),
                    account: Account {
                        number: Some(number_),
                        routing: (originator.len() == 9
                            && originator.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| originator.to_string()),
                        ..Account::default()
                    },
                    currency,
                    created: created.to_string(),
                    balances,
                    entries,
                    totals: None,
                };
                return Ok((statement, total, records));
            }
            other => {
                return Err(Fault::Record {
                    line: r.line,
                    why: format!(
                        "record {other} where a detail (16) or the account trailer (49) belongs"
                    ),
                })
            }
        }
    }
}

/// A 16 record: the entry and its amount in minor units.
fn detail(r: &Record, decimals: u32, as_of: &str) -> Result<(Entry, i128), Fault> {
    let code = field(r, 0, "type code")?;
    let type_code: u16 = code.parse().map_err(|_| Fault::BadValue {
        element: format!("line {} record 16 type code", r.line),
        value: code.into(),
        expected: "a three-digit type code",
    })?;
    let direction = match type_code {
        100..=399 => Direction::Credit,
        400..=699 => Direction::Debit,
        _ => {
            return Err(Fault::BadValue {
                element: format!("line {} record 16 type code", r.line),
                value: code.into(),
                expected: "a detail code: 100–399 credit, 400–699 debit",
            })
        }
    };
    let minor = number(r, 1, "amount")?;
    if minor < 0 {
        return Err(Fault::BadAmount {
            element: format!("line {} record 16 amount", r.line),
            value: minor.to_string(),
        });
    }
    let amount = BankAmount::from_minor(minor.unsigned_abs(), decimals).unwrap_or_default();
    let (skip, value_date) = availability(r, 2)?;
    let refs = 3 + skip;
    let nonempty = |s: Option<&String>| s.filter(|s| !s.is_empty()).cloned();
    let bank_reference = nonempty(r.fields.get(refs));
    let customer_reference = nonempty(r.fields.get(refs + 1));
    let text = r
        .fields
        .get(refs + 2..)
        .map(|t| t.join(","))
        .unwrap_or_default();
    let transaction = Transaction {
        end_to_end_id: customer_reference,
        remittance: super::model::Remittance {
            unstructured: (!text.trim().is_empty())
                .then(|| text.trim().to_string())
                .into_iter()
                .collect(),
            structured: Vec::new(),
        },
        ..Transaction::default()
    };
    let transactions = vec![transaction];
    let identity = Entry::identity_of(
        bank_reference.as_deref(),
        direction,
        amount,
        value_date.as_deref().or(Some(as_of)),
        &transactions,
    );
    Ok((
        Entry {
            amount,
            direction,
            status: Status::Booked,
            reversal: false,
            booking_date: Some(as_of.to_string()),
            value_date,
            bank_reference,
            bank_code: None,
            bai_type: Some(type_code),
            info: None,
            transactions,
            identity,
        },
        minor,
    ))
}
