//! The reserve oracle over the in-process ledger: a round end to end (the
//! program accepts what it attests and refuses a mint above it), eligibility,
//! every bad source, heartbeats and the drop alarm. Delivery (retries,
//! restarts, metrics, dry runs, shutdown, failover) is in `oracle_delivery.rs`.

use solana_sdk::signature::Signer;
use tokio_util::sync::CancellationToken;
use usd1_client::Usd1Error;
use usd1_oracle::config::{Alarms, RoundSettings, SourceConfig};
use usd1_oracle::sources::file::FileSourceConfig;
use usd1_oracle::sources::http::HttpSourceConfig;
use usd1_oracle::sources::SourceError;
use usd1_oracle::{Outcome, RoundError, RoundOptions};
use usd1_tests::custodian::{Answer, Custodian};
use usd1_tests::*;

use usd1_tests::oracle_harness::*;

#[tokio::test]
async fn attests_the_custodian_reserve_and_the_program_gates_mints_on_it() {
    let h = Harness::new().await;
    h.write_reserve(RESERVE).await;
    let oracle = h.oracle(vec![h.file_source()], h.ledger());

    let (seq, heartbeat) = attested(round(&oracle).await);
    assert_eq!((seq, heartbeat), (1, false));

    let config = h.f.usd1.config().await.unwrap();
    assert_eq!(config.latest.seq, 1);
    assert_eq!(config.latest.reserve_amount, RESERVE);
    // The stored report is the one whose hash is on-chain.
    let bytes = std::fs::read(oracle.store().report_path(1)).unwrap();
    assert_eq!(usd1_client::sha256(&bytes), config.latest.report_sha256);
    let report: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(report["reserve"], "500000");
    assert_eq!(report["components"][0]["name"], "bank-a");
    assert_eq!(report_files(&h.reports()), ["report-0000000001.json"]);

    // The program accepts mints up to what the oracle attested, and no further.
    let holder = h.f.holder.pubkey();
    h.f.usd1
        .mint_to(&h.f.minter, &holder, RESERVE - ONE)
        .await
        .expect("mint within the reserve");
    let before = h.f.snapshot().await;
    assert_usd1_error(
        h.f.usd1.mint_to(&h.f.minter, &holder, 2 * ONE).await,
        Usd1Error::ReserveExceeded,
    );
    assert_eq!(h.f.snapshot().await, before);
}

