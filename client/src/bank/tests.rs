//! The bank formats read and refused, fixture by fixture.
use super::model::Status;
use super::*;

pub(super) fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../tests/fixtures/bank/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn statements(name: &str) -> StatementFile {
    match read(name, fixture(name).as_bytes(), DEFAULT_MAX_BYTES) {
        Ok(Document::Statements(f)) => f,
        other => panic!("{name}: {other:?}"),
    }
}

fn refused(name: &str, text: &str) -> Fault {
    let err = read(name, text.as_bytes(), DEFAULT_MAX_BYTES).unwrap_err();
    assert_eq!(err.file, name);
    err.fault
}

#[test]
fn a_camt053_with_two_statements_is_read_whole() {
    let f = statements("camt053_v08_two_accounts.xml");
    assert_eq!(f.format, Format::Camt053);
    assert_eq!(f.version, "camt.053.001.08");
    assert_eq!(f.message_id, "STMT-20261204-CHAS-0001");
    assert_eq!(f.statements.len(), 2);
    let s = &f.statements[0];
    assert_eq!(s.account.number.as_deref(), Some("000123456789"));
    assert_eq!(s.account.routing.as_deref(), Some("021000021"));
    assert_eq!(s.account.bic.as_deref(), Some("CHASUS33"));
    assert_eq!(s.currency, "USD");
    assert_eq!(s.opening().unwrap().amount.to_string(), "1000000.00");
    assert_eq!(s.closing().unwrap().amount.to_string(), "1152500.00");
    assert_eq!(s.entries.len(), 4);
    let wire = &s.entries[0];
    assert_eq!(wire.amount.to_string(), "250000.00");
    assert_eq!(wire.direction, Direction::Credit);
    assert_eq!(wire.status, Status::Booked);
    assert_eq!(wire.identity, "ref:BNK-20261204-0001");
    assert_eq!(wire.bank_code.as_deref(), Some("PMNT/RCDT/DMCT"));
    let tx = &wire.transactions[0];
    assert_eq!(tx.end_to_end_id.as_deref(), Some("ACME-INV-778"));
    assert_eq!(
        tx.uetr.as_deref(),
        Some("8a562c67-ca16-48ba-b074-65581be6f011")
    );
    assert_eq!(tx.debtor.name.as_deref(), Some("Acme Treasury Corp"));
    assert_eq!(tx.debtor.account.as_deref(), Some("987654321"));
    assert!(tx.remittance.mentions("D1-ACME-7Q2K"));
    assert!(!tx.remittance.mentions("D1-ACME"));
    // A batch: two payments in one booking, a DtTm booking date, non-ASCII
    // names, one structured reference and one typed in lower case.
    let batch = &s.entries[1];
    assert_eq!(
        batch.booking_date.as_deref(),
        Some("2026-12-04T10:15:00-05:00")
    );
    assert_eq!(batch.transactions.len(), 2);
    assert_eq!(batch.transactions[0].amount.unwrap().to_string(), "1000.00");
    assert_eq!(
        batch.transactions[0].debtor.name.as_deref(),
        Some("Société Générale client Müller")
    );
    assert_eq!(
        batch.transactions[0].remittance.structured,
        ["D1-MULL-3F9A"]
    );
    assert_eq!(
        batch.transactions[1].debtor.name.as_deref(),
        Some("Zoë Ståhl")
    );
    assert!(batch.transactions[1].remittance.mentions("D1-ZOES-88HH"));
    let reversal = &s.entries[2];
    assert!(reversal.reversal);
    assert_eq!(reversal.direction, Direction::Debit);
    let totals = s.totals.as_ref().unwrap();
    assert_eq!(totals.entries, Some(4));
    assert_eq!(totals.net.unwrap().to_string(), "152500.00");
    // Five decimals, exactly.
    let eur = &f.statements[1];
    assert_eq!(eur.account.iban.as_deref(), Some("DE89370400440532013000"));
    assert_eq!(eur.entries[0].amount, BankAmount(5));
    assert_eq!(eur.closing().unwrap().amount.to_string(), "10.1235");
}

