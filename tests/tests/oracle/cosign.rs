//! Independent attestors (issue 13), as separate processes over the
//! localnet: three co-signers (`usd1-oracle cosign`), each with its own key,
//! its own custodian file, its own port and journal, and a proposer
//! (`usd1-oracle --once`) that holds no attestor key; threshold 2 of 3.
use usd1_oracle::cosigner::SignRequest;
use usd1_tests::cosign_harness::{latest, propose, proposer, write_custody, Operator};
use usd1_tests::tour;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_operators_attest_two_of_three_and_none_signs_twice() {
    let dir = tempfile::tempdir().unwrap();
    let stage = tour::Stage::open(dir.path(), &|_| {}).await.unwrap();
    let cast = &stage.cast;
    let mut operators: Vec<Operator> = cast
        .attestors
        .iter()
        .enumerate()
        .map(|(n, attestor)| Operator::new(dir.path(), n, &stage.url, &stage.mint, attestor))
        .collect();
    let config = proposer(dir.path(), &stage, &operators);
    let issuer = dir.path().join("custody-proposer.json");
    let seq = |stage: &tour::Stage| latest(stage)["attestation"]["seq"].as_u64().unwrap_or(0);
    let reserve = |stage: &tour::Stage| {
        latest(stage)["attestation"]["reserve"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };

    // 1. Everyone up: two of three sign, the proposer holding no key submits.
    write_custody(&issuer, "1000");
    let (code, log) = propose(&config, &operators);
    assert_eq!(code, 0, "{log}");
    assert_eq!(seq(&stage), 1);
    assert_eq!(reserve(&stage), "1000");

    // 2. Operator 0 down: 1 and 2 still make two.
    operators[0].kill();
    for operator in &operators {
        write_custody(&operator.custody, "1100");
    }
    write_custody(&issuer, "1100");
    let (code, log) = propose(&config, &operators);
    assert_eq!(code, 0, "{log}");
    assert_eq!((seq(&stage), reserve(&stage)), (2, "1100".to_string()));

    // 3. Operator 1's custodian shows less than the proposal: it refuses;
    //    with operator 0 still down, only one signs and nothing is sent.
    write_custody(&operators[1].custody, "1150");
    for n in [0, 2] {
        write_custody(&operators[n].custody, "1200");
    }
    write_custody(&issuer, "1200");
    let (code, log) = propose(&config, &operators);
    assert_eq!(code, 3, "{log}");
    assert!(
        log.contains("only 1 of the 2 signatures needed; nothing sent"),
        "{log}"
    );
    assert!(log.contains("ReserveNotSeen"), "{log}");
    assert!(log.contains("Unreachable"), "{log}");
    assert_eq!(seq(&stage), 2, "nothing sent");
    assert!(
        operators[1]
            .metrics()
            .contains("outcome=\"ReserveNotSeen\"} 1"),
        "{}",
        operators[1].metrics()
    );
    //    Operator 0 back: 0 and 2 agree, 1 still refuses, and the round goes through
    //    with the very proposal operator 2 already signed (asked again, same signature).
    operators[0].start();
    let (code, log) = propose(&config, &operators);
    assert_eq!(code, 0, "{log}");
    assert_eq!((seq(&stage), reserve(&stage)), (3, "1200".to_string()));
    assert!(operators[2].metrics().contains("outcome=\"repeated\"} 1"));

    // 4. Asked to sign a different digest for seq 3, which it signed: refused,
    //    alarmed — and still refused after a kill -9 and a restart.
    let report = "{\"forged\":true}\n".to_string();
    let forged = SignRequest {
        mint: stage.mint.clone(),
        seq: 3,
        reserve_amount: 9_999_000_000,
        as_of: tour::unix_now(),
        report_sha256: usd1_client::hex(&usd1_client::sha256(report.as_bytes())),
        report,
    };
    let (status, body) = operators[2].sign(&operators[2].token, &forged);
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "Equivocation");
    let alarmed = |metrics: String| {
        metrics
            .lines()
            .any(|l| l.starts_with("usd1_cosigner_equivocation_alarm{") && l.ends_with(" 1"))
    };
    assert!(alarmed(operators[2].metrics()));
    operators[2].kill();
    operators[2].start();
    let (status, body) = operators[2].sign(&operators[2].token, &forged);
    assert_eq!(status, 409, "the journal survived the kill -9: {body}");
    assert!(alarmed(operators[2].metrics()));

    // 5. The wrong bearer token: 401, nothing signed.
    let proposal = SignRequest {
        seq: 4,
        ..forged.clone()
    };
    let (status, body) = operators[0].sign("not-the-token", &proposal);
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("Unauthorized"))
    );
    let journal = std::fs::read_to_string(dir.path().join("journal-0.jsonl")).unwrap();
    assert!(!journal.contains("\"seq\":4"), "{journal}");

    // 6. A signature set collected and held back past the submission delay is
    //    refused by the program, and nothing changes.
    stage
        .usd1(
            &cast.admin,
            &[
                "policy",
                "set",
                "--max-submission-delay",
                "2",
                "--mint",
                &stage.mint,
            ],
        )
        .unwrap();
    for operator in &operators {
        write_custody(&operator.custody, "1300");
    }
    let chain_now = latest(&stage)["attestation"]["as_of"].as_i64().unwrap() + 1;
    let report_file = dir.path().join("held-back.json");
    std::fs::write(&report_file, b"{\"held\":\"back\"}").unwrap();
    let as_of = tour::rfc3339(chain_now);
    let mut pairs = Vec::new();
    for attestor in &cast.attestors[..2] {
        let out = stage
            .usd1(
                attestor,
                &[
                    "attest",
                    "sign",
                    "--mint",
                    &stage.mint,
                    "--seq",
                    "4",
                    "--reserve",
                    "1300",
                    "--as-of",
                    &as_of,
                    "--report",
                    &report_file.display().to_string(),
                    "--signer",
                    &attestor.display().to_string(),
                    "--decimals",
                    "6",
                ],
            )
            .unwrap();
        pairs.push(out.lines().last().unwrap().to_string());
    }
    // Wait until the chain's clock is past the delay (calls move the
    // localnet's clock on to the wall clock).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let attestation = latest(&stage)["attestation"].clone();
        let chain_clock =
            attestation["as_of"].as_i64().unwrap() + attestation["age_secs"].as_i64().unwrap();
        if chain_clock > chain_now + 3 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the localnet's clock moves on"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let mut submit = vec![
        "attest",
        "submit",
        "--mint",
        &stage.mint,
        "--seq",
        "4",
        "--reserve",
        "1300",
        "--as-of",
        &as_of,
    ];
    let report_path = report_file.display().to_string();
    submit.extend(["--report", &report_path]);
    for pair in &pairs {
        submit.extend(["--signature", pair.as_str()]);
    }
    let refused = tour::usd1(&stage.url, &cast.admin, &submit).unwrap();
    assert!(!refused.success);
    assert!(
        refused.stderr.contains("AttestationExpired"),
        "{}",
        refused.stderr
    );
    assert_eq!(seq(&stage), 3, "state unchanged");
    drop(operators);
    assert!(stage.localnet.stop().unwrap().success());
}

