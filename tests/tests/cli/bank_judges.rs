//! Outside judges of the bank formats: the official ISO 20022 XSDs (shipped
//! in the `sepa` crate's package) through `xmllint --schema` for every file
//! written; the `sepa` crate's camt parser and the PyPI `bai2` package for
//! every fixture read, compared field by field.
use std::process::Command;

use usd1_client::bank::pain001::{self, Agent, Debtor, Payment, PostalAddress, Run};
use usd1_client::bank::{
    read, BankAmount, Direction, Document, Format, Statement, DEFAULT_MAX_BYTES,
};
use usd1_tests::bank::{fixture, validates};

fn run() -> Run {
    let address = |town: &str, country: &str| PostalAddress {
        street: Some("Main Street".into()),
        building_number: Some("100".into()),
        post_code: Some("10001".into()),
        town: town.into(),
        country_subdivision: Some("NY".into()),
        country: country.into(),
    };
    Run {
        debtor: Debtor {
            name: "USD1 Issuer LLC".into(),
            account: "000123456789".into(),
            agent: Agent::parse("021000021").unwrap(),
        },
        currency: "USD".into(),
        execution_date: "2026-12-07".into(),
        created: "2026-12-06T17:00:00Z".into(),
        payments: vec![
            Payment {
                end_to_end_id: "R-000017".into(),
                amount: BankAmount::parse("100000.00").unwrap(),
                creditor_name: "Acme Treasury Corp".into(),
                creditor_account: "987654321".into(),
                creditor_agent: Agent::parse("026009593").unwrap(),
                address: address("New York", "US"),
                remittance: Some("USD1 redemption R-000017".into()),
            },
            Payment {
                end_to_end_id: "R-000018".into(),
                amount: BankAmount::parse("2500.5").unwrap(),
                creditor_name: "Zoë Ståhl & Söhne <GmbH>".into(),
                creditor_account: "DE89370400440532013000".into(),
                creditor_agent: Agent::parse("COBADEFFXXX").unwrap(),
                address: PostalAddress {
                    street: None,
                    building_number: None,
                    post_code: None,
                    country_subdivision: None,
                    ..address("Frankfurt am Main", "DE")
                },
                remittance: None,
            },
        ],
    }
}

#[test]
fn a_pain001_validates_against_the_official_xsd_and_its_id_is_stable() {
    let run = run();
    let xml = pain001::write(&run).unwrap();
    validates(&xml, "pain.001.001.09").unwrap();
    let id = pain001::message_id(&run);
    assert!(id.starts_with("USD1-") && id.len() == 35, "{id}");
    assert!(xml.contains(&format!("<MsgId>{id}</MsgId>")));
    assert!(xml.contains("<NbOfTxs>2</NbOfTxs>") && xml.contains("<CtrlSum>102500.50</CtrlSum>"));
    assert!(xml.contains("<ClrSysId><Cd>USABA</Cd></ClrSysId><MmbId>026009593</MmbId>"));
    assert!(xml.contains("<IBAN>DE89370400440532013000</IBAN>"));
    assert!(xml.contains("Zoë Ståhl &amp; Söhne &lt;GmbH&gt;"));
    // The same instructions, in another order and at another time: the same id.
    let mut again = run.clone();
    again.payments.reverse();
    again.created = "2026-12-06T18:30:00Z".into();
    assert_eq!(pain001::message_id(&again), id);
    // Another amount: another id.
    let mut other = run.clone();
    other.payments[0].amount = BankAmount::parse("100000.01").unwrap();
    assert_ne!(pain001::message_id(&other), id);
}

