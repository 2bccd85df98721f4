//! The oracle's `bank_statement` source (issue 34): the reserve read from
//! the bank's own end-of-day statement, every way that reading is refused by
//! name, and co-signers each reading their own copy.
use usd1_oracle::config::SourceConfig;
use usd1_oracle::sources::bank::BankSourceConfig;
use usd1_oracle::sources::SourceError;
use usd1_tests::bank::{fixture, Bank};
use usd1_tests::cosign_harness::{latest, propose, proposer, Operator};
use usd1_tests::oracle_harness::*;
use usd1_tests::tour;
use usd1_tests::ONE;

const ACCOUNT: &str = "000123456789";

fn source(folder: &std::path::Path, account: &str, max_age_secs: u64) -> SourceConfig {
    SourceConfig::BankStatement(BankSourceConfig {
        name: "operating account".into(),
        folder: folder.to_path_buf(),
        account: account.into(),
        max_age_secs,
        max_file_bytes: None,
        holding: None,
    })
}

#[tokio::test]
async fn attests_the_closing_balance_of_the_newest_statement() {
    let h = Harness::new().await;
    let now = h.f.now().await;
    let mut bank = Bank::new(h.dir.path(), "2026-12-04").unwrap();
    bank.open_account(ACCOUNT, "USD1 Issuer LLC", "400000.00");
    bank.set_clock(now - 86_400);
    bank.write_statement(ACCOUNT).unwrap();
    bank.advance_day();
    bank.set_clock(now - 60);
    bank.wire_in(
        ACCOUNT,
        "100000.00",
        "D1-ACME-7Q2K",
        ("Acme Treasury Corp", "987654321"),
    )
    .unwrap();
    bank.write_statement(ACCOUNT).unwrap();
    // Intraday reports and status reports in the same folder are not statements.
    bank.write_intraday(ACCOUNT).unwrap();

    let oracle = h.oracle(vec![source(&bank.outbox, ACCOUNT, 3_600)], h.ledger());
    let (seq, _) = attested(round(&oracle).await);
    let config = h.f.usd1.config().await.unwrap();
    assert_eq!((seq, config.latest.reserve_amount), (1, RESERVE));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(oracle.store().report_path(1)).unwrap()).unwrap();
    let line = &report["components"][0];
    assert_eq!(line["kind"], "bank_statement");
    assert_eq!(line["amount"], "500000");
    // As of when the bank stated it: the newer statement, not the older one.
    assert_eq!(line["as_of"], now - 60);
    assert!(
        line["location"]
            .as_str()
            .unwrap()
            .contains("statement STMT-"),
        "{line}"
    );
}

#[tokio::test]
async fn a_statement_that_cannot_be_the_reserve_fails_the_round_by_name() {
    let h = Harness::new().await;
    let now = h.f.now().await;
    let mut bank = Bank::new(h.dir.path(), "2026-12-04").unwrap();
    bank.open_account(ACCOUNT, "USD1 Issuer LLC", "500000.00");
    bank.set_clock(now - 7_200);
    bank.write_statement(ACCOUNT).unwrap();
    let read = |config: SourceConfig| async move { config.build().unwrap().read(6, now).await };

    assert!(matches!(
        read(source(&bank.outbox, ACCOUNT, 3_600)).await,
        Err(SourceError::Stale {
            age_secs: 7_200,
            ..
        })
    ));
    assert_eq!(
        read(source(&bank.outbox, "999", 86_400)).await.unwrap_err(),
        SourceError::WrongAccount {
            expected: "999".into(),
            found: ACCOUNT.into()
        }
    );
    let euro = h.dir.path().join("euro");
    std::fs::create_dir_all(&euro).unwrap();
    std::fs::write(
        euro.join("stmt.xml"),
        fixture("camt053_v08_two_accounts.xml"),
    )
    .unwrap();
    let err = read(source(&euro, "DE89370400440532013000", u64::MAX / 4))
        .await
        .unwrap_err();
    assert_eq!(err, SourceError::WrongCurrency("EUR".into()));
    std::fs::write(
        euro.join("cut.xml"),
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>",
    )
    .unwrap();
    let err = read(source(&euro, ACCOUNT, u64::MAX / 4))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "bank_file");
    assert!(err.to_string().contains("cut.xml"), "{err}");
    let empty = h.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(matches!(
        read(source(&empty, ACCOUNT, 60)).await,
        Err(SourceError::Missing(_))
    ));

    // A round over a bad source submits nothing.
    let before = h.f.usd1.config().await.unwrap().latest;
    let oracle = h.oracle(vec![source(&bank.outbox, "999", 86_400)], h.ledger());
    assert!(round(&oracle).await.is_err());
    assert_eq!(h.f.usd1.config().await.unwrap().latest, before);
}