#[test]
fn the_same_booking_read_three_ways_has_one_identity() {
    let intraday = statements("camt052_v08_intraday.xml");
    let notified = statements("camt054_v08_notification.xml");
    let stated = statements("camt053_v08_two_accounts.xml");
    let pending = &intraday.statements[0].entries[0];
    assert_eq!(pending.status, Status::Pending);
    assert!(!pending.is_money());
    assert_eq!(intraday.statements[0].entries[2].status, Status::Info);
    let ids: Vec<&str> = [
        pending,
        &notified.statements[0].entries[0],
        &stated.statements[0].entries[0],
    ]
    .iter()
    .map(|e| e.identity.as_str())
    .collect();
    assert_eq!(ids, ["ref:BNK-20261204-0001"; 3]);
    // Without the bank's reference: the UETR, direction, amount and day.
    let mut text = fixture("camt054_v08_notification.xml");
    text = text.replace("<AcctSvcrRef>BNK-20261204-0001</AcctSvcrRef>", "");
    let f = match read("n.xml", text.as_bytes(), DEFAULT_MAX_BYTES).unwrap() {
        Document::Statements(f) => f,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        f.statements[0].entries[0].identity,
        "uetr:8a562c67-ca16-48ba-b074-65581be6f011:CRDT:250000.00:2026-12-04"
    );
}

#[test]
fn a_camt053_version_02_reads_into_the_same_model() {
    let f = statements("camt053_v02.xml");
    assert_eq!(f.version, "camt.053.001.02");
    let s = &f.statements[0];
    assert_eq!(s.account.iban.as_deref(), Some("GB29NWBK60161331926819"));
    assert_eq!(s.account.bic.as_deref(), Some("NWBKGB2L"));
    assert_eq!(s.opening().unwrap().amount.to_string(), "-500.00");
    let wire = &s.entries[0];
    assert_eq!(wire.status, Status::Booked);
    assert_eq!(wire.transactions[0].amount.unwrap().to_string(), "75125.00");
    assert_eq!(
        wire.transactions[0].debtor.name.as_deref(),
        Some("Globex Ltd")
    );
    assert!(s.entries[1]
        .identity
        .starts_with("unreferenced:DBIT:125.00:2026-12-04"));
}

#[test]
fn a_bai2_file_reads_into_the_same_model_with_its_totals_checked() {
    let f = statements("bai2_two_accounts.txt");
    assert_eq!(f.format, Format::Bai2);
    assert_eq!(f.created, "2026-12-05T06:00:00");
    assert_eq!(f.statements.len(), 2);
    let s = &f.statements[0];
    assert_eq!(s.account.number.as_deref(), Some("000123456789"));
    assert_eq!(s.account.routing.as_deref(), Some("021000021"));
    assert_eq!(s.closing().unwrap().amount.to_string(), "1152500.00");
    let e = &s.entries;
    assert_eq!(e.len(), 4);
    assert_eq!(
        (e[0].bai_type, e[0].direction),
        (Some(195), Direction::Credit)
    );
    assert_eq!(e[0].identity, "ref:BNK-20261204-0001");
    assert_eq!(
        e[0].transactions[0].end_to_end_id.as_deref(),
        Some("ACME-INV-778")
    );
    assert_eq!(
        e[0].transactions[0].remittance.unstructured,
        ["ORIG: ACME TREASURY CORP, NEW YORK; OBI: USD1 deposit ref D1-ACME-7Q2K"]
    );
    // The 88 continues the text; funds type S carries three more fields.
    assert_eq!(e[1].amount.to_string(), "3000.00");
    assert!(e[1].transactions[0].remittance.mentions("D1-ZOES-88HH"));
    assert_eq!(
        (e[2].bai_type, e[2].direction),
        (Some(495), Direction::Debit)
    );
    assert_eq!(e[2].value_date.as_deref(), Some("2026-12-04"));
    assert_eq!(
        f.statements[1].opening().unwrap().amount.to_string(),
        "-50.00"
    );
}

