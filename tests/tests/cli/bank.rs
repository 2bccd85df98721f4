//! The bank rails (issue 34) through the `usd1` binary and the simulated
//! bank: `usd1 bank read` of every file the bank writes (each validated
//! against its official XSD, the BAI2 by the PyPI `bai2` package), one
//! booking counted once across camt.052, camt.054 and camt.053, `usd1 bank
//! pay` making a pain.001 the bank pays and answers, a rejection for a closed
//! account, a wire returned days later, and bad files refused by name.
use std::path::Path;
use std::process::Command;

use usd1_client::bank::{Direction, Document, Status};
use usd1_tests::bank::{self, fixture, validates, Bank};
use usd1_tests::tour::{binary, build_binaries};

/// `usd1 ARGS…` as a shell runs it: (exit code, stdout, stderr).
fn usd1(args: &[&str]) -> (Option<i32>, String, String) {
    build_binaries().unwrap();
    let out = Command::new(binary("usd1").unwrap())
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn read_json(files: &[&Path]) -> serde_json::Value {
    let mut args = vec!["bank", "read", "--output", "json"];
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let (code, out, err) = usd1(&args);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_str(&out).unwrap()
}

const PAYMENTS: &str = "end_to_end_id,amount,creditor_name,creditor_account,creditor_agent,street,building_number,post_code,town,country_subdivision,country,remittance
R-000017,100000.00,Acme Treasury Corp,987654321,021000021,Main Street,100,10001,New York,NY,US,USD1 redemption R-000017
R-000018,2500.50,Globex Ltd,555000111,021000021,,,,London,,GB,USD1 redemption R-000018
R-000019,10.00,Nobody Inc,123123123,021000021,,,,Chicago,IL,US,
";

#[test]
fn the_bank_round_trip_reads_once_pays_rejects_and_returns() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = Bank::new(dir.path(), "2026-12-04").unwrap();
    b.open_account("000123456789", "USD1 Issuer LLC", "1000000.00");
    b.open_account("987654321", "Acme Treasury Corp", "0.00");
    b.open_account("555000111", "Globex Ltd", "0.00");
    b.close_account("555000111");

    // A wire seen pending at 11:00, notified when booked, stated at the end of the day.
    let reference = b
        .wire_in_pending(
            "000123456789",
            "250000.00",
            "USD1 deposit ref D1-ACME-7Q2K",
            ("Acme Treasury Corp", "987654321"),
        )
        .unwrap();
    let intraday = b.write_intraday("000123456789").unwrap();
    b.book_pending("000123456789");
    let notified = b.write_notification("000123456789", &reference).unwrap();
    b.wire_in(
        "000123456789",
        "3000.00",
        "D1-ZOES-88HH",
        ("Zoë Ståhl", "GB29NWBK60161331926819"),
    )
    .unwrap();
    let statement = b.write_statement("000123456789").unwrap();
    let bai = b.write_bai2("USD1ISSUER").unwrap();
    for (file, message) in [
        (&intraday, "camt.052.001.08"),
        (&notified, "camt.054.001.08"),
        (&statement, "camt.053.001.08"),
    ] {
        validates(&std::fs::read_to_string(file).unwrap(), message)
            .unwrap_or_else(|e| panic!("{message}: {e}"));
    }
    // Read by the independent readers as we read them.
    for file in [&intraday, &notified, &statement] {
        super::bank_judges::sepa_agrees(&std::fs::read_to_string(file).unwrap());
    }
    super::bank_judges::bai2_package_agrees(&bai);

    // Read all four: the deposit is one identity, money only where booked.
    let read = read_json(&[&intraday, &notified, &statement, &bai]);
    let mut seen = std::collections::BTreeMap::<String, Vec<String>>::new();
    for file in read.as_array().unwrap() {
        for s in file["statements"].as_array().unwrap() {
            for e in s["entries"].as_array().unwrap() {
                seen.entry(e["identity"].as_str().unwrap().into())
                    .or_default()
                    .push(e["status"].as_str().unwrap().into());
            }
        }
    }
    assert_eq!(
        seen[&format!("ref:{reference}")],
        ["PDNG", "BOOK", "BOOK", "BOOK"]
    );
    assert_eq!(seen.len(), 2, "{seen:?}");
    let closing = &read[2]["statements"][0]["balances"][1];
    assert_eq!(
        (closing["kind"].as_str(), closing["amount"].as_str()),
        (Some("CLBD"), Some("1253000.00"))
    );
    let (_, display, _) = usd1(&["bank", "read", &statement.display().to_string()]);
    assert!(
        display.contains("CLBD 1,253,000.00 as of 2026-12-04"),
        "{display}"
    );
    assert!(display.contains("Zoë Ståhl · end-to-end"), "{display}");

    // Redemptions out: a pain.001 made by hand, paid and answered.
    b.advance_day();
    let csv = dir.path().join("payments.csv");
    std::fs::write(&csv, PAYMENTS).unwrap();
    let out = b.inbox.join("run-1.xml");
    let pay = |out: &Path| {
        usd1(&[
            "bank",
            "pay",
            &csv.display().to_string(),
            "--debtor-name",
            "USD1 Issuer LLC",
            "--debtor-account",
            "000123456789",
            "--debtor-agent",
            bank::ROUTING,
            "--execution-date",
            "2026-12-05",
            "--out",
            &out.display().to_string(),
            "--output",
            "json",
        ])
    };
    let (code, written, err) = pay(&out);
    assert_eq!(code, Some(0), "{err}");
    let written: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(
        (written["payments"].as_u64(), written["total"].as_str()),
        (Some(3), Some("102510.50"))
    );
    let xml = std::fs::read_to_string(&out).unwrap();
    validates(&xml, "pain.001.001.09").unwrap();
    // Made again from the same payments: the same message id, so the bank
    // refuses it as a duplicate rather than paying twice.
    let again = dir.path().join("again.xml");
    let (_, second, _) = pay(&again);
    let second: serde_json::Value = serde_json::from_str(&second).unwrap();
    assert_eq!(second["message_id"], written["message_id"]);

    let answers = b.process_payments().unwrap();
    let report = read_json(&[&answers[0]]);
    let status = |e2e: &str| {
        let p = report[0]["payments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["end_to_end_id"] == e2e)
            .unwrap();
        (
            p["status"].as_str().unwrap().to_string(),
            p["reason"].as_str().map(str::to_string),
        )
    };
    assert_eq!(report[0]["original_message_id"], written["message_id"]);
    assert_eq!(status("R-000017"), ("ACSC".into(), None));
    assert_eq!(
        status("R-000018"),
        ("RJCT".into(), Some("AC04".into())),
        "a closed account"
    );
    assert_eq!(
        status("R-000019"),
        ("RJCT".into(), Some("AC01".into())),
        "an account nobody has"
    );
    std::fs::copy(&again, b.inbox.join("run-1-again.xml")).unwrap();
    let answers = b.process_payments().unwrap();
    let report = read_json(&[&answers[0]]);
    assert_eq!(
        (
            report[0]["group_status"].as_str(),
            report[0]["group_reason"].as_str()
        ),
        (Some("RJCT"), Some("DU01"))
    );

    // The paid wire, stated; returned two days later as a reversal.
    let day2 = b.write_statement("000123456789").unwrap();
    b.advance_day();
    b.advance_day();
    b.return_payment("R-000017").unwrap();
    let day4 = b.write_statement("000123456789").unwrap();
    for file in [&day2, &day4] {
        let text = std::fs::read_to_string(file).unwrap();
        validates(&text, "camt.053.001.08").unwrap();
        super::bank_judges::sepa_agrees(&text);
    }
    let files = bank::read_all(&b.outbox).unwrap();
    let entries = |path: &Path| match &files.iter().find(|(p, _)| p == path).unwrap().1 {
        Document::Statements(f) => f.statements[0].entries.clone(),
        other => panic!("{other:?}"),
    };
    let paid = entries(&day2);
    assert_eq!(paid.len(), 1);
    assert_eq!(
        (paid[0].direction, paid[0].bai_type),
        (Direction::Debit, None)
    );
    assert_eq!(
        paid[0].transactions[0].end_to_end_id.as_deref(),
        Some("R-000017")
    );
    let returned = entries(&day4);
    assert!(
        returned[0].reversal
            && returned[0].direction == Direction::Credit
            && returned[0].status == Status::Booked
    );
    assert_eq!(
        returned[0].transactions[0].end_to_end_id.as_deref(),
        Some("R-000017")
    );
    assert_eq!(b.balance("000123456789").to_string(), "1253000.00");
}

#[test]
fn bad_files_and_bad_payments_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let good = fixture("camt053_v08_two_accounts.xml");
    let off = write(
        "off.xml",
        &good.replace("<NbOfNtries>4</NbOfNtries>", "<NbOfNtries>5</NbOfNtries>"),
    );
    let (code, out, err) = usd1(&["bank", "read", &off]);
    assert_eq!(code, Some(1));
    assert!(out.is_empty());
    assert_eq!(err, format!("error: {off}: Stmt 000123456789-20261204: TtlNtries/NbOfNtries says 5, the entries add up to 4\n"));
    let dtd = write(
        "dtd.xml",
        &good.replace(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<!DOCTYPE x [<!ENTITY a \"b\">]>",
        ),
    );
    let (code, _, err) = usd1(&["bank", "read", &dtd]);
    assert_eq!(
        (code, err),
        (
            Some(1),
            format!("error: {dtd}: a DTD or entity declaration: refused, never expanded\n")
        )
    );
    let (a, b) = (write("a.xml", &good), write("b.xml", &good));
    let (code, out, err) = usd1(&["bank", "read", &a, &b]);
    assert_eq!(code, Some(1));
    assert!(
        out.is_empty(),
        "nothing printed of a delivery refused: {out}"
    );
    assert!(
        err.contains(&format!(
            "{b}: its message id \"STMT-20261204-CHAS-0001\" was already read in {a}"
        )),
        "{err}"
    );
    let (code, _, err) = usd1(&["bank", "read", "--max-bytes", "1000", &a]);
    assert_eq!(code, Some(1));
    assert!(err.contains("is over the limit of 1000 bytes"), "{err}");

    let csv = write(
        "p.csv",
        &PAYMENTS.replace("R-000019,10.00", "R-000019,10.001"),
    );
    let out = dir.path().join("p.xml").display().to_string();
    let pay = |csv: &str, out: &str| {
        usd1(&[
            "bank",
            "pay",
            csv,
            "--debtor-name",
            "USD1 Issuer LLC",
            "--debtor-account",
            "000123456789",
            "--debtor-agent",
            bank::ROUTING,
            "--out",
            out,
        ])
    };
    let (code, _, err) = pay(&csv, &out);
    assert_eq!(code, Some(1));
    assert_eq!(
        err,
        format!("error: {csv}: R-000019: amount: 10.001 has more decimals than USD has (2)\n")
    );
    assert!(
        !Path::new(&out).exists(),
        "no file is written for a refused run"
    );
    let csv = write(
        "q.csv",
        &PAYMENTS.replace("021000021,,,,Chicago", "021000022,,,,Chicago"),
    );
    let (code, _, err) = pay(&csv, &out);
    assert_eq!(code, Some(1));
    assert_eq!(err, format!("error: {csv}: line 4: creditor_agent: \"021000022\" is neither an ABA routing number nor a BIC\n"));
    // An existing file of other payments is never overwritten.
    let first = write("r.csv", PAYMENTS);
    let (code, _, err) = pay(&first, &out);
    assert_eq!(code, Some(0), "{err}");
    let other = write("s.csv", &PAYMENTS.replace("100000.00", "100000.01"));
    let (code, _, err) = pay(&other, &out);
    assert_eq!(code, Some(1));
    assert!(err.contains("already holds other payments"), "{err}");
}
