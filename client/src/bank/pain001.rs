//! Credit transfers out: one pain.001.001.09 file per run of payments.
//!
//! The message id is derived from the instructions themselves (debtor,
//! currency, execution date and every payment, in end-to-end-id order), so
//! the same set of payments always makes the same `MsgId` and a bank that
//! refuses a duplicate message refuses a run sent twice. Each payment's
//! `EndToEndId` is the platform's own payment id; the creditor's address is
//! structured (town and country at least), as CBPR+ requires from November
//! 2026; a creditor agent is a BIC or an ABA routing number.
use std::collections::HashSet;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::money::{currency_decimals, BankAmount};
use super::xml::escape;

/// A bank: by BIC, or by U.S. ABA routing number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Agent {
    Bic(String),
    Aba(String),
}

impl Agent {
    /// A 9-digit number whose ABA check digit holds, else an 8- or 11-character
    /// BIC.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.len() == 9 && t.bytes().all(|b| b.is_ascii_digit()) {
            let d: Vec<u32> = t.bytes().map(|b| u32::from(b - b'0')).collect();
            let sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8]);
            return sum.is_multiple_of(10).then(|| Self::Aba(t.into()));
        }
        let b = t.as_bytes();
        let ok = (b.len() == 8 || b.len() == 11)
            && b[..4]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && b[4..6].iter().all(u8::is_ascii_uppercase)
            && b[6..]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        ok.then(|| Self::Bic(t.into()))
    }

    fn xml(&self, out: &mut String, indent: &str) {
        match self {
            Self::Bic(bic) => {
                let _ = writeln!(
                    out,
                    "{indent}<FinInstnId><BICFI>{}</BICFI></FinInstnId>",
                    escape(bic)
                );
            }
            Self::Aba(aba) => {
                let _ = writeln!(
                    out,
                    "{indent}<FinInstnId><ClrSysMmbId><ClrSysId><Cd>USABA</Cd></ClrSysId><MmbId>{}</MmbId></ClrSysMmbId></FinInstnId>",
                    escape(aba)
                );
            }
        }
    }
}

