//! One model for every statement the platform reads: camt.053 (end of
//! day), camt.052 (intraday), camt.054 (notifications) and BAI2/BTRS.
use serde::Serialize;

use super::money::{BankAmount, Direction, SignedAmount};

/// What kind of file it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Format {
    #[serde(rename = "camt.053")]
    Camt053,
    #[serde(rename = "camt.052")]
    Camt052,
    #[serde(rename = "camt.054")]
    Camt054,
    #[serde(rename = "BAI2")]
    Bai2,
}

/// A file of statements, taken whole.
#[derive(Clone, Debug, Serialize)]
pub struct StatementFile {
    pub format: Format,
    /// The message definition and version, e.g. `camt.053.001.08`, or `BAI2`.
    pub version: String,
    /// `GrpHdr/MsgId`, or BAI2's sender, receiver, creation date, time and
    /// file id joined by `/`.
    pub message_id: String,
    /// When the bank made the file (`GrpHdr/CreDtTm`; BAI2's 01 record), as
    /// written there.
    pub created: String,
    pub statements: Vec<Statement>,
}

/// One account's statement, report or notification.
#[derive(Clone, Debug, Serialize)]
pub struct Statement {
    /// `Stmt/Id` (`Rpt/Id`, `Ntfctn/Id`); BAI2: the group's originator and
    /// as-of date with the account number.
    pub id: String,
    pub account: Account,
    pub currency: String,
    /// The statement's own creation time when it has one, else the file's.
    pub created: String,
    pub balances: Vec<Balance>,
    pub entries: Vec<Entry>,
    /// The totals the file states for this statement, checked against its
    /// entries when read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totals: Option<Totals>,
}

impl Statement {
    /// The opening booked balance (camt `OPBD`, BAI2 010).
    pub fn opening(&self) -> Option<&Balance> {
        self.balances.iter().find(|b| b.kind == "OPBD")
    }

