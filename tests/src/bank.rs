//! A bank to test against: a test double, not a bank. No real bank is
//! connected anywhere in this project; this one holds accounts, takes
//! incoming wires, writes what a U.S. bank delivers host-to-host into an
//! outbox folder (camt.052 intraday reports, camt.054 notifications, camt.053
//! end-of-day statements, BAI2 prior-day files), reads credit-transfer files
//! (pain.001) from an inbox, answers each with a status report (pain.002:
//! ACSC, or RJCT for an unknown or closed creditor account, insufficient
//! funds, or a message id it has seen), books the debits, and returns a paid
//! wire days later when told to.
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{Days, NaiveDate};
use usd1_client::bank::{self, pain001::Agent, BankAmount, Direction, Document};

/// The bank's routing number and BIC.
pub const ROUTING: &str = "021000021";
pub const BIC: &str = "CHASUS33";

#[derive(Clone, Debug)]
pub struct Booking {
    pub reference: String,
    pub amount: BankAmount,
    pub direction: Direction,
    /// Booked (money) or pending (to be booked by [`Bank::book_pending`]).
    pub booked: bool,
    pub reversal: bool,
    pub end_to_end_id: Option<String>,
    pub counterparty: (String, String),
    pub remittance: String,
    /// BAI2 type code: 195 wire in, 495 wire out.
    pub type_code: u16,
    pub date: String,
}

#[derive(Debug)]
struct Account {
    holder: String,
    open: bool,
    opening: i128,
    balance: i128,
    today: Vec<Booking>,
}

pub struct Bank {
    pub outbox: PathBuf,
    pub inbox: PathBuf,
    day: NaiveDate,
    accounts: BTreeMap<String, Account>,
    /// Accounts at other banks that exist (a payment to any other is
    /// rejected AC01).
    pub external: HashSet<String>,
    /// Every outgoing wire paid, by end-to-end id: (account, amount, creditor).
    paid: BTreeMap<String, (String, BankAmount, (String, String))>,
    message_ids: HashSet<String>,
    sequence: u64,
    /// When the bank's files say they were made (unix seconds); 18:00 New
    /// York time of the business day if unset.
    clock: Option<i64>,
}