/// The proposer's side in one process: a co-signer that returns a bad
/// signature and one that never answers are each named — in the round's
/// error and in `usd1_oracle_cosigner_answers_total` — and nothing is sent
/// while fewer than the threshold sign; with a second honest co-signer the
/// round goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_when_a_cosigner_is_bad_or_slow_naming_both_and_sending_nothing() {
    use solana_sdk::signature::{Keypair, Signer};
    use std::sync::Arc;
    use tokio_util::sync::CancellationToken;
    use usd1_oracle::config::{Alarms, CosignerRef, RoundSettings, SourceConfig};
    use usd1_oracle::cosigner::{Cosigner, CosignerConfig};
    use usd1_oracle::daemon::Setup;
    use usd1_oracle::report::ReportStore;
    use usd1_oracle::sources::file::FileSourceConfig;
    use usd1_oracle::{Oracle, Outcome, RoundError, RoundOptions};

    let localnet = usd1_tests::localnet::localnet().await;
    let p =
        usd1_tests::Fixture::on_localnet(&localnet, 1_000 * usd1_tests::ONE, usd1_tests::ONE).await;
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("custody.json");
    write_custody(&export, "1000");
    let source = || {
        SourceConfig::File(FileSourceConfig {
            name: "custodian".into(),
            path: export.clone(),
            format: None,
            amount: Some("/balance".into()),
            as_of: None,
            max_age_secs: 600,
            holding: None,
        })
    };
    let stop = CancellationToken::new();
    // An honest co-signer for attestor `n`.
    let honest = |n: usize| {
        let (p, dir, stop, source) = (&p, dir.path(), stop.clone(), source());
        async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let config = CosignerConfig {
                rpc_urls: vec![localnet_url(p)],
                commitment: solana_commitment_config::CommitmentConfig::confirmed(),
                mint: p.usd1.mint(),
                attestor: Arc::new(p.attestors[n].insecure_clone()),
                journal: dir.join(format!("journal-{n}.jsonl")),
                listen_addr: addr,
                token: "t".into(),
                tolerance_bps: 0,
                max_requests_per_minute: 100,
                eligibility: None,
                sources: vec![source],
            };
            let cosigner = Cosigner::new(&config, p.usd1.ledger().clone())
                .await
                .unwrap();
            tokio::spawn(usd1_oracle::cosigner::serve(listener, cosigner, stop));
            format!("http://{addr}")
        }
    };
    // Answers every request with a well-formed signature by nobody.
    let bad = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bad_url = format!("http://{}", bad.local_addr().unwrap());
    let impostor = p.attestors[1].pubkey().to_string();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut stream in bad.incoming().flatten().take(4) {
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request);
            let body = format!(
                r#"{{"attestor":"{impostor}","signature":"{}","repeated":false}}"#,
                Keypair::new().sign_message(b"something else")
            );
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    // Takes the connection and says nothing.
    let slow = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let slow_url = format!("http://{}", slow.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = slow.incoming().flatten().take(1).collect();
        std::thread::sleep(std::time::Duration::from_secs(3));
        drop(held);
    });

    let cosigner = |n: usize, url: String| CosignerRef {
        url,
        attestor: p.attestors[n].pubkey(),
        token: "t".into(),
    };
    let proposer = |cosigners: Vec<CosignerRef>, reports: &str| {
        Oracle::new(
            p.usd1.ledger().clone(),
            Setup {
                payer: p.admin.clone(),
                mint: p.usd1.mint(),
                attestors: Vec::new(),
                sources: vec![source().build().unwrap()],
                store: ReportStore::open(&dir.path().join(reports)).unwrap(),
                round: RoundSettings {
                    cosign_timeout_ms: 500,
                    ..RoundSettings::default()
                },
                alarms: Alarms::default(),
            },
        )
        .with_cosigners(cosigners)
    };
    let first = honest(0).await;
    let oracle = proposer(
        vec![
            cosigner(0, first.clone()),
            cosigner(1, bad_url),
            cosigner(2, slow_url),
        ],
        "reports-a",
    );
    let before = p.usd1.config().await.unwrap().latest;
    write_custody(&export, "1001");
    match oracle
        .run_round(RoundOptions::default(), &CancellationToken::new())
        .await
    {
        Err(RoundError::NotEnoughSignatures { got, refusals, .. }) => {
            assert_eq!(got, 1);
            assert!(refusals.contains("BadSignature"), "{refusals}");
            assert!(
                refusals.contains("Timeout: no answer within 500ms"),
                "{refusals}"
            );
        }
        other => panic!("expected NotEnoughSignatures, got {other:?}"),
    }
    assert_eq!(
        p.usd1.config().await.unwrap().latest,
        before,
        "nothing sent"
    );
    let key = |n: usize| p.attestors[n].pubkey().to_string();
    assert_eq!(oracle.metrics.cosigner_answers(&key(0), "signed"), 1);
    assert_eq!(oracle.metrics.cosigner_answers(&key(1), "BadSignature"), 1);
    assert_eq!(oracle.metrics.cosigner_answers(&key(2), "Timeout"), 1);
    assert!(oracle
        .metrics
        .render()
        .contains("usd1_oracle_cosigner_answers_total{attestor=\""));

    // A second honest co-signer: two valid signatures, the attestation lands.
    let third = honest(2).await;
    let oracle = proposer(vec![cosigner(0, first), cosigner(2, third)], "reports-a");
    match oracle
        .run_round(RoundOptions::default(), &CancellationToken::new())
        .await
    {
        Ok(Outcome::Attested { report, .. }) => assert_eq!(report.seq, before.seq + 1),
        other => panic!("expected an attestation, got {other:?}"),
    }
    stop.cancel();
    localnet.stop().await.unwrap();
}

fn localnet_url(p: &usd1_tests::Platform) -> String {
    p.usd1.ledger().url()
}
