//! Attestor keys that never touch a disk, in rounds (issue 36): the
//! oracle holding one key in a SoftHSM2 token and one in an OpenBao vault;
//! three co-signer processes signing from a file, a token and a vault. A
//! vault killed -9 is a named failure, counted in `/metrics`, reported in
//! `/health`, nothing sent and nothing journalled; after its restart the
//! round goes through and no digest is signed twice.
use std::path::Path;
use std::time::Instant;

use usd1_client::keystore;
use usd1_client::signing::SharedSigner;
use usd1_oracle::RoundError;
use usd1_tests::cosign_harness::{http, latest, propose, proposer_for, write_custody, Operator};
use usd1_tests::keystores::{OpenBao, Token};
use usd1_tests::oracle_harness::{attested, round, Harness};
use usd1_tests::tour;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oracle_holding_hsm_and_vault_keys_survives_a_vault_outage() {
    let h = Harness::new().await;
    let token = Token::new("oracle");
    let hsm = token.uri("attestor-a");
    let mut bao = OpenBao::start_persistent().await;
    let vault = bao.uri("attestor-b");
    let (a, b) = (
        keystore::create(&hsm).unwrap(),
        keystore::create(&vault).unwrap(),
    );
    h.f.usd1
        .set_attestors(&*h.f.admin, vec![a, b], 2, false)
        .await
        .unwrap();
    let held: Vec<SharedSigner> = vec![
        keystore::open(&hsm).unwrap(),
        keystore::open(&vault).unwrap(),
    ];
    let oracle = h.oracle_holding(held);
    h.write_reserve(1_000 * usd1_tests::ONE).await;
    let (first, _) = attested(round(&oracle).await);
    assert!(
        oracle.metrics.health().problems.is_empty(),
        "{:?}",
        oracle.metrics.health()
    );

    // The vault killed -9: the round stops by name, nothing is sent.
    bao.kill();
    h.write_reserve(1_100 * usd1_tests::ONE).await;
    let failed = round(&oracle).await;
    match &failed {
        Err(RoundError::Signer(why)) => assert!(
            why.contains(&format!("attestor {b}: {vault}: the signer is unavailable")),
            "{why}"
        ),
        other => panic!("expected a signer failure, got {other:?}"),
    }
    assert_eq!(failed.unwrap_err().label(), "signer_error");
    assert_eq!(h.f.usd1.config().await.unwrap().latest.seq, first);
    assert_eq!(oracle.metrics.signer_errors(&b.to_string()), 1);
    let health = oracle.metrics.health();
    assert!(!health.healthy);
    assert!(
        health
            .problems
            .iter()
            .any(|p| p.starts_with(&format!("attestor key {b} did not sign: {vault}"))),
        "{health:?}"
    );
    assert!(
        oracle.metrics.render().contains(&format!(
            "usd1_oracle_signer_errors_total{{attestor=\"{b}\"}} 1"
        )),
        "{}",
        oracle.metrics.render()
    );

    // Back: the next round attests the next seq and the health clears.
    bao.restart().await;
    let (next, _) = attested(round(&oracle).await);
    assert_eq!(next, first + 1);
    assert!(
        oracle.metrics.health().problems.is_empty(),
        "{:?}",
        oracle.metrics.health()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn co_signers_sign_from_a_file_a_token_and_a_vault_and_ride_out_its_outage() {
    let dir = tempfile::tempdir().unwrap();
    let stage = tour::Stage::open(dir.path(), &|_| {}).await.unwrap();
    let token = Token::new("cosign");
    let hsm = token.uri("attestor-1");
    let mut bao = OpenBao::start_persistent().await;
    let vault = bao.uri("attestor-2");
    let admin = &stage.cast.admin;
    let made = |source: &str| {
        let out = stage.usd1(admin, &["key", "new", source]).unwrap();
        out.trim().to_string()
    };
    let file_key = stage.cast.pubkey(&stage.cast.attestors[0]);
    let (hsm_key, vault_key) = (made(&hsm), made(&vault));
    stage
        .usd1(
            admin,
            &[
                "attestors",
                "set",
                "--threshold",
                "2",
                &file_key,
                &hsm_key,
                &vault_key,
                "--mint",
                &stage.mint,
            ],
        )
        .unwrap();
    let sources = [
        stage.cast.attestors[0].clone(),
        Path::new(&hsm).to_path_buf(),
        Path::new(&vault).to_path_buf(),
    ];
    let mut operators: Vec<Operator> = sources
        .iter()
        .enumerate()
        .map(|(n, key)| Operator::new(dir.path(), n, &stage.url, &stage.mint, key))
        .collect();
    let keys = [file_key.clone(), hsm_key.clone(), vault_key.clone()];
    let config = proposer_for(dir.path(), &stage, &operators, &keys, &stage.url);
    let issuer = dir.path().join("custody-proposer.json");
    let seq = |stage: &tour::Stage| latest(stage)["attestation"]["seq"].as_u64().unwrap_or(0);

    // The file's operator down: the token and the vault make two of three.
    operators[0].kill();
    write_custody(&issuer, "1000");
    let (code, log) = propose(&config, &operators);
    assert_eq!(code, 0, "{log}");
    let first = seq(&stage);

    // The vault killed -9: its co-signer refuses by name, nothing is sent.
    bao.kill();
    for operator in &operators {
        write_custody(&operator.custody, "1100");
    }
    write_custody(&issuer, "1100");
    let (code, log) = propose(&config, &operators);
    assert_eq!(code, 3, "{log}");
    assert!(log.contains("SignerFailed"), "{log}");
    assert_eq!(seq(&stage), first, "nothing sent");
    let metrics = operators[2].metrics();
    assert!(metrics.contains("outcome=\"SignerFailed\"} 1"), "{metrics}");
    let (status, health) = http("GET", &operators[2].url, "/health", None, "");
    assert_eq!(status, 503, "{health}");
    assert!(health.contains("the attestor key did not sign"), "{health}");

    // The vault back: the same proposal goes through; the token's co-signer
    // answers with the signature it gave before (never a second one).
    bao.restart().await;
    let (code, log) = propose(&config, &operators);
    assert_eq!(code, 0, "{log}");
    assert_eq!(seq(&stage), first + 1);
    assert!(
        operators[1].metrics().contains("outcome=\"repeated\"} 1"),
        "{}",
        operators[1].metrics()
    );
    let (status, health) = http("GET", &operators[2].url, "/health", None, "");
    assert_eq!(status, 200, "{health}");

    // The recovery drill: the token holding attestor 1 is lost. The file
    // and the vault still make two; the admin puts a replacement key from a
    // new token in its place, and the replacement signs the next round.
    let drill = Instant::now();
    operators[1].kill();
    token.destroy();
    operators[0].start();
    let bump = |operators: &[Operator], amount: &str| {
        for operator in operators {
            write_custody(&operator.custody, amount);
        }
        write_custody(&issuer, amount);
    };
    bump(&operators, "1200");
    let (code, log) = propose(&config, &operators);
    assert_eq!(code, 0, "{log}");
    assert_eq!(seq(&stage), first + 2);
    let without = drill.elapsed();
    let spare = Token::new("replacement");
    let replacement = spare.uri("attestor-1");
    let replacement_key = made(&replacement);
    stage
        .usd1(
            admin,
            &[
                "attestors",
                "set",
                "--threshold",
                "2",
                &file_key,
                &replacement_key,
                &vault_key,
                "--mint",
                &stage.mint,
            ],
        )
        .unwrap();
    operators[1] = Operator::new(
        dir.path(),
        3,
        &stage.url,
        &stage.mint,
        Path::new(&replacement),
    );
    let keys = [file_key.clone(), replacement_key.clone(), vault_key.clone()];
    let config = proposer_for(dir.path(), &stage, &operators, &keys, &stage.url);
    let added = drill.elapsed() - without;
    // With the file's operator down, the replacement and the vault make two.
    operators[0].kill();
    bump(&operators, "1300");
    let (code, log) = propose(&config, &operators);
    assert_eq!(code, 0, "{log}");
    assert_eq!(seq(&stage), first + 3);
    eprintln!(
        "recovery drill (token lost): a round without it {:.0} ms; replacement key made and the \
         attestor set moved {:.0} ms; the first round it signs {:.0} ms",
        without.as_secs_f64() * 1e3,
        added.as_secs_f64() * 1e3,
        (drill.elapsed() - without - added).as_secs_f64() * 1e3
    );
}