fn units(a: BankAmount) -> i128 {
    i128::try_from(a.0).unwrap_or(i128::MAX)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Bank {
    /// A bank whose business day is `day` (YYYY-MM-DD), with its folders under `dir`.
    pub fn new(dir: &Path, day: &str) -> Result<Self> {
        let (outbox, inbox) = (dir.join("outbox"), dir.join("inbox"));
        std::fs::create_dir_all(&outbox)?;
        std::fs::create_dir_all(inbox.join("processed"))?;
        Ok(Self {
            outbox,
            inbox,
            day: NaiveDate::parse_from_str(day, "%Y-%m-%d")?,
            accounts: BTreeMap::new(),
            external: HashSet::new(),
            paid: BTreeMap::new(),
            message_ids: HashSet::new(),
            sequence: 0,
            clock: None,
        })
    }

    pub fn day(&self) -> String {
        self.day.format("%Y-%m-%d").to_string()
    }

    fn stamp(&self) -> String {
        match self
            .clock
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        {
            Some(at) => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            None => format!("{}T18:00:00-05:00", self.day()),
        }
    }

    /// The files made from now on say they were made at `unix` (a test's
    /// chain clock), on that day.
    pub fn set_clock(&mut self, unix: i64) {
        self.clock = Some(unix);
        if let Some(at) = chrono::DateTime::from_timestamp(unix, 0) {
            self.day = at.date_naive();
        }
    }

    fn next(&mut self, prefix: &str) -> String {
        self.sequence += 1;
        format!(
            "{prefix}-{}-{:04}",
            self.day.format("%Y%m%d"),
            self.sequence
        )
    }

    pub fn open_account(&mut self, number: &str, holder: &str, balance: &str) {
        let balance = units(BankAmount::parse(balance).expect("an amount"));
        self.accounts.insert(
            number.into(),
            Account {
                holder: holder.into(),
                open: true,
                opening: balance,
                balance,
                today: Vec::new(),
            },
        );
    }

    pub fn close_account(&mut self, number: &str) {
        if let Some(a) = self.accounts.get_mut(number) {
            a.open = false;
        }
    }

    pub fn balance(&self, number: &str) -> BankAmount {
        BankAmount(self.accounts[number].balance.unsigned_abs())
    }

    fn book(&mut self, account: &str, booking: Booking) -> Result<String> {
        let a = self.accounts.get_mut(account).context("no such account")?;
        if booking.booked {
            let v = units(booking.amount);
            a.balance += if booking.direction == Direction::Credit {
                v
            } else {
                -v
            };
        }
        let reference = booking.reference.clone();
        a.today.push(booking);
        Ok(reference)
    }

    /// An incoming wire, booked now: its bank reference.
    pub fn wire_in(
        &mut self,
        account: &str,
        amount: &str,
        remittance: &str,
        debtor: (&str, &str),
    ) -> Result<String> {
        let reference = self.next("BNK");
        let booking = Booking {
            reference,
            amount: BankAmount::parse(amount).context("amount")?,
            direction: Direction::Credit,
            booked: true,
            reversal: false,
            end_to_end_id: Some(format!("E2E-{}", self.sequence)),
            counterparty: (debtor.0.into(), debtor.1.into()),
            remittance: remittance.into(),
            type_code: 195,
            date: self.day(),
        };
        self.book(account, booking)
    }

    /// An incoming wire seen but not yet booked (PDNG in the intraday report).
    pub fn wire_in_pending(
        &mut self,
        account: &str,
        amount: &str,
        remittance: &str,
        debtor: (&str, &str),
    ) -> Result<String> {
        let reference = self.wire_in(account, amount, remittance, debtor)?;
        let a = self.accounts.get_mut(account).context("no such account")?;
        let b = a.today.last_mut().context("booking")?;
        b.booked = false;
        a.balance -= units(b.amount);
        Ok(reference)
    }

    /// Books what was pending, under the same reference.
    pub fn book_pending(&mut self, account: &str) {
        let a = self.accounts.get_mut(account).expect("account");
        for b in a.today.iter_mut().filter(|b| !b.booked) {
            b.booked = true;
            a.balance += units(b.amount);
        }
    }

    /// A paid outgoing wire sent back by the creditor's bank: a reversal
    /// credit on the account that paid it.
    pub fn return_payment(&mut self, end_to_end_id: &str) -> Result<String> {
        let (account, amount, creditor) =
            self.paid.remove(end_to_end_id).context("no such payment")?;
        let reference = self.next("RTN");
        let booking = Booking {
            reference,
            amount,
            direction: Direction::Credit,
            booked: true,
            reversal: true,
            end_to_end_id: Some(end_to_end_id.into()),
            counterparty: creditor,
            remittance: format!("RETURN {end_to_end_id} AC04 CLOSED ACCOUNT"),
            type_code: 195,
            date: self.day(),
        };
        self.book(&account, booking)
    }

    /// The bank takes back an incoming wire it booked today (a recall, a
    /// fraud reversal): a booked debit marked as a reversal, naming the
    /// wire's EndToEndId. Its bank reference.
    pub fn reverse_wire_in(&mut self, account: &str, reference: &str) -> Result<String> {
        let wire = self
            .accounts
            .get(account)
            .context("no such account")?
            .today
            .iter()
            .find(|b| b.reference == reference && b.direction == Direction::Credit)
            .context("no such wire in today")?
            .clone();
        let booking = Booking {
            reference: self.next("RVS"),
            direction: Direction::Debit,
            booked: true,
            reversal: true,
            remittance: format!("REVERSAL OF {reference}"),
            type_code: 495,
            ..wire
        };
        self.book(account, booking)
    }

    /// The next business day: today's closing balance is tomorrow's opening.
    pub fn advance_day(&mut self) {
        self.day = self.day.checked_add_days(Days::new(1)).expect("a day");
        for a in self.accounts.values_mut() {
            a.opening = a.balance;
            a.today.clear();
        }
    }

    fn write(&self, name: String, text: &str) -> Result<PathBuf> {
        let path = self.outbox.join(name);
        let partial = path.with_extension("partial");
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, &path)?;
        Ok(path)
    }
}

mod files;
pub use files::{agent, read_all};

/// A fixture of `tests/fixtures/bank/`.
/// Today's date (UTC) by the wall clock, which the in-process chain's clock
/// and the desk's books follow: a bank on it dates its bookings the day the
/// desk and the chain see them.
pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/bank/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The official ISO 20022 XSD of `message` (`pain.001.001.09`), from the
/// `sepa` package cargo fetched for the tests.
pub fn xsd(message: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
        });
    let registries = std::fs::read_dir(home.join("registry/src"))
        .into_iter()
        .flatten()
        .flatten();
    for registry in registries {
        let path = registry
            .path()
            .join("sepa-0.9.0/tests/xsd")
            .join(format!("{message}.xsd"));
        if path.exists() {
            return path;
        }
    }
    panic!(
        "no {message}.xsd in the sepa 0.9.0 package under {}: cargo fetch first",
        home.display()
    );
}

/// `xmllint --schema`'s verdict on `xml` against the official XSD of `message`.
pub fn validates(xml: &str, message: &str) -> std::result::Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("doc.xml");
    std::fs::write(&file, xml).map_err(|e| e.to_string())?;
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd(message))
        .arg(&file)
        .output()
        .map_err(|e| format!("xmllint (Debian's libxml2-utils): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
