//! The co-signer vouches for no more than it signs, and the attestation path
//! keeps its promises across crashes and restarts (issue 22, items 3–8 and
//! 10). Co-signers run in process over the in-process ledger, one journal
//! each; the proposer's side is the ordinary daemon.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use solana_sdk::signature::{Keypair, Signer};
use tokio_util::sync::CancellationToken;
use usd1::constants::MAX_SUBMISSION_DELAY_LIMIT;
use usd1::instructions::PolicyArgs;
use usd1_client::attestation::{self, digest_of};
use usd1_client::reserve_report::{AssetClass, EligibilityPolicy, Holding, Reading, Report};
use usd1_client::Ledger;
use usd1_oracle::config::{Alarms, CosignerRef, RoundSettings, SourceConfig};
use usd1_oracle::cosigner::alarm::{Alarm, AlarmEvent};
use usd1_oracle::cosigner::{Cosigner, CosignerConfig, Refusal, SignRequest};
use usd1_oracle::daemon::Setup;
use usd1_oracle::report::ReportStore;
use usd1_oracle::sources::file::FileSourceConfig;
use usd1_oracle::{Oracle, Outcome, RoundError, RoundOptions};
use usd1_tests::ledgers::FaultyLedger;
use usd1_tests::*;

/// A custodian export of `amount` (token units) as of `as_of`, and the
/// source that reads it, with what it holds.
fn source(
    dir: &Path,
    name: &str,
    amount: &str,
    as_of: i64,
    holding: Option<Holding>,
) -> SourceConfig {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(
        &path,
        format!(r#"{{"balance": "{amount}", "as_of": {as_of}}}"#),
    )
    .unwrap();
    SourceConfig::File(FileSourceConfig {
        name: name.into(),
        path,
        format: None,
        amount: Some("/balance".into()),
        as_of: None,
        max_age_secs: 3_600,
        holding,
    })
}

fn holding(class: AssetClass, maturity: Option<&str>) -> Holding {
    Holding {
        asset_class: class,
        custodian: "First Bank".into(),
        account: "reserve-1".into(),
        maturity: maturity.map(String::from),
    }
}

fn config(
    f: &Fixture,
    n: usize,
    journal: PathBuf,
    sources: Vec<SourceConfig>,
    eligibility: Option<EligibilityPolicy>,
) -> CosignerConfig {
    CosignerConfig {
        rpc_urls: vec!["http://127.0.0.1:1".into()],
        commitment: solana_commitment_config::CommitmentConfig::confirmed(),
        mint: f.mint(),
        attestor: Arc::new(f.attestors[n].insecure_clone()),
        journal,
        listen_addr: "127.0.0.1:0".parse().unwrap(),
        token: "t".into(),
        tolerance_bps: 0,
        max_requests_per_minute: 100,
        eligibility,
        sources,
    }
}

/// A T-bill maturing `days` after `now`, as `YYYY-MM-DD`.
fn maturity(now: i64, days: i64) -> String {
    let date = tour::rfc3339(now + days * 86_400);
    date[..10].to_string()
}

fn policy() -> EligibilityPolicy {
    EligibilityPolicy {
        max_tbill_days: Some(93),
        ..EligibilityPolicy::default()
    }
}

/// Issue 22, item 3: the co-signer takes neither the report's policy nor
/// its holdings on trust. A compromised proposer that drops the policy, or
/// relabels a T-bill past the maturity limit as cash, gets nothing signed.
#[tokio::test]
async fn fails_when_the_report_bends_the_eligibility_rules_naming_the_rule() {
    let f = Fixture::new(Flavor::Token2022).await;
    let dir = tempfile::tempdir().unwrap();
    let now = f.now().await;
    let long_bill = maturity(now, 300);
    let sources = vec![
        source(
            dir.path(),
            "cash",
            "600",
            now,
            Some(holding(AssetClass::Cash, None)),
        ),
        source(
            dir.path(),
            "bills",
            "400",
            now,
            Some(holding(AssetClass::TreasuryBill, Some(&long_bill))),
        ),
    ];
    let journal = dir.path().join("journal.jsonl");
    let cosigner = Cosigner::new(
        &config(&f, 0, journal.clone(), sources, Some(policy())),
        f.ledger.clone(),
    )
    .await
    .unwrap();
    let reading = |name: &str, amount: u64, holding: Holding| Reading {
        name: name.into(),
        kind: "file".into(),
        location: name.into(),
        amount,
        as_of: now,
        holding: Some(holding),
    };
    let mint = f.mint().to_string();
    let report = |readings: &[Reading], policy: Option<&EligibilityPolicy>| {
        Report::build(&mint, 1, now, DECIMALS, readings, policy).unwrap()
    };
    let honest = [
        reading("cash", 600 * ONE, holding(AssetClass::Cash, None)),
        reading(
            "bills",
            400 * ONE,
            holding(AssetClass::TreasuryBill, Some(&long_bill)),
        ),
    ];
    let relabelled = [
        reading("cash", 600 * ONE, holding(AssetClass::Cash, None)),
        reading("bills", 400 * ONE, holding(AssetClass::Cash, None)),
    ];

    // No policy at all: the whole 1,000 would count.
    let unruled = report(&honest, None);
    assert_eq!(unruled.reserve_amount(), 1_000 * ONE);
    match cosigner
        .consider(&SignRequest::new(&f.mint(), &unruled))
        .await
    {
        Err(Refusal::PolicyMismatch(rule)) => assert_eq!(
            rule,
            "eligibility: the report has none, this co-signer has a policy"
        ),
        other => panic!("expected PolicyMismatch, got {other:?}"),
    }
    // A looser rule.
    let loose = EligibilityPolicy {
        max_tbill_days: Some(400),
        ..policy()
    };
    match cosigner
        .consider(&SignRequest::new(&f.mint(), &report(&honest, Some(&loose))))
        .await
    {
        Err(Refusal::PolicyMismatch(rule)) => {
            assert_eq!(
                rule,
                "max_tbill_days: the report says 400, this co-signer's policy 93"
            )
        }
        other => panic!("expected PolicyMismatch, got {other:?}"),
    }
    // The right policy, but the T-bill relabelled as cash: consistent on
    // its face (1,000 eligible), yet this operator's own holdings say 600.
    let forged = report(&relabelled, Some(&policy()));
    assert!(forged.is_consistent());
    assert_eq!(forged.reserve_amount(), 1_000 * ONE);
    match cosigner
        .consider(&SignRequest::new(&f.mint(), &forged))
        .await
    {
        Err(Refusal::EligibleNotSeen { proposed, eligible }) => {
            assert_eq!((proposed, eligible), (1_000 * ONE, 600 * ONE))
        }
        other => panic!("expected EligibleNotSeen, got {other:?}"),
    }
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap(),
        "",
        "nothing signed"
    );
    // The honest report, 600 eligible: signed.
    let fair = report(&honest, Some(&policy()));
    assert_eq!(fair.reserve_amount(), 600 * ONE);
    let signed = cosigner
        .consider(&SignRequest::new(&f.mint(), &fair))
        .await
        .unwrap();
    assert!(!signed.repeated);
}