    /// The closing booked balance (camt `CLBD`, BAI2 015).
    pub fn closing(&self) -> Option<&Balance> {
        self.balances.iter().find(|b| b.kind == "CLBD")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Account {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
    /// A U.S. (or any other non-IBAN) account number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The servicing bank's ABA routing number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bic: Option<String>,
}

impl Account {
    /// The IBAN, else the account number.
    pub fn id(&self) -> &str {
        self.iban
            .as_deref()
            .or(self.number.as_deref())
            .unwrap_or_default()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Balance {
    /// ISO 20022's balance type code: `OPBD`, `CLBD`, `ITBD`, `OPAV`,
    /// `CLAV`, … (BAI2 010 → `OPBD`, 015 → `CLBD`, 040 → `OPAV`,
    /// 045 → `CLAV`).
    pub kind: String,
    pub amount: SignedAmount,
    /// The date (or date and time) the balance is as of, as written.
    pub date: String,
}

/// Booked (money), pending, or information only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Status {
    #[serde(rename = "BOOK")]
    Booked,
    #[serde(rename = "PDNG")]
    Pending,
    #[serde(rename = "INFO")]
    Info,
    /// `FUTR`: booked later.
    #[serde(rename = "FUTR")]
    Future,
}

impl Status {
    pub fn parse(code: &str) -> Option<Self> {
        Some(match code {
            "BOOK" => Self::Booked,
            "PDNG" => Self::Pending,
            "INFO" => Self::Info,
            "FUTR" => Self::Future,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Booked => "BOOK",
            Self::Pending => "PDNG",
            Self::Info => "INFO",
            Self::Future => "FUTR",
        }
    }
}

/// One booking on the account, with the transactions it carries (a batch
/// booking has several).
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub amount: BankAmount,
    pub direction: Direction,
    pub status: Status,
    /// `RvslInd`: this entry undoes an earlier one (a returned wire).
    pub reversal: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_date: Option<String>,
    /// `AcctSvcrRef`: the bank's own reference; BAI2: the bank reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_reference: Option<String>,
    /// The bank transaction code (`BkTxCd`), domain `PMNT/RCDT/…` or
    /// proprietary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<String>,
    /// BAI2's type code (195 incoming wire, 495 outgoing wire, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bai_type: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
    pub transactions: Vec<Transaction>,
    /// See [`Entry::identity`].
    pub identity: String,
}

impl Entry {
    /// Only a booked entry is money.
    pub fn is_money(&self) -> bool {
        self.status == Status::Booked
    }

    /// The key that makes the same booking, reported intraday (camt.052),
    /// notified (camt.054) and stated (camt.053), count once: the bank's
    /// reference, else the EndToEndId or UETR with the direction, amount and
    /// value date (the booking date when there is none). Unique within one
    /// account.
    pub fn identity_of(
        bank_reference: Option<&str>,
        direction: Direction,
        amount: BankAmount,
        date: Option<&str>,
        transactions: &[Transaction],
    ) -> String {
        if let Some(reference) = bank_reference.filter(|r| !r.is_empty()) {
            return format!("ref:{reference}");
        }
        let first = transactions.first();
        let key = first
            .and_then(|t| t.uetr.as_deref().map(|u| format!("uetr:{u}")))
            .or_else(|| {
                first.and_then(|t| {
                    t.end_to_end_id
                        .as_deref()
                        .filter(|e| *e != "NOTPROVIDED")
                        .map(|e| format!("e2e:{e}"))
                })
            })
            .unwrap_or_else(|| "unreferenced".into());
        let day = date.map_or("", |d| d.get(..10).unwrap_or(d));
        format!("{key}:{}:{amount}:{day}", direction.code())
    }
}

/// One payment within an entry (`NtryDtls/TxDtls`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Transaction {
    /// Its own amount when the entry batches several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<BankAmount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_to_end_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uetr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_reference: Option<String>,
    #[serde(skip_serializing_if = "Party::is_empty")]
    pub debtor: Party,
    #[serde(skip_serializing_if = "Party::is_empty")]
    pub creditor: Party,
    #[serde(skip_serializing_if = "Remittance::is_empty")]
    pub remittance: Remittance,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Party {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An IBAN or another account id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl Party {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.account.is_none()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Remittance {
    /// `RmtInf/Ustrd` lines (BAI2: the detail's text).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unstructured: Vec<String>,
    /// `RmtInf/Strd/CdtrRefInf/Ref`: creditor references.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub structured: Vec<String>,
}

impl Remittance {
    pub fn is_empty(&self) -> bool {
        self.unstructured.is_empty() && self.structured.is_empty()
    }

    /// Whether `reference` appears in it, as a structured reference or as a
    /// word of the free text (case-insensitive, as wire remittance is often
    /// retyped).
    pub fn mentions(&self, reference: &str) -> bool {
        let wanted = reference.to_ascii_uppercase();
        self.structured
            .iter()
            .any(|r| r.eq_ignore_ascii_case(reference))
            || self.unstructured.iter().any(|line| {
                line.to_ascii_uppercase()
                    .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                    .any(|word| word == wanted)
            })
    }
}

/// The counts and sums a file states.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum: Option<BankAmount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net: Option<SignedAmount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits: Option<(u64, BankAmount)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debits: Option<(u64, BankAmount)>,
}

/// A closing booked balance, with where and when it was stated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closing {
    pub statement: String,
    pub account: String,
    pub currency: String,
    pub amount: SignedAmount,
    /// When the bank stated it: the statement's (else the file's) creation
    /// time, as written.
    pub stated_at: String,
}

/// The newest closing booked balance (camt.053 `CLBD`, BAI2 015) of
/// `account` (its IBAN or account number) among `files`, by the time each was
/// stated; intraday reports and notifications state none. `Err` lists the
/// accounts stated instead, when there are closings but none of `account`.
pub fn newest_closing(
    files: &[StatementFile],
    account: &str,
) -> Result<Option<Closing>, Vec<String>> {
    let mut others = Vec::new();
    let mut newest: Option<(i64, Closing)> = None;
    for file in files
        .iter()
        .filter(|f| matches!(f.format, Format::Camt053 | Format::Bai2))
    {
        for s in &file.statements {
            let Some(close) = s.closing() else { continue };
            let id = s.account.id();
            if id != account {
                others.push(id.to_string());
                continue;
            }
            let at = super::unix_time(&s.created).or_else(|| super::unix_time(&file.created));
            let Some(at) = at else { continue };
            if newest.as_ref().is_none_or(|(t, _)| at > *t) {
                newest = Some((
                    at,
                    Closing {
                        statement: s.id.clone(),
                        account: id.to_string(),
                        currency: s.currency.clone(),
                        amount: close.amount,
                        stated_at: s.created.clone(),
                    },
                ));
            }
        }
    }
    match newest {
        Some((_, c)) => Ok(Some(c)),
        None if others.is_empty() => Ok(None),
        None => {
            others.sort();
            others.dedup();
            Err(others)
        }
    }
}
