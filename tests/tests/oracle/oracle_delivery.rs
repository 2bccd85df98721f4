//! The reserve oracle delivering its attestation: transient RPC failures, a
//! restart between submit and confirm, metrics and health, dry runs, too few
//! keys, the run loop and RPC failover.
use std::sync::Arc;
use std::time::Duration;

use solana_sdk::signature::{Keypair, Signer};
use tokio_util::sync::CancellationToken;
use usd1_client::{attestation, ClientError, Ledger};
use usd1_oracle::config::{Alarms, RoundSettings, SourceConfig};
use usd1_oracle::daemon::Setup;
use usd1_oracle::report::ReportStore;
use usd1_oracle::sources::file::FileSourceConfig;
use usd1_oracle::{metrics, Oracle, Outcome, RoundError, RoundOptions};
use usd1_tests::ledgers::FaultyLedger;
use usd1_tests::*;

use usd1_tests::oracle_harness::*;

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

    // Once its blockhash has expired that transaction can never land — but
    // the attestation it carried is still within the submission delay: the
    // same signatures go again with a fresh blockhash (issue 22, item 7), so
    // no second digest is ever signed for seq 2. Each warp to a new slot
    // makes a blockhash; the in-process ledger calls a blockhash valid while
    // the bank still prices it (300 newer ones, twice a validator's 150: it
    // errs on the side of waiting).
    let slot = h.f.backend.banks_client.get_root_slot().await.unwrap();
    for next in 1..=310 {
        h.f.backend.warp_to_slot(slot + next).unwrap();
    }
    let signed = std::fs::read(restarted.store().report_path(2)).unwrap();
    h.write_reserve(RESERVE + 2 * ONE).await;
    assert_eq!(attested(round(&restarted).await).0, 2);
    let config = h.f.usd1.config().await.unwrap();
    assert_eq!(
        (config.latest.seq, config.latest.reserve_amount),
        (2, RESERVE + ONE),
        "the attestation signed before the crash, not a new one"
    );
    assert_eq!(usd1_client::sha256(&signed), config.latest.report_sha256);
    assert_eq!(
        report_files(&h.reports()),
        ["report-0000000001.json", "report-0000000002.json"]
    );
    assert!(!h.reports().join("pending.json").exists());

    // Seq 3 never leaves either, and this time its signatures expire before
    // the restart (the chain's clock passes the submission delay): only then
    // is the seq signed anew, and the unsent report is set aside.
    h.write_reserve(RESERVE + 3 * ONE).await;
    let crashed = h.oracle_with(
        vec![h.file_source()],
        Arc::new(FaultyLedger::failing_sends(h.ledger(), 1, false)),
        RoundSettings {
            max_attempts: 1,
            ..quick_rounds()
        },
        Alarms::default(),
    );
    assert!(matches!(round(&crashed).await, Err(RoundError::Submit(_))));
    let slot = h.f.backend.banks_client.get_root_slot().await.unwrap();
    for next in 1..=310 {
        h.f.backend.warp_to_slot(slot + next).unwrap();
    }
    h.f.advance_clock(config.max_submission_delay + 60).await;
    h.write_reserve(RESERVE + 3 * ONE).await;
    assert_eq!(attested(round(&restarted).await).0, 3);
    let config = h.f.usd1.config().await.unwrap();
    let stored = std::fs::read(restarted.store().report_path(3)).unwrap();
    assert_eq!(usd1_client::sha256(&stored), config.latest.report_sha256);
    assert_eq!(
        report_files(&h.reports()),
        [
            "report-0000000001.json",
            "report-0000000002.json",
            "report-0000000003.json",
            "report-0000000003.unsent.json"
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