/// Issue 22, item 4: two co-signers cannot share one journal.
#[tokio::test]
async fn fails_when_a_second_co_signer_is_started_on_the_same_journal() {
    let f = Fixture::new(Flavor::Token2022).await;
    let dir = tempfile::tempdir().unwrap();
    let now = f.now().await;
    let journal = dir.path().join("journal.jsonl");
    let sources = || vec![source(dir.path(), "bank", "1000", now, None)];
    let _first = Cosigner::new(
        &config(&f, 0, journal.clone(), sources(), None),
        f.ledger.clone(),
    )
    .await
    .unwrap();
    let second = Cosigner::new(
        &config(&f, 1, journal.clone(), sources(), None),
        f.ledger.clone(),
    )
    .await;
    let error = format!("{:#}", second.err().expect("refused"));
    assert!(error.contains("is in use by another co-signer"), "{error}");
}

/// Issue 22, items 5 and 6: a signature stays "alive" while any delay the
/// admin may still set could land it — not only the delay in force — and
/// the equivocation alarm survives a restart until an operator clears it.
#[tokio::test]
async fn a_signed_seq_is_never_signed_again_while_a_raised_delay_could_land_it() {
    let f = Fixture::new(Flavor::Token2022).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let start = |f: &Fixture, now: i64| {
        let config = config(
            f,
            0,
            journal.clone(),
            vec![source(dir.path(), "bank", "1000", now, None)],
            None,
        );
        let ledger = f.ledger.clone();
        async move { Cosigner::new(&config, ledger).await.unwrap() }
    };
    let now = f.now().await;
    let cosigner = start(&f, now).await;
    let build = |reserve: u64, as_of: i64| {
        let reading = Reading {
            name: "bank".into(),
            kind: "file".into(),
            location: "bank".into(),
            amount: reserve,
            as_of,
            holding: None,
        };
        Report::build(&f.mint().to_string(), 1, as_of, DECIMALS, &[reading], None).unwrap()
    };
    let first = build(1_000 * ONE, now);
    let signed = cosigner
        .consider(&SignRequest::new(&f.mint(), &first))
        .await
        .unwrap();
    drop(cosigner);

    // 20 minutes on: past the 15-minute delay in force, well within a day.
    f.advance_clock(20 * 60).await;
    let now = f.now().await;
    let second = build(900 * ONE, now);
    let cosigner = start(&f, now).await;
    match cosigner
        .consider(&SignRequest::new(&f.mint(), &second))
        .await
    {
        Err(Refusal::Equivocation { seq: 1, .. }) => {}
        other => panic!("expected Equivocation, got {other:?}"),
    }
    assert!(cosigner.alarm_raised());
    // Why: the admin raises the delay to a day, and the first signature
    // (with another attestor's) lands after all.
    f.usd1
        .set_policy(
            &f.admin,
            PolicyArgs {
                max_submission_delay: Some(MAX_SUBMISSION_DELAY_LIMIT),
                max_attestation_age: None,
                margin_bps: None,
            },
        )
        .await
        .unwrap();
    let args = first.attest_args();
    let other = attestation::sign(&f.attestors[1], &digest_of(&f.mint(), &args));
    let mine: solana_sdk::signature::Signature = signed.signature.parse().unwrap();
    let theirs = attestation::AttestorSignature {
        attestor: f.attestors[0].pubkey(),
        signature: mine,
    };
    f.usd1
        .attest_with_signatures(args, &[theirs, other])
        .await
        .unwrap();
    assert_eq!(
        f.usd1.config().await.unwrap().latest.report_sha256,
        args.report_sha256
    );

    // The alarm outlives the process: a restart still reports it, in
    // /metrics too, until an operator clears it, by name.
    drop(cosigner);
    let cosigner = start(&f, now).await;
    assert!(cosigner.alarm_raised());
    // Cleared with the command an operator runs, which records who and when.
    let config_file = dir.path().join("cosigner.toml");
    std::fs::write(
        &config_file,
        format!(
            "rpc_urls = [\"http://127.0.0.1:1\"]\nmint = \"{}\"\nattestor_keypair = \"attestor.json\"\n\
             journal = \"journal.jsonl\"\ntoken_env = \"TOKEN\"\n[[sources]]\nkind = \"file\"\nname = \"bank\"\n\
             path = \"bank.json\"\namount = \"/balance\"\nmax_age_secs = 600\n",
            f.mint()
        ),
    )
    .unwrap();
    let clear = |operator: &str| {
        std::process::Command::new(tour::binary("usd1-oracle").unwrap())
            .args([
                "cosign",
                "--clear-alarm",
                "--operator",
                operator,
                "--config",
            ])
            .arg(&config_file)
            .output()
            .unwrap()
    };
    let cleared = clear("alice (on call)");
    let said = String::from_utf8_lossy(&cleared.stdout);
    assert!(
        cleared.status.success(),
        "{}",
        String::from_utf8_lossy(&cleared.stderr)
    );
    assert!(
        said.contains("for seq 1) cleared by alice (on call) at "),
        "{said}"
    );
    assert!(
        !cosigner.alarm_raised(),
        "the running co-signer sees the clear"
    );
    let alarm = Alarm::open(&journal).unwrap();
    match alarm.events().unwrap().as_slice() {
        [AlarmEvent::Raised { seq: 1, .. }, AlarmEvent::Cleared { by, at }] => {
            assert_eq!(by, "alice (on call)");
            assert!(*at > 0);
        }
        other => panic!("expected a raise and its clear, got {other:?}"),
    }
    let again = clear("bob");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("no equivocation alarm is raised"));
}