#[tokio::test]
async fn attests_only_the_eligible_part_of_the_reserve_and_the_report_says_why() {
    use usd1_client::reserve_report::{AssetClass, EligibilityPolicy, Holding, Report};
    let h = Harness::new().await;
    let now = h.f.now().await;
    h.write_reserve(RESERVE).await;
    let bills = h.dir.path().join("bills.json");
    let far = &usd1_tests::tour::rfc3339(now + 200 * 86_400)[..10];
    std::fs::write(
        &bills,
        format!(r#"{{"balance": "300000", "as_of": {now}}}"#),
    )
    .unwrap();
    let holding = |class, custodian: &str, maturity: Option<&str>| Holding {
        asset_class: class,
        custodian: custodian.into(),
        account: "reserve".into(),
        maturity: maturity.map(Into::into),
    };
    let cash = match h.file_source() {
        SourceConfig::File(c) => SourceConfig::File(FileSourceConfig {
            holding: Some(holding(AssetClass::Cash, "Bank A", None)),
            ..c
        }),
        other => other,
    };
    let tbills = SourceConfig::File(FileSourceConfig {
        name: "broker-bills".into(),
        path: bills,
        format: None,
        amount: Some("/balance".into()),
        as_of: None,
        max_age_secs: 3_600,
        holding: Some(holding(AssetClass::TreasuryBill, "Broker", Some(far))),
    });
    let round_settings = RoundSettings {
        eligibility: Some(EligibilityPolicy {
            max_tbill_days: Some(93),
            ..EligibilityPolicy::default()
        }),
        ..quick_rounds()
    };
    let oracle = h.oracle_with(
        vec![cash, tbills],
        h.ledger(),
        round_settings,
        Alarms::default(),
    );

    attested(round(&oracle).await);
    let config = h.f.usd1.config().await.unwrap();
    // The 200-day bills are listed but do not count.
    assert_eq!(config.latest.reserve_amount, RESERVE);
    let bytes = std::fs::read(oracle.store().report_path(1)).unwrap();
    assert_eq!(usd1_client::sha256(&bytes), config.latest.report_sha256);
    let report: Report = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(report.version, 2);
    assert_eq!(
        report.gross_base_units,
        Some((RESERVE + 300_000 * ONE).to_string())
    );
    let bills = report
        .components
        .iter()
        .find(|c| c.name == "broker-bills")
        .unwrap();
    assert_eq!(bills.eligible_base_units.as_deref(), Some("0"));
    assert_eq!(
        bills.ineligible_reason.as_deref(),
        Some("matures in 200 days, beyond the 93-day limit")
    );
    assert!(report.is_consistent());
}

#[tokio::test]
async fn sums_a_file_and_an_http_source_sending_the_credential() {
    let h = Harness::new().await;
    h.write_reserve(RESERVE).await;
    let now = h.f.now().await;
    let custodian = Custodian::start(Answer::Json {
        status: 200,
        body: format!(r#"{{"data": {{"total": "250000.125", "as_of": {now}}}}}"#),
    })
    .await;
    std::env::set_var("USD1_TEST_CUSTODIAN_TOKEN", "Bearer sesame");
    let http = SourceConfig::Http(HttpSourceConfig {
        name: "bank-b".into(),
        url: custodian.url.clone(),
        auth_env: Some("USD1_TEST_CUSTODIAN_TOKEN".into()),
        auth_header: None,
        timeout_secs: 5,
        amount_pointer: "/data/total".into(),
        as_of_pointer: "/data/as_of".into(),
        max_age_secs: 60,
        holding: None,
    });
    let oracle = h.oracle(vec![http, h.file_source()], h.ledger());
    attested(round(&oracle).await);
    assert_eq!(
        custodian.last_authorization().as_deref(),
        Some("Bearer sesame")
    );
    let config = h.f.usd1.config().await.unwrap();
    assert_eq!(config.latest.reserve_amount, RESERVE + 250_000_125_000);
    let report = oracle.store().load_report(1).unwrap().unwrap();
    let names: Vec<&str> = report.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["bank-a", "bank-b"]);
}

#[tokio::test]
async fn fails_when_a_source_is_bad_and_submits_nothing() {
    let h = Harness::new().await;
    let now = h.f.now().await;
    let custodian = Custodian::start(Answer::Hang).await;
    let http = |timeout_secs| {
        SourceConfig::Http(HttpSourceConfig {
            name: "bank-b".into(),
            url: custodian.url.clone(),
            auth_env: None,
            auth_header: None,
            timeout_secs,
            amount_pointer: "/total".into(),
            as_of_pointer: "/as_of".into(),
            max_age_secs: 60,
            holding: None,
        })
    };
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let unreachable = SourceConfig::Http(HttpSourceConfig {
        name: "bank-c".into(),
        url: format!("http://127.0.0.1:{closed_port}/reserves"),
        auth_env: None,
        auth_header: None,
        timeout_secs: 5,
        amount_pointer: "/total".into(),
        as_of_pointer: "/as_of".into(),
        max_age_secs: 60,
        holding: None,
    });
    let needs_credential = SourceConfig::Http(HttpSourceConfig {
        auth_env: Some("USD1_TEST_UNSET_CREDENTIAL".into()),
        ..match http(5) {
            SourceConfig::Http(c) => c,
            _ => unreachable!(),
        }
    });

    // (what the file says, which source, the error kind expected)
    let file_cases: Vec<(&str, String, &str)> = vec![
        (
            "stale",
            format!(r#"{{"balance": 5, "as_of": {}}}"#, now - 3_601),
            "stale",
        ),
        (
            "from the future",
            format!(r#"{{"balance": 5, "as_of": {}}}"#, now + 3_600),
            "from_the_future",
        ),
        (
            "truncated",
            String::from(r#"{"balance": 5, "as_"#),
            "malformed",
        ),
        (
            "negative",
            format!(r#"{{"balance": -5, "as_of": {now}}}"#),
            "negative",
        ),
        (
            "non-numeric",
            format!(r#"{{"balance": "five", "as_of": {now}}}"#),
            "non_numeric",
        ),
        (
            "huge",
            format!(r#"{{"balance": 18446744073709551616, "as_of": {now}}}"#),
            "out_of_range",
        ),
        (
            "missing amount",
            format!(r#"{{"as_of": {now}}}"#),
            "malformed",
        ),
        (
            "bad time",
            r#"{"balance": 5, "as_of": "last tuesday"}"#.to_string(),
            "malformed",
        ),
    ];
    let before = h.f.snapshot().await;
    for (case, body, kind) in file_cases {
        std::fs::write(h.custody_file(), body).unwrap();
        let oracle = h.oracle(vec![h.file_source()], h.ledger());
        match round(&oracle).await {
            Err(RoundError::Source { name, error }) => {
                assert_eq!(
                    (name.as_str(), error.kind()),
                    ("bank-a", kind),
                    "{case}: {error}"
                )
            }
            other => panic!("{case}: expected a source error, got {other:?}"),
        }
        assert_eq!(oracle.metrics.rounds("source_error"), 1, "{case}");
    }

    h.write_reserve(RESERVE).await;
    let file_gone = SourceConfig::File(FileSourceConfig {
        path: h.dir.path().join("no-such-export.json"),
        ..match h.file_source() {
            SourceConfig::File(c) => c,
            _ => unreachable!(),
        }
    });
    let other_cases: Vec<(&str, SourceConfig, SourceError)> = vec![
        ("hanging endpoint", http(1), SourceError::Timeout(1)),
        (
            "credential not set",
            needs_credential,
            SourceError::MissingCredential("USD1_TEST_UNSET_CREDENTIAL".into()),
        ),
    ];
    for (case, source, expected) in other_cases {
        let oracle = h.oracle(vec![h.file_source(), source], h.ledger());
        match round(&oracle).await {
            Err(RoundError::Source { error, .. }) => assert_eq!(error, expected, "{case}"),
            other => panic!("{case}: expected a source error, got {other:?}"),
        }
    }
    for (case, source, kind) in [
        ("closed port", unreachable, "unreachable"),
        ("missing file", file_gone, "unreachable"),
    ] {
        let oracle = h.oracle(vec![source], h.ledger());
        match round(&oracle).await {
            Err(RoundError::Source { error, .. }) => {
                assert_eq!(error.kind(), kind, "{case}: {error}")
            }
            other => panic!("{case}: expected a source error, got {other:?}"),
        }
    }
    custodian.set(Answer::Json {
        status: 503,
        body: "{}".into(),
    });
    let oracle = h.oracle(vec![http(5)], h.ledger());
    assert!(matches!(
        round(&oracle).await,
        Err(RoundError::Source {
            error: SourceError::HttpStatus(503),
            ..
        })
    ));

    assert_eq!(
        h.f.snapshot().await,
        before,
        "a failed round changed the chain"
    );
    assert_eq!(
        report_files(&h.reports()),
        Vec::<String>::new(),
        "a failed round wrote a report"
    );
}

#[tokio::test]
async fn skips_an_unchanged_reserve_until_the_heartbeat_is_due() {
    let h = Harness::new().await;
    h.write_reserve(RESERVE).await;
    let oracle = h.oracle(vec![h.file_source()], h.ledger());
    attested(round(&oracle).await);

    h.f.advance_clock(60).await;
    h.write_reserve(RESERVE).await;
    match round(&oracle).await {
        Ok(Outcome::Unchanged { seq: 1, age_secs }) => assert!(age_secs >= 60),
        other => panic!("expected unchanged, got {other:?}"),
    }
    // Half the program's one-day max age later, the same reserve is attested again.
    h.f.advance_clock(12 * 3_600).await;
    h.write_reserve(RESERVE).await;
    assert_eq!(attested(round(&oracle).await), (2, true));
    // A changed reserve is attested at once.
    h.write_reserve(RESERVE + ONE).await;
    assert_eq!(attested(round(&oracle).await), (3, false));
    assert_eq!(
        h.f.usd1.config().await.unwrap().latest.reserve_amount,
        RESERVE + ONE
    );
}

/// A replaced attestor set retires the live attestation and stops mints, so
/// an unchanged reserve is attested again at once, heartbeat or not.
#[tokio::test]
async fn attests_an_unchanged_reserve_at_once_when_the_attestation_was_retired() {
    let h = Harness::new().await;
    h.write_reserve(RESERVE).await;
    let oracle = h.oracle(vec![h.file_source()], h.ledger());
    attested(round(&oracle).await);
    let keys = h.f.attestors.iter().map(|k| k.pubkey()).collect();
    h.f.usd1
        .set_attestors(&h.f.admin, keys, 3, false)
        .await
        .unwrap();
    assert!(h.f.usd1.config().await.unwrap().is_latest_retired());

    h.f.advance_clock(60).await;
    h.write_reserve(RESERVE).await;
    assert_eq!(attested(round(&oracle).await), (2, false));
    let config = h.f.usd1.config().await.unwrap();
    assert!(!config.is_latest_retired());
    assert_eq!(config.latest.signer_count, 3);
}

#[tokio::test]
async fn fails_when_the_reserve_drops_beyond_the_alarm_unless_allowed() {
    let h = Harness::new().await;
    h.write_reserve(RESERVE).await;
    let oracle = h.oracle(vec![h.file_source()], h.ledger());
    attested(round(&oracle).await);

    // 1% is the default threshold: exactly 1% passes, a base unit more does not.
    h.write_reserve(RESERVE / 100 * 99).await;
    assert_eq!(attested(round(&oracle).await).0, 2);
    let attested_reserve = RESERVE / 100 * 99;
    h.write_reserve(attested_reserve / 100 * 99 - 1).await;
    let before = h.f.snapshot().await;
    match round(&oracle).await {
        Err(RoundError::DropRefused {
            drop_bps, max_bps, ..
        }) => assert_eq!((drop_bps, max_bps), (101, 100)),
        other => panic!("expected the drop alarm, got {other:?}"),
    }
    assert_eq!(h.f.snapshot().await, before);
    assert!(oracle.metrics.render().contains("usd1_oracle_drop_alarm 1"));
    assert!(oracle
        .metrics
        .health()
        .problems
        .iter()
        .any(|p| p.contains("drop alarm")));

    let allow = RoundOptions {
        allow_drop: true,
        ..RoundOptions::default()
    };
    let outcome = oracle.run_round(allow, &CancellationToken::new()).await;
    assert_eq!(attested(outcome).0, 3);
    assert!(oracle.metrics.render().contains("usd1_oracle_drop_alarm 0"));
}