#[test]
fn a_payment_the_file_cannot_carry_is_refused_by_name() {
    type Change = Box<dyn Fn(&mut Run)>;
    let cases: Vec<(Change, &str, &str)> = vec![
        (
            Box::new(|r| r.payments[1].end_to_end_id = "R-000017".into()),
            "R-000017",
            "end_to_end_id",
        ),
        (
            Box::new(|r| r.payments[0].amount = BankAmount::parse("1.005").unwrap()),
            "R-000017",
            "amount",
        ),
        (
            Box::new(|r| r.payments[0].amount = BankAmount(0)),
            "R-000017",
            "amount",
        ),
        (
            Box::new(|r| r.payments[0].address.country = "USA".into()),
            "R-000017",
            "country",
        ),
        (
            Box::new(|r| r.payments[0].address.town = String::new()),
            "R-000017",
            "town",
        ),
        (
            Box::new(|r| r.payments[1].creditor_account = "DE89370400440532013001".into()),
            "R-000018",
            "creditor_account",
        ),
        (
            Box::new(|r| r.payments[0].end_to_end_id = "X".repeat(36)),
            "payment",
            "end_to_end_id",
        ),
        (Box::new(|r| r.currency = "USX".into()), "run", "currency"),
        (Box::new(|r| r.payments.clear()), "run", "payments"),
    ];
    for (change, payment, field) in cases {
        let mut r = run();
        change(&mut r);
        let refused = pain001::write(&r).unwrap_err();
        assert_eq!(
            (refused.payment.as_str(), refused.field),
            (payment, field),
            "{refused}"
        );
    }
    assert_eq!(
        Agent::parse("021000022"),
        None,
        "a routing number whose check digit fails"
    );
    assert_eq!(Agent::parse("chasus33"), None);
    assert!(pain001::is_iban("GB29NWBK60161331926819"));
}

use sepa::camt::{CashEntry, EntryStatus};

fn compare(ours: &Statement, theirs: &[CashEntry], iban: Option<&str>, other: Option<&str>) {
    assert_eq!(ours.account.iban.as_deref(), iban);
    assert_eq!(ours.account.number.as_deref(), other);
    assert_eq!(ours.entries.len(), theirs.len());
    for (o, t) in ours.entries.iter().zip(theirs) {
        let amount = BankAmount::parse(t.amount.amount_raw.as_deref().unwrap()).unwrap();
        assert_eq!(o.amount, amount);
        let credit = matches!(t.amount.direction, Some(sepa::CreditDebitIndicator::Credit));
        assert_eq!(o.direction == Direction::Credit, credit);
        let status = match &t.status {
            EntryStatus::Booked => "BOOK",
            EntryStatus::Pending => "PDNG",
            EntryStatus::Info => "INFO",
            EntryStatus::Future => "FUTR",
            EntryStatus::Other(s) => s.as_str(),
            other => panic!("a status this test does not know: {other:?}"),
        };
        assert_eq!(o.status.code(), status);
        assert_eq!(o.bank_reference, t.account_servicer_ref);
        assert_eq!(o.booking_date, t.booking_date_raw);
        assert_eq!(o.value_date, t.value_date_raw);
        assert_eq!(o.info, t.additional_info);
        assert_eq!(o.transactions.len(), t.details.len());
        for (ot, tt) in o.transactions.iter().zip(&t.details) {
            assert_eq!(ot.end_to_end_id, tt.end_to_end_id);
            let name = if o.direction == Direction::Credit {
                &ot.debtor.name
            } else {
                &ot.creditor.name
            };
            assert_eq!(name, &tt.counterparty_name);
            if let Some(raw) = tt.amount.amount_raw.as_deref() {
                assert_eq!(ot.amount, BankAmount::parse(raw));
            }
        }
    }
}