/// The co-signer over HTTP on a free port, until `stop`.
async fn serve(cosigner: Arc<Cosigner>, stop: CancellationToken) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(usd1_oracle::cosigner::serve(listener, cosigner, stop));
    url
}

/// Issue 22, item 7: a send that gave up, whose blockhash then expired, is
/// sent again with the same signatures — the co-signer is not asked for a
/// second digest (which it would refuse as equivocation, alarmed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_that_gave_up_is_resent_with_the_same_signatures() {
    let mut f = Fixture::new(Flavor::Token2022).await;
    let dir = tempfile::tempdir().unwrap();
    let now = f.now().await;
    let bank = source(dir.path(), "bank", "1000", now, None);
    let journal = dir.path().join("journal.jsonl");
    let cosigner = Cosigner::new(
        &config(&f, 1, journal.clone(), vec![bank.clone()], None),
        f.ledger.clone(),
    )
    .await
    .unwrap();
    let stop = CancellationToken::new();
    let url = serve(cosigner.clone(), stop.clone()).await;
    let store = dir.path().join("reports");
    let (payer, mint) = (f.admin.clone(), f.mint());
    let held = Arc::new(f.attestors[0].insecure_clone());
    let remote = CosignerRef {
        url: url.clone(),
        attestor: f.attestors[1].pubkey(),
        token: "t".into(),
    };
    let proposer = |ledger: Arc<dyn Ledger>| {
        Oracle::new(
            ledger,
            Setup {
                payer: payer.clone(),
                mint,
                attestors: vec![held.clone()],
                sources: vec![bank.build().unwrap()],
                store: ReportStore::open(&store).unwrap(),
                round: RoundSettings {
                    max_attempts: 2,
                    retry_backoff_ms: 10,
                    pending_wait_secs: 0,
                    ..RoundSettings::default()
                },
                alarms: Alarms::default(),
            },
        )
        .with_cosigners(vec![remote.clone()])
    };
    let round = |oracle: Oracle| async move {
        oracle
            .run_round(RoundOptions::default(), &CancellationToken::new())
            .await
    };
    // Every send fails before it leaves: the round gives up.
    let faulty: Arc<dyn Ledger> =
        Arc::new(FaultyLedger::failing_sends(f.ledger.clone(), 10, false));
    assert!(matches!(
        round(proposer(faulty)).await,
        Err(RoundError::Submit(_))
    ));
    let signed_report = std::fs::read(store.join("report-0000000001.json")).unwrap();
    // Its blockhash expires (the in-process bank makes one every few ms).
    let slot = f.backend.banks_client.get_root_slot().await.unwrap();
    for next in 1..=310 {
        f.backend.warp_to_slot(slot + next).unwrap();
    }
    // The custodian's figure moved meanwhile: a rebuilt report would differ.
    source(dir.path(), "bank", "1001", f.now().await, None);
    match round(proposer(f.ledger.clone())).await {
        Ok(Outcome::Attested { report, .. }) => assert_eq!(report.seq, 1),
        other => panic!("expected the attestation resent, got {other:?}"),
    }
    let config = f.usd1.config().await.unwrap();
    assert_eq!(
        config.latest.report_sha256,
        usd1_client::sha256(&signed_report)
    );
    assert_eq!(config.latest.reserve_amount, 1_000 * ONE);
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap().lines().count(),
        1,
        "signed once"
    );
    assert!(!cosigner.alarm_raised());
    assert!(!store.join("report-0000000001.unsent.json").exists());
    stop.cancel();
}