#[test]
fn status_reports_name_each_payment() {
    let r = match read(
        "p.xml",
        fixture("pain002_v10.xml").as_bytes(),
        DEFAULT_MAX_BYTES,
    )
    .unwrap()
    {
        Document::StatusReport(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(r.original_message_id, "USD1-3f1c0e2b9a7d4c6e8f0a1b2c3d4e5f");
    assert_eq!(r.status_of("R-000017"), Some(("ACSC", None)));
    assert_eq!(r.status_of("R-000018"), Some(("RJCT", Some("AC04"))));
    assert_eq!(r.status_of("R-000099"), Some(("PART", None)));
    let r = match read(
        "q.xml",
        fixture("pain002_v03_group_accepted.xml").as_bytes(),
        DEFAULT_MAX_BYTES,
    )
    .unwrap()
    {
        Document::StatusReport(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(r.status_of("R-000017"), Some(("ACCP", None)));
}

#[test]
fn every_bad_file_is_refused_whole_by_name() {
    let good = fixture("camt053_v08_two_accounts.xml");
    let cases: Vec<(String, &str)> = vec![
        (good.replace("camt.053.001.08", "camt.053.001.04"), "wrong_message"),
        (good.replace("<MsgId>STMT-20261204-CHAS-0001</MsgId>", ""), "missing_element"),
        (good.replace(">250000.00</Amt>\n        <CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>", ">250,000.00</Amt>\n        <CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>"), "bad_amount"),
        (good.replace("<Amt Ccy=\"USD\">3000.00</Amt>", "<Amt Ccy=\"USX\">3000.00</Amt>"), "unknown_currency"),
        (good.replace("<NbOfNtries>4</NbOfNtries>", "<NbOfNtries>5</NbOfNtries>"), "totals_disagree"),
        (good.replace("<Sum>353500.00</Sum>", "<Sum>353500.01</Sum>"), "totals_disagree"),
        (good.replace("1152500.00", "1152600.00"), "totals_disagree"),
        (good.replace("<Sts><Cd>BOOK</Cd></Sts>", "<Sts><Cd>DONE</Cd></Sts>"), "bad_value"),
        (good.replace("<Dt>2026-12-04</Dt></BookgDt>", "<Dt>04.12.2026</Dt></BookgDt>"), "bad_value"),
        (good[..good.len() / 2].to_string(), "malformed"),
        (
            good.replace(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                "<?xml version=\"1.0\"?><!DOCTYPE Document [<!ENTITY x \"xxxxxxxxxx\"><!ENTITY y \"&x;&x;&x;&x;\">]>",
            ),
            "dtd_refused",
        ),
        (good.replace("Acme Treasury Corp</Nm></Pty></Dbtr>", "&unknown;</Nm></Pty></Dbtr>"), "malformed"),
        ("MT940 :20:STARTUMS".to_string(), "not_a_bank_file"),
    ];
    for (text, code) in cases {
        let fault = refused("bad.xml", &text);
        assert_eq!(fault.code(), code, "{fault}");
    }
    let bai = fixture("bai2_two_accounts.txt");
    for (text, code) in [
        (
            bai.replace("49,250600000,7/", "49,250600001,7/"),
            "totals_disagree",
        ),
        (
            bai.replace("49,250600000,7/", "49,250600000,6/"),
            "totals_disagree",
        ),
        (
            bai.replace("99,250590000,1,13/", "99,250590000,1,12/"),
            "totals_disagree",
        ),
        (
            bai.replace("98,250590000,2,11/", "98,250590000,3,11/"),
            "totals_disagree",
        ),
        (bai.replace("16,699,50000", "16,699,5O000"), "bad_amount"),
        (bai.replace("16,699,", "16,899,"), "bad_value"),
        (bai.replace(",,2/\n02", ",,3/\n02"), "wrong_message"),
        (bai.replace("99,250590000,1,13/\n", ""), "missing_element"),
        (
            bai.replace("03,000555000111,,", "03,000555000111,USX,"),
            "unknown_currency",
        ),
    ] {
        let fault = refused("bad.bai", &text);
        assert_eq!(fault.code(), code, "{fault}");
    }
    let err = read("big.xml", good.as_bytes(), 100).unwrap_err();
    assert_eq!(
        err.fault,
        Fault::TooLarge {
            size: good.len() as u64,
            limit: 100
        }
    );
    assert!(err.to_string().starts_with("big.xml: "), "{err}");
}

#[test]
fn the_dtd_is_refused_before_any_entity_is_expanded() {
    // A billion laughs: refused at the DOCTYPE, long before it could grow.
    let mut doc = String::from("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        doc.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    doc.push_str(
        "]><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">&lol9;</Document>",
    );
    assert_eq!(refused("lolz.xml", &doc), Fault::Doctype);
}

#[test]
fn a_message_id_read_twice_is_refused() {
    let dir = std::env::temp_dir().join(format!("usd1-bank-dup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a.xml"), dir.join("b.xml"));
    std::fs::write(&a, fixture("camt054_v08_notification.xml")).unwrap();
    std::fs::write(&b, fixture("camt054_v08_notification.xml")).unwrap();
    let mut reader = Reader::new(DEFAULT_MAX_BYTES);
    reader.read_path(&a).unwrap();
    let err = reader.read_path(&b).unwrap_err();
    assert_eq!(err.fault.code(), "duplicate_message", "{err}");
    assert!(err.to_string().contains("NTF-20261204-0001"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