/// Whether `text` is an IBAN (its ISO 7064 mod-97 check holds).
pub fn is_iban(text: &str) -> bool {
    let b = text.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return false;
    }
    let rearranged = b[4..].iter().chain(&b[..4]);
    let mut rem = 0u32;
    for c in rearranged {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn account_xml(out: &mut String, indent: &str, account: &str) {
    if is_iban(account) {
        let _ = writeln!(out, "{indent}<Id><IBAN>{}</IBAN></Id>", escape(account));
    } else {
        let _ = writeln!(
            out,
            "{indent}<Id><Othr><Id>{}</Id></Othr></Id>",
            escape(account)
        );
    }
}

/// A structured postal address: town and country are what CBPR+ requires.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostalAddress {
    pub street: Option<String>,
    pub building_number: Option<String>,
    pub post_code: Option<String>,
    pub town: String,
    pub country_subdivision: Option<String>,
    /// ISO 3166 alpha-2.
    pub country: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Debtor {
    pub name: String,
    pub account: String,
    pub agent: Agent,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// The platform's payment id: the `EndToEndId` the bank reports back.
    pub end_to_end_id: String,
    pub amount: BankAmount,
    pub creditor_name: String,
    pub creditor_account: String,
    pub creditor_agent: Agent,
    pub address: PostalAddress,
    pub remittance: Option<String>,
}

/// One run: a file.
#[derive(Clone, Debug)]
pub struct Run {
    pub debtor: Debtor,
    pub currency: String,
    /// `YYYY-MM-DD`.
    pub execution_date: String,
    /// When the file is made, ISO 8601 with a zone (`2026-12-06T17:00:00Z`).
    pub created: String,
    pub payments: Vec<Payment>,
}

/// A payment the file cannot carry, named by its end-to-end id (or `debtor`
/// / `run`) and the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{payment}: {field}: {why}")]
pub struct Refused {
    pub payment: String,
    pub field: &'static str,
    pub why: String,
}

fn refuse(payment: &str, field: &'static str, why: impl Into<String>) -> Refused {
    Refused {
        payment: payment.into(),
        field,
        why: why.into(),
    }
}

fn text(owner: &str, field: &'static str, value: &str, max: usize) -> Result<(), Refused> {
    let n = value.chars().count();
    if n == 0 || n > max || value.trim() != value {
        return Err(refuse(
            owner,
            field,
            format!("{value:?} must be 1 to {max} characters, no surrounding spaces"),
        ));
    }
    Ok(())
}

fn check(run: &Run) -> Result<(), Refused> {
    let decimals = currency_decimals(&run.currency).ok_or_else(|| {
        refuse(
            "run",
            "currency",
            format!("{:?} is not an ISO 4217 currency", run.currency),
        )
    })?;
    if super::unix_time(&run.execution_date).is_none() || run.execution_date.len() != 10 {
        return Err(refuse(
            "run",
            "execution_date",
            format!("{:?} is not YYYY-MM-DD", run.execution_date),
        ));
    }
    if chrono::DateTime::parse_from_rfc3339(&run.created).is_err() {
        return Err(refuse(
            "run",
            "created",
            format!("{:?} is not an ISO 8601 time with a zone", run.created),
        ));
    }
    if run.payments.is_empty() {
        return Err(refuse(
            "run",
            "payments",
            "a file needs at least one payment",
        ));
    }
    text("debtor", "name", &run.debtor.name, 140)?;
    text("debtor", "account", &run.debtor.account, 34)?;
    let mut ids = HashSet::new();
    for p in &run.payments {
        text("payment", "end_to_end_id", &p.end_to_end_id, 35)?;
        let id = p.end_to_end_id.as_str();
        if !ids.insert(id) {
            return Err(refuse(id, "end_to_end_id", "appears twice in the run"));
        }
        if p.amount.0 == 0 {
            return Err(refuse(id, "amount", "must be more than zero"));
        }
        if p.amount.base_units(decimals).is_none() {
            return Err(refuse(
                id,
                "amount",
                format!(
                    "{} has more decimals than {} has ({decimals})",
                    p.amount, run.currency
                ),
            ));
        }
        if p.amount
            .to_string()
            .replace('.', "")
            .trim_start_matches('0')
            .len()
            > 18
        {
            return Err(refuse(id, "amount", "more than 18 digits"));
        }
        text(id, "creditor_name", &p.creditor_name, 140)?;
        text(id, "creditor_account", &p.creditor_account, 34)?;
        if p.creditor_account.len() >= 4
            && p.creditor_account.as_bytes()[..2]
                .iter()
                .all(u8::is_ascii_uppercase)
            && p.creditor_account.as_bytes()[2..4]
                .iter()
                .all(u8::is_ascii_digit)
            && !is_iban(&p.creditor_account)
        {
            return Err(refuse(
                id,
                "creditor_account",
                format!(
                    "{:?} looks like an IBAN but its check digits fail",
                    p.creditor_account
                ),
            ));
        }
        text(id, "town", &p.address.town, 35)?;
        let c = p.address.country.as_bytes();
        if c.len() != 2 || !c.iter().all(u8::is_ascii_uppercase) {
            return Err(refuse(
                id,
                "country",
                format!("{:?} is not an ISO 3166 alpha-2 code", p.address.country),
            ));
        }
        for (field, value, max) in [
            ("street", &p.address.street, 70),
            ("building_number", &p.address.building_number, 16),
            ("post_code", &p.address.post_code, 16),
            ("country_subdivision", &p.address.country_subdivision, 35),
            ("remittance", &p.remittance, 140),
        ] {
            if let Some(v) = value {
                text(id, field, v, max)?;
            }
        }
    }
    Ok(())
}

/// The run's message id: `USD1-` and 30 hex digits of the SHA-256 of its
/// instructions (the creation time left out), in end-to-end-id order.
pub fn message_id(run: &Run) -> String {
    let mut payments: Vec<&Payment> = run.payments.iter().collect();
    payments.sort_by(|a, b| a.end_to_end_id.cmp(&b.end_to_end_id));
    let mut h = Sha256::new();
    // Each field length-prefixed, an absent one marked as such: the bytes
    // hashed are the instructions' own, not a rendering of Rust values.
    let mut put = |field: Option<&str>| match field {
        Some(s) => {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
        None => h.update(u64::MAX.to_le_bytes()),
    };
    let agent = |a: &Agent| match a {
        Agent::Bic(bic) => format!("BIC {bic}"),
        Agent::Aba(aba) => format!("ABA {aba}"),
    };
    put(Some(&run.debtor.name));
    put(Some(&run.debtor.account));
    put(Some(&agent(&run.debtor.agent)));
    put(Some(&run.currency));
    put(Some(&run.execution_date));
    for p in payments {
        let a = &p.address;
        put(Some(&p.end_to_end_id));
        put(Some(&p.amount.to_string()));
        put(Some(&p.creditor_name));
        put(Some(&p.creditor_account));
        put(Some(&agent(&p.creditor_agent)));
        for field in [&a.street, &a.building_number, &a.post_code] {
            put(field.as_deref());
        }
        put(Some(&a.town));
        put(a.country_subdivision.as_deref());
        put(Some(&a.country));
        put(p.remittance.as_deref());
    }
    let digest = h.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("USD1-{}", &hex[..30])
}

/// The control sum: every payment's amount.
fn total(run: &Run) -> BankAmount {
    BankAmount(run.payments.iter().map(|p| p.amount.0).sum())
}

/// The pain.001.001.09 document, or the first payment it cannot carry.
pub fn write(run: &Run) -> Result<String, Refused> {
    check(run)?;
    let id = message_id(run);
    let n = run.payments.len();
    let sum = total(run);
    let mut x = String::with_capacity(1024 + 1024 * n);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\">\n<CstmrCdtTrfInitn>\n",
    );
    let _ = writeln!(x, "  <GrpHdr>\n    <MsgId>{id}</MsgId>\n    <CreDtTm>{}</CreDtTm>\n    <NbOfTxs>{n}</NbOfTxs>\n    <CtrlSum>{sum}</CtrlSum>\n    <InitgPty><Nm>{}</Nm></InitgPty>\n  </GrpHdr>", escape(&run.created), escape(&run.debtor.name));
    let _ = writeln!(x, "  <PmtInf>\n    <PmtInfId>{id}</PmtInfId>\n    <PmtMtd>TRF</PmtMtd>\n    <NbOfTxs>{n}</NbOfTxs>\n    <CtrlSum>{sum}</CtrlSum>\n    <ReqdExctnDt><Dt>{}</Dt></ReqdExctnDt>\n    <Dbtr><Nm>{}</Nm></Dbtr>\n    <DbtrAcct>", escape(&run.execution_date), escape(&run.debtor.name));
    account_xml(&mut x, "      ", &run.debtor.account);
    x.push_str("    </DbtrAcct>\n    <DbtrAgt>\n");
    run.debtor.agent.xml(&mut x, "      ");
    x.push_str("    </DbtrAgt>\n");
    for p in &run.payments {
        let _ = writeln!(x, "    <CdtTrfTxInf>\n      <PmtId><EndToEndId>{}</EndToEndId></PmtId>\n      <Amt><InstdAmt Ccy=\"{}\">{}</InstdAmt></Amt>\n      <CdtrAgt>", escape(&p.end_to_end_id), escape(&run.currency), p.amount);
        p.creditor_agent.xml(&mut x, "        ");
        let _ = writeln!(
            x,
            "      </CdtrAgt>\n      <Cdtr>\n        <Nm>{}</Nm>\n        <PstlAdr>",
            escape(&p.creditor_name)
        );
        let a = &p.address;
        for (tag, value) in [
            ("StrtNm", a.street.as_deref()),
            ("BldgNb", a.building_number.as_deref()),
            ("PstCd", a.post_code.as_deref()),
            ("TwnNm", Some(a.town.as_str())),
            ("CtrySubDvsn", a.country_subdivision.as_deref()),
            ("Ctry", Some(a.country.as_str())),
        ] {
            if let Some(v) = value {
                let _ = writeln!(x, "          <{tag}>{}</{tag}>", escape(v));
            }
        }
        x.push_str("        </PstlAdr>\n      </Cdtr>\n      <CdtrAcct>\n");
        account_xml(&mut x, "        ", &p.creditor_account);
        x.push_str("      </CdtrAcct>\n");
        if let Some(r) = &p.remittance {
            let _ = writeln!(x, "      <RmtInf><Ustrd>{}</Ustrd></RmtInf>", escape(r));
        }
        x.push_str("    </CdtTrfTxInf>\n");
    }
    x.push_str("  </PmtInf>\n</CstmrCdtTrfInitn>\n</Document>\n");
    Ok(x)
}

/// The columns of a payments CSV, in order.
pub const CSV_COLUMNS: [&str; 12] = [
    "end_to_end_id",
    "amount",
    "creditor_name",
    "creditor_account",
    "creditor_agent",
    "street",
    "building_number",
    "post_code",
    "town",
    "country_subdivision",
    "country",
    "remittance",
];

/// A payments CSV (a header of [`CSV_COLUMNS`], one payment a row) as
/// payments, or the first row that is not one, by line. Every row is then
/// checked again, whole, by [`write`].
pub fn read_csv(text: &str) -> Result<Vec<Payment>, Refused> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| refuse("line 1", "header", e.to_string()))?
        .clone();
    let columns: Vec<&str> = header.iter().collect();
    if columns != CSV_COLUMNS {
        return Err(refuse(
            "line 1",
            "header",
            format!("expected {}", CSV_COLUMNS.join(",")),
        ));
    }
    let mut payments = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| refuse("csv", "row", e.to_string()))?;
        let line = format!("line {}", record.position().map_or(0, |p| p.line()));
        let get = |i: usize| record.get(i).unwrap_or("").to_string();
        let optional = |i: usize| Some(get(i)).filter(|s| !s.is_empty());
        let amount = BankAmount::parse(&get(1)).ok_or_else(|| {
            refuse(
                &line,
                "amount",
                format!("{:?} is not a decimal amount", get(1)),
            )
        })?;
        let creditor_agent = Agent::parse(&get(4)).ok_or_else(|| {
            refuse(
                &line,
                "creditor_agent",
                format!("{:?} is neither an ABA routing number nor a BIC", get(4)),
            )
        })?;
        payments.push(Payment {
            end_to_end_id: get(0),
            amount,
            creditor_name: get(2),
            creditor_account: get(3),
            creditor_agent,
            address: PostalAddress {
                street: optional(5),
                building_number: optional(6),
                post_code: optional(7),
                town: get(8),
                country_subdivision: optional(9),
                country: get(10),
            },
            remittance: optional(11),
        });
    }
    Ok(payments)
}