/// Independent attestors, each reading the reserve from its own copy of the
/// bank's statement (its own channel to the bank), as separate processes
/// over the localnet: all agree and attest; one whose copy is another
/// account's refuses by name (with another operator down, nothing is sent);
/// the operator back, two of three attest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosigners_read_the_reserve_from_their_own_copies_of_the_statement() {
    let dir = tempfile::tempdir().unwrap();
    let stage = tour::Stage::open(dir.path(), &|_| {}).await.unwrap();
    let mut operators: Vec<Operator> = stage
        .cast
        .attestors
        .iter()
        .enumerate()
        .map(|(n, a)| Operator::new(dir.path(), n, &stage.url, &stage.mint, a))
        .collect();
    let mut bank = Bank::new(&dir.path().join("bank"), "2026-12-04").unwrap();
    bank.set_clock(tour::unix_now());
    bank.open_account(ACCOUNT, "USD1 Issuer LLC", "1000.00");
    let statement = bank.write_statement(ACCOUNT).unwrap();
    let source = |folder: &str| {
        format!("[[sources]]\nkind = \"bank_statement\"\nname = \"operating-account\"\nfolder = \"{folder}\"\naccount = \"{ACCOUNT}\"\nmax_age_secs = 600\n")
    };
    let copy = |n: usize, statement: &std::path::Path| {
        let folder = dir.path().join(format!("bank-copy-{n}"));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::copy(statement, folder.join("statement.xml")).unwrap();
    };
    for (n, operator) in operators.iter_mut().enumerate() {
        copy(n, &statement);
        let text = std::fs::read_to_string(&operator.config).unwrap();
        let (head, _) = text.split_once("[[sources]]").unwrap();
        let config = format!("{head}{}", source(&format!("bank-copy-{n}")));
        std::fs::write(&operator.config, config).unwrap();
        operator.kill();
        operator.start();
    }
    let config = proposer(dir.path(), &stage, &operators);
    let text = std::fs::read_to_string(&config).unwrap();
    let (head, rest) = text.split_once("[[sources]]").unwrap();
    let cosigners = &rest[rest.find("[[cosigners]]").unwrap()..];
    std::fs::write(
        &config,
        format!("{head}{}{cosigners}", source("bank/outbox")),
    )
    .unwrap();
    let seq = || latest(&stage)["attestation"]["seq"].as_u64().unwrap_or(0);

    let (code, log) = propose(&config, &operators);
    assert_eq!(code, 0, "{log}");
    assert_eq!(seq(), 1);
    assert_eq!(latest(&stage)["attestation"]["reserve"], "1000");

    // A deposit: the next day's statement, 1,500, reaches the proposer and
    // operators 0 and 1; operator 2's channel delivers another account's.
    bank.advance_day();
    bank.set_clock(tour::unix_now());
    bank.wire_in(
        ACCOUNT,
        "500.00",
        "D1-ACME-7Q2K",
        ("Acme Treasury Corp", "987654321"),
    )
    .unwrap();
    let day2 = bank.write_statement(ACCOUNT).unwrap();
    bank.open_account("000999999999", "Someone Else", "1500.00");
    let other = bank.write_statement("000999999999").unwrap();
    for n in [0, 1] {
        copy(n, &day2);
    }
    std::fs::remove_file(dir.path().join("bank-copy-2/statement.xml")).unwrap();
    copy(2, &other);
    std::fs::remove_file(&other).unwrap();
    std::fs::remove_file(&statement).unwrap();
    operators[0].kill();
    let (code, log) = propose(&config, &operators);
    assert_eq!(code, 3, "{log}");
    assert!(log.contains("SourceFailed"), "{log}");
    assert!(
        log.contains("no statement of account 000123456789"),
        "{log}"
    );
    assert_eq!(seq(), 1, "nothing sent");
    operators[0].start();
    let (code, log) = propose(&config, &operators);
    assert_eq!(code, 0, "{log}");
    assert_eq!(seq(), 2);
    assert_eq!(latest(&stage)["attestation"]["reserve"], "1500");
}

/// The source keeps what it read of each file between rounds, and reads a
/// file again once the bank has replaced it.
#[tokio::test]
async fn a_statement_replaced_in_the_folder_is_read_again() {
    let h = Harness::new().await;
    let now = h.f.now().await;
    let mut bank = Bank::new(h.dir.path(), "2026-12-04").unwrap();
    bank.set_clock(now - 60);
    bank.open_account(ACCOUNT, "USD1 Issuer LLC", "400000.00");
    let statement = bank.write_statement(ACCOUNT).unwrap();
    let reader = source(&bank.outbox, ACCOUNT, 3_600).build().unwrap();
    assert_eq!(reader.read(6, now).await.unwrap().amount, 400_000 * ONE);
    assert_eq!(reader.read(6, now).await.unwrap().amount, 400_000 * ONE);
    // The bank corrects the day's statement under the same name.
    bank.wire_in(
        ACCOUNT,
        "100000.00",
        "D1-ACME-7Q2K",
        ("Acme Treasury Corp", "987654321"),
    )
    .unwrap();
    let corrected = bank.write_statement(ACCOUNT).unwrap();
    std::fs::rename(&corrected, &statement).unwrap();
    assert_eq!(reader.read(6, now).await.unwrap().amount, RESERVE);
    // And a file that went bad is refused, not remembered.
    std::fs::write(
        &statement,
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">",
    )
    .unwrap();
    assert_eq!(reader.read(6, now).await.unwrap_err().kind(), "bank_file");
}