/// An HTTP server on a free port that answers every request with `answer`.
fn answering(answer: String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut stream in listener.incoming().flatten().take(4) {
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    url
}

/// Issue 22, item 8: the proposer reads at most 64 KiB of an answer, and a
/// refusal name it does not know becomes the metrics label `other`.
#[tokio::test]
async fn the_proposer_caps_an_answer_and_labels_unknown_refusals_other() {
    let f = Fixture::new(Flavor::Token2022).await;
    let huge = "x".repeat(1024 * 1024);
    let huge = answering(format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{huge}",
        huge.len()
    ));
    let evil = r#"{"error":"Pwned\"} 1\nusd1_fake_metric{x=\"","message":"Pwned: trust me"}"#;
    let evil = answering(format!(
        "HTTP/1.1 422 Unprocessable Entity\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{evil}",
        evil.len()
    ));
    let report =
        Report::build(&f.mint().to_string(), 1, f.now().await, DECIMALS, &[], None).unwrap();
    let request = SignRequest::new(&f.mint(), &report);
    let client = reqwest::Client::new();
    let timeout = std::time::Duration::from_secs(5);
    let too_large = usd1_oracle::cosigner::ask(&client, &huge, "t", &request, timeout)
        .await
        .unwrap_err();
    assert_eq!(too_large.label, "TooLarge", "{too_large}");
    let unknown = usd1_oracle::cosigner::ask(&client, &evil, "t", &request, timeout)
        .await
        .unwrap_err();
    assert_eq!(unknown.label, "other");
    assert_eq!(unknown.reason, "Pwned: trust me");
}