/// The `sepa` crate reads the camt `text` as we read it: every statement's
/// account, balances and entries (amount, direction, status, reference,
/// dates, details, parties) agree.
pub(super) fn sepa_agrees(text: &str) {
    let ours = match read("judged", text.as_bytes(), DEFAULT_MAX_BYTES).unwrap() {
        Document::Statements(f) => f,
        other => panic!("{other:?}"),
    };
    match ours.format {
        Format::Camt053 => {
            let theirs = sepa::camt053::parse_camt053(text).unwrap();
            assert_eq!(ours.message_id, theirs.msg_id);
            assert_eq!(ours.statements.len(), theirs.statements.len());
            for (s, t) in ours.statements.iter().zip(&theirs.statements) {
                assert_eq!(s.id, t.stmt_id);
                compare(
                    s,
                    &t.entries,
                    t.account.iban.as_deref(),
                    t.account.other_id.as_deref(),
                );
                assert_eq!(s.balances.len(), t.balances.len());
                for (ob, tb) in s.balances.iter().zip(&t.balances) {
                    let raw = tb.amount.amount_raw.as_deref().unwrap();
                    assert_eq!(ob.amount.amount, BankAmount::parse(raw).unwrap());
                    assert_eq!(ob.date, tb.date_raw);
                }
            }
        }
        Format::Camt052 => {
            let theirs = sepa::camt052::parse_camt052(text).unwrap();
            assert_eq!(ours.statements.len(), theirs.reports.len());
            for (s, t) in ours.statements.iter().zip(&theirs.reports) {
                compare(
                    s,
                    &t.entries,
                    t.account.iban.as_deref(),
                    t.account.other_id.as_deref(),
                );
            }
        }
        Format::Camt054 => {
            let theirs = sepa::camt054::parse_camt054(text).unwrap();
            assert_eq!(ours.statements.len(), theirs.notifications.len());
            for (s, t) in ours.statements.iter().zip(&theirs.notifications) {
                compare(
                    s,
                    &t.entries,
                    t.account.iban.as_deref(),
                    t.account.other_id.as_deref(),
                );
            }
        }
        Format::Bai2 => panic!("not a camt file"),
    }
}

#[test]
fn the_sepa_crate_reads_every_camt_fixture_as_we_do() {
    for name in [
        "camt053_v08_two_accounts.xml",
        "camt053_v02.xml",
        "camt052_v08_intraday.xml",
        "camt054_v08_notification.xml",
    ] {
        sepa_agrees(&fixture(name));
    }
}

/// The PyPI `bai2` package, integrity checks on, reads the BAI2 file at
/// `path` as we read it: the same accounts, balances and details.
pub(super) fn bai2_package_agrees(path: &std::path::Path) {
    let script = r#"
import sys
from bai2 import bai2
f = bai2.parse_from_file(open(sys.argv[1]))
for g in f.children:
    for a in g.children:
        print("A", a.header.customer_account_number, ",".join(f"{s.type_code.code}={s.amount}" for s in a.header.summary_items))
        for t in a.children:
            print("T", t.type_code.code, t.amount, t.bank_reference or "", t.customer_reference or "", t.text or "", sep="|")
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "the bai2 package (pip install bai2==0.15.0): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = String::from_utf8(out.stdout).unwrap();
    let f = match usd1_client::bank::read_path(path, DEFAULT_MAX_BYTES).unwrap() {
        Document::Statements(f) => f,
        other => panic!("{other:?}"),
    };
    let mut ours = String::new();
    for s in &f.statements {
        let balances: Vec<String> = s
            .balances
            .iter()
            .map(|b| {
                let code = match b.kind.as_str() {
                    "OPBD" => "010",
                    "CLBD" => "015",
                    "OPAV" => "040",
                    _ => "045",
                };
                let minor = b.amount.value() / 1000;
                format!("{code}={minor}")
            })
            .collect();
        ours.push_str(&format!("A {} {}\n", s.account.id(), balances.join(",")));
        for e in &s.entries {
            let t = &e.transactions[0];
            ours.push_str(&format!(
                "T|{}|{}|{}|{}|{}\n",
                e.bai_type.unwrap(),
                e.amount.0 / 1000,
                e.bank_reference.as_deref().unwrap_or(""),
                t.end_to_end_id.as_deref().unwrap_or(""),
                t.remittance.unstructured.first().map_or("", String::as_str),
            ));
        }
    }
    assert_eq!(ours, theirs);
}

#[test]
fn the_bai2_package_reads_the_bai2_fixture_as_we_do() {
    bai2_package_agrees(std::path::Path::new(&format!(
        "{}/fixtures/bank/bai2_two_accounts.txt",
        env!("CARGO_MANIFEST_DIR")
    )));
}
