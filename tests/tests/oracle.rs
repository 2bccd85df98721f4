//! The reserve oracle over the in-process ledger: a round end to end (the
//! program accepts what it attests and refuses a mint above it), every bad
//! source, the drop alarm, a restart between submit and confirm, transient
//! RPC failures, metrics and health, dry runs and shutdown.
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use solana_sdk::signature::{Keypair, Signer};
use tokio_util::sync::CancellationToken;
use usd1_client::{attestation, ClientError, Ledger, Usd1Error};
use usd1_oracle::config::{Alarms, RoundSettings, SourceConfig};
use usd1_oracle::daemon::Setup;
use usd1_oracle::report::ReportStore;
use usd1_oracle::sources::file::FileSourceConfig;
use usd1_oracle::sources::http::HttpSourceConfig;
use usd1_oracle::sources::SourceError;
use usd1_oracle::{metrics, Oracle, Outcome, RoundError, RoundOptions};
use usd1_tests::custodian::{Answer, Custodian};
use usd1_tests::ledgers::FaultyLedger;
use usd1_tests::*;

const RESERVE: u64 = 500_000 * ONE;

/// The fixture, a folder for custodian files and reports, and a file source.
struct Harness {
    f: Fixture,
    dir: tempfile::TempDir,
}

impl Harness {
    async fn new() -> Self {
        Self {
            f: Fixture::new(Flavor::Token2022).await,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn custody_file(&self) -> PathBuf {
        self.dir.path().join("custodian.json")
    }

    fn reports(&self) -> PathBuf {
        self.dir.path().join("reports")
    }

    /// Writes the custodian export: `amount` (JSON text) as of `as_of`.
    fn write_custody(&self, amount: &str, as_of: i64) {
        let body =
            format!(r#"{{"account": "USD1 reserve", "balance": {amount}, "as_of": {as_of}}}"#);
        std::fs::write(self.custody_file(), body).expect("write custody file");
    }

    async fn write_reserve(&self, reserve: u64) {
        self.write_custody(
            &usd1_client::format_amount(reserve, DECIMALS),
            self.f.now().await,
        );
    }

    fn file_source(&self) -> SourceConfig {
        SourceConfig::File(FileSourceConfig {
            name: "bank-a".into(),
            path: self.custody_file(),
            format: None,
            amount: Some("/balance".into()),
            as_of: None,
            max_age_secs: 3_600,
            holding: None,
        })
    }

    fn oracle(&self, sources: Vec<SourceConfig>, ledger: Arc<dyn Ledger>) -> Oracle {
        self.oracle_with(sources, ledger, quick_rounds(), Alarms::default())
    }

    fn oracle_with(
        &self,
        sources: Vec<SourceConfig>,
        ledger: Arc<dyn Ledger>,
        round: RoundSettings,
        alarms: Alarms,
    ) -> Oracle {
        let sources = sources.iter().map(|s| s.build().expect("source")).collect();
        Oracle::new(
            ledger,
            Setup {
                payer: self.f.admin.clone(),
                mint: self.f.mint(),
                attestors: self
                    .f
                    .attestors
                    .iter()
                    .map(|k| Arc::new(k.insecure_clone()))
                    .collect(),
                sources,
                store: ReportStore::open(&self.reports()).expect("reports"),
                round,
                alarms,
            },
        )
    }

    fn ledger(&self) -> Arc<dyn Ledger> {
        self.f.ledger.clone()
    }
}

fn quick_rounds() -> RoundSettings {
    RoundSettings {
        retry_backoff_ms: 10,
        pending_wait_secs: 0,
        ..RoundSettings::default()
    }
}

async fn round(oracle: &Oracle) -> Result<Outcome, RoundError> {
    oracle
        .run_round(RoundOptions::default(), &CancellationToken::new())
        .await
}

fn attested(result: Result<Outcome, RoundError>) -> (u64, bool) {
    match result {
        Ok(Outcome::Attested {
            report, heartbeat, ..
        }) => (report.seq, heartbeat),
        other => panic!("expected an attestation, got {other:?}"),
    }
}

fn report_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

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
    assert!(h.f.usd1.config().await.unwrap().latest_retired);

    h.f.advance_clock(60).await;
    h.write_reserve(RESERVE).await;
    assert_eq!(attested(round(&oracle).await), (2, false));
    let config = h.f.usd1.config().await.unwrap();
    assert!(!config.latest_retired);
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

#[tokio::test]
async fn retries_a_transient_rpc_failure_and_then_attests_once() {
    let h = Harness::new().await;
    h.write_reserve(RESERVE).await;
    // Lost confirmations: the first send landed; the retry finds it and sends nothing more.
    let oracle = h.oracle(
        vec![h.file_source()],
        Arc::new(FaultyLedger::failing_sends(h.ledger(), 2, true)),
    );
    assert_eq!(attested(round(&oracle).await).0, 1);
    assert_eq!(h.f.usd1.config().await.unwrap().latest.seq, 1);
    assert!(oracle
        .metrics
        .render()
        .contains("usd1_oracle_rpc_errors_total 1\n"));

    // Sends that never left: the same signed transaction goes again.
    h.write_reserve(RESERVE + ONE).await;
    let oracle = h.oracle(
        vec![h.file_source()],
        Arc::new(FaultyLedger::failing_sends(h.ledger(), 2, false)),
    );
    assert_eq!(attested(round(&oracle).await).0, 2);
    assert!(oracle
        .metrics
        .render()
        .contains("usd1_oracle_rpc_errors_total 2\n"));
    assert!(!oracle.store().dir().join("pending.json").exists());
}

#[tokio::test]
async fn a_restart_between_submit_and_confirm_leaves_no_duplicate_and_no_gap() {
    let mut h = Harness::new().await;
    h.write_reserve(RESERVE).await;
    let once = RoundSettings {
        max_attempts: 1,
        ..quick_rounds()
    };

    // The attestation landed but the daemon died before hearing so.
    let crashed = h.oracle_with(
        vec![h.file_source()],
        Arc::new(FaultyLedger::failing_sends(h.ledger(), 1, true)),
        once.clone(),
        Alarms::default(),
    );
    assert!(matches!(round(&crashed).await, Err(RoundError::Submit(_))));
    assert!(h.reports().join("pending.json").exists());
    let restarted = h.oracle(vec![h.file_source()], h.ledger());
    match round(&restarted).await {
        Ok(Outcome::Unchanged { seq: 1, .. }) => {}
        other => panic!("the restart should find seq 1 landed, got {other:?}"),
    }
    let config = h.f.usd1.config().await.unwrap();
    assert_eq!(config.latest.seq, 1);
    let stored = std::fs::read(restarted.store().report_path(1)).unwrap();
    assert_eq!(usd1_client::sha256(&stored), config.latest.report_sha256);
    assert!(!h.reports().join("pending.json").exists());

    // The next one never left; while it could still land, the restart builds nothing.
    h.write_reserve(RESERVE + ONE).await;
    let crashed = h.oracle_with(
        vec![h.file_source()],
        Arc::new(FaultyLedger::failing_sends(h.ledger(), 1, false)),
        once,
        Alarms::default(),
    );
    assert!(matches!(round(&crashed).await, Err(RoundError::Submit(_))));
    let restarted = h.oracle(vec![h.file_source()], h.ledger());
    assert!(matches!(
        round(&restarted).await,
        Err(RoundError::Pending { seq: 2 })
    ));
    assert_eq!(h.f.usd1.config().await.unwrap().latest.seq, 1);

    // Once its blockhash has expired it can never land: seq 2 is attested anew.
    // Each warp to a new slot makes a blockhash; the in-process ledger calls a
    // blockhash valid while the bank still prices it (300 newer ones, twice
    // a validator's 150: it errs on the side of waiting).
    let slot = h.f.context.banks_client.get_root_slot().await.unwrap();
    for next in 1..=310 {
        h.f.context.warp_to_slot(slot + next).unwrap();
    }
    h.write_reserve(RESERVE + ONE).await;
    assert_eq!(attested(round(&restarted).await).0, 2);
    let config = h.f.usd1.config().await.unwrap();
    assert_eq!(
        (config.latest.seq, config.latest.reserve_amount),
        (2, RESERVE + ONE)
    );
    let stored = std::fs::read(restarted.store().report_path(2)).unwrap();
    assert_eq!(usd1_client::sha256(&stored), config.latest.report_sha256);
    assert_eq!(
        report_files(&h.reports()),
        [
            "report-0000000001.json",
            "report-0000000002.json",
            "report-0000000002.unsent.json"
        ]
    );
}

#[tokio::test]
async fn serves_metrics_and_health() {
    let h = Harness::new().await;
    h.write_reserve(RESERVE).await;
    let oracle = h.oracle(vec![h.file_source()], h.ledger());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let cancel = CancellationToken::new();
    let server = tokio::spawn(metrics::serve(
        listener,
        oracle.metrics.clone(),
        cancel.clone(),
    ));
    let get = |path: &'static str| {
        let url = format!("{base}{path}");
        async move {
            let response = reqwest::get(url).await.expect("request");
            (
                response.status().as_u16(),
                response.text().await.expect("body"),
            )
        }
    };

    let (status, body) = get("/health").await;
    assert_eq!(status, 503);
    assert!(body.contains("the chain has not been read yet"), "{body}");

    attested(round(&oracle).await);
    h.f.usd1
        .mint_to(&h.f.minter, &h.f.holder.pubkey(), 400_000 * ONE)
        .await
        .unwrap();
    h.write_reserve(RESERVE).await;
    assert!(matches!(
        round(&oracle).await,
        Ok(Outcome::Unchanged { .. })
    ));

    let (status, body) = get("/health").await;
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["healthy"], true);
    assert_eq!(health["problems"], serde_json::json!([]));

    let (status, text) = get("/metrics").await;
    assert_eq!(status, 200);
    for line in [
        "# TYPE usd1_oracle_attestation_age_seconds gauge",
        "usd1_oracle_last_seq 1\n",
        "usd1_oracle_reserve 500000\n",
        "usd1_oracle_supply 400000\n",
        "usd1_oracle_coverage_ratio 1.25\n",
        "# TYPE usd1_oracle_rounds_total counter",
        "usd1_oracle_rounds_total{outcome=\"attested\"} 1\n",
        "usd1_oracle_rounds_total{outcome=\"unchanged\"} 1\n",
        "usd1_oracle_rpc_errors_total 0\n",
        "usd1_oracle_drop_alarm 0\n",
        "usd1_oracle_healthy 1\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    let payer =
        h.f.ledger
            .get_account(&h.f.admin.pubkey())
            .await
            .unwrap()
            .unwrap()
            .lamports;
    assert!(
        text.contains(&format!("usd1_oracle_payer_balance_lamports {payer}\n")),
        "{text}"
    );

    // The program's one-day max age passes with no new attestation: unhealthy.
    h.f.advance_clock(24 * 3_600 + 1).await;
    std::fs::remove_file(h.custody_file()).unwrap();
    assert!(round(&oracle).await.is_err());
    let (status, body) = get("/health").await;
    assert_eq!(status, 503);
    assert!(
        body.contains("latest attestation is 86401s old, more than 86400s"),
        "{body}"
    );
    let (_, text) = get("/metrics").await;
    assert!(
        text.contains(
            "usd1_oracle_source_errors_total{source=\"bank-a\",error=\"unreachable\"} 1\n"
        ),
        "{text}"
    );
    assert!(text.contains("usd1_oracle_healthy 0\n"));

    // A payer below its floor is unhealthy too.
    let poor = Alarms {
        min_payer_lamports: u64::MAX,
        ..Alarms::default()
    };
    let strict = h.oracle_with(vec![h.file_source()], h.ledger(), quick_rounds(), poor);
    let _ = round(&strict).await;
    assert!(strict
        .metrics
        .health()
        .problems
        .iter()
        .any(|p| p.starts_with("payer holds")));

    cancel.cancel();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_dry_run_builds_signs_and_simulates_but_sends_nothing() {
    let h = Harness::new().await;
    h.write_reserve(RESERVE).await;
    // Issue 13, item 4: no attestor signature may reach the node in a dry run.
    let wire = Arc::new(usd1_tests::ledgers::FaultyLedger::recording(h.ledger()));
    let oracle = h.oracle(vec![h.file_source()], wire.clone());
    let before = h.f.snapshot().await;
    let dry = RoundOptions {
        dry_run: true,
        ..RoundOptions::default()
    };
    match oracle.run_round(dry, &CancellationToken::new()).await {
        Ok(Outcome::DryRun {
            report,
            digest,
            refusal,
            signatures,
        }) => {
            assert_eq!(refusal, None);
            assert_eq!((report.seq, report.reserve_amount()), (1, RESERVE));
            assert_eq!(
                digest,
                attestation::digest_of(&h.f.mint(), &report.attest_args())
            );
            assert_eq!(
                signatures,
                "2 of 2 checked here; the simulation ran without them, so none left this machine"
            );
        }
        other => panic!("expected a dry run, got {other:?}"),
    }
    let simulated = wire.wire();
    assert!(!simulated.is_empty(), "the round was simulated");
    for transaction in &simulated {
        let keys = transaction.message.account_keys.clone();
        assert!(
            transaction.message.instructions.iter().all(|ix| {
                keys[usize::from(ix.program_id_index)] != usd1::constants::ED25519_PROGRAM_ID
            }),
            "an Ed25519 instruction (attestor signatures) reached the node"
        );
    }
    assert_eq!(h.f.snapshot().await, before);
    assert_eq!(report_files(&h.reports()), Vec::<String>::new());
}

#[tokio::test]
async fn fails_when_it_holds_fewer_attestor_keys_than_the_threshold() {
    let h = Harness::new().await;
    h.write_reserve(RESERVE).await;
    let sources = vec![h.file_source().build().unwrap()];
    let oracle = Oracle::new(
        h.ledger(),
        Setup {
            payer: h.f.admin.clone(),
            mint: h.f.mint(),
            // One registered key and one stranger: 1 of the 2 the threshold needs.
            attestors: vec![
                Arc::new(h.f.attestors[0].insecure_clone()),
                Arc::new(Keypair::new()),
            ],
            sources,
            store: ReportStore::open(&h.reports()).unwrap(),
            round: quick_rounds(),
            alarms: Alarms::default(),
        },
    );
    let before = h.f.snapshot().await;
    match round(&oracle).await {
        Err(
            error @ RoundError::NotEnoughSigners {
                held: 1,
                threshold: 2,
            },
        ) => assert_eq!(error.exit_code(), 2),
        other => panic!("expected NotEnoughSigners, got {other:?}"),
    }
    assert_eq!(h.f.snapshot().await, before);
}

#[tokio::test]
async fn runs_rounds_until_cancelled_and_follows_a_changing_source() {
    let h = Harness::new().await;
    h.write_reserve(RESERVE).await;
    let oracle = Arc::new(h.oracle(vec![h.file_source()], h.ledger()));
    let cancel = CancellationToken::new();
    let daemon = {
        let (oracle, cancel) = (oracle.clone(), cancel.clone());
        tokio::spawn(async move {
            oracle
                .run(Duration::from_millis(50), RoundOptions::default(), cancel)
                .await
        })
    };
    let usd1 = &h.f.usd1;
    let wait_for_seq = |seq: u64| async move {
        for _ in 0..400 {
            if usd1.config().await.unwrap().latest.seq >= seq {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("seq {seq} never attested");
    };
    wait_for_seq(1).await;
    h.write_reserve(RESERVE + 7 * ONE).await;
    wait_for_seq(2).await;
    assert_eq!(
        h.f.usd1.config().await.unwrap().latest.reserve_amount,
        RESERVE + 7 * ONE
    );

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), daemon)
        .await
        .expect("stops promptly")
        .unwrap();
    assert!(oracle.metrics.rounds("attested") >= 2);
}

#[tokio::test]
async fn fails_over_to_the_next_rpc_node_and_reads_a_csv_export() {
    let h = Harness::new().await;
    let now = h.f.now().await;
    let export = h.dir.path().join("custodian.csv");
    std::fs::write(
        &export,
        format!(
            "account,amount,as_of\nOPERATING,400000.5,{now}\nT-BILLS,99999.5,{}\n",
            now - 60
        ),
    )
    .unwrap();
    let csv = SourceConfig::File(FileSourceConfig {
        name: "bank-csv".into(),
        path: export,
        format: None,
        amount: None,
        as_of: None,
        max_age_secs: 3_600,
        holding: None,
    });

    let only_down = h.oracle(vec![csv.clone()], Arc::new(FaultyLedger::down()));
    assert!(matches!(
        round(&only_down).await,
        Err(RoundError::Chain(ClientError::Ledger(_)))
    ));
    assert_eq!(
        only_down.metrics.health().problems[0],
        "the chain could not be read in the last round"
    );

    let failover =
        usd1_oracle::failover::Failover::new(vec![Arc::new(FaultyLedger::down()), h.ledger()]);
    let oracle = h.oracle(vec![csv], Arc::new(failover));
    assert_eq!(attested(round(&oracle).await).0, 1);
    assert_eq!(
        h.f.usd1.config().await.unwrap().latest.reserve_amount,
        RESERVE
    );
    let report = oracle.store().load_report(1).unwrap().unwrap();
    assert_eq!(
        report.components[0].as_of,
        now - 60,
        "the oldest row's time"
    );
}