/// Issue 22, item 10: the co-signer answers a flood before reading its body,
/// and a proposer's config refuses plain http to another machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_when_a_flood_would_be_read_or_a_token_would_cross_in_clear() {
    let f = Fixture::new(Flavor::Token2022).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(
        &f,
        0,
        dir.path().join("journal.jsonl"),
        vec![source(dir.path(), "bank", "1000", f.now().await, None)],
        None,
    );
    config.max_requests_per_minute = 1;
    let cosigner = Cosigner::new(&config, f.ledger.clone()).await.unwrap();
    let stop = CancellationToken::new();
    let url = serve(cosigner, stop.clone()).await;
    let addr = url.trim_start_matches("http://").to_string();
    // Headers that announce a megabyte the client never sends.
    let announce = |addr: String| {
        tokio::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(&addr).unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            write!(stream, "POST /sign HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer t\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n").unwrap();
            let mut answer = vec![0u8; 4096];
            let n = stream.read(&mut answer).unwrap_or(0);
            String::from_utf8_lossy(&answer[..n]).into_owned()
        })
    };
    // The first request uses the minute's budget (it waits for its body,
    // as it should); the second is answered at once, its body unread.
    let first = announce(addr.clone());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let second = announce(addr.clone()).await.unwrap();
    assert!(second.starts_with("HTTP/1.1 429"), "{second}");
    assert!(second.contains("RateLimited"), "{second}");
    stop.cancel();
    drop(first);

    let proposer = |url: &str, extra: &str| {
        format!(
            "rpc_urls = [\"http://127.0.0.1:8899\"]\nmint = \"{}\"\npayer_keypair = \"payer.json\"\noutput_dir = \"reports\"\n\
             [[sources]]\nkind = \"file\"\nname = \"bank\"\npath = \"bank.json\"\namount = \"/balance\"\nmax_age_secs = 600\n\
             [[cosigners]]\nurl = \"{url}\"\nattestor = \"{}\"\ntoken_env = \"TOKEN\"\n{extra}",
            f.mint(),
            f.attestors[1].pubkey()
        )
    };
    tour::write_keypair(&dir.path().join("payer.json"), &Keypair::new()).unwrap();
    let parse = |text: String| {
        usd1_oracle::Config::parse(&text, dir.path(), |name| {
            (name == "TOKEN").then(|| "secret".to_string())
        })
    };
    let error = format!(
        "{:#}",
        parse(proposer("http://10.1.2.3:9470", ""))
            .err()
            .expect("refused")
    );
    assert!(
        error.contains("plain http to another machine") && error.contains("allow_insecure"),
        "{error}"
    );
    parse(proposer("http://10.1.2.3:9470", "allow_insecure = true\n")).unwrap();
    parse(proposer("http://127.0.0.1:9470", "")).unwrap();
    parse(proposer("https://cosigner.example.com", "")).unwrap();
}
