//! Issue 23: `usd1 audit --checkpoint` and `usd1 transparency --checkpoint`
//! over JSON-RPC to the localnet — five incremental audits write the bytes
//! one full audit writes; a checkpoint edited, of another version, of
//! another mint, or ending at a transaction the node does not know is
//! refused by name, and `--from-scratch` starts over; the page built from a
//! checkpoint is the full build byte for byte; the transport waits out 429s
//! and 5xxs and keeps to `--rpc-rate`.
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::signature::{Signature, Signer};
use usd1_client::audit::incremental::{AuditState, FORMAT};
use usd1_client::checkpoint;
use usd1_client::rpc::{Limits, RpcLedger};
use usd1_client::Ledger;
use usd1_tests::cli_harness::usd1;
use usd1_tests::localnet::localnet;
use usd1_tests::*;

/// One "day" of a mint's life: attestations, mints, a minter's burn,
/// redemptions settled and rejected; on day 2 a policy change, on day 3 a
/// holder's own burn through the token program.
async fn day(f: &Fixture<OverRpc>, n: u64) {
    use anchor_spl::token_2022::spl_token_2022::instruction::burn_checked;
    let holder = f.holder.pubkey();
    for i in 0..3 {
        f.attest(1_000_000 * ONE + n * 10 + i).await.unwrap();
        f.usd1.mint_to(&f.minter, &holder, ONE + i).await.unwrap();
    }
    f.usd1
        .mint_to(&f.minter, &f.minter.pubkey(), 2 * ONE)
        .await
        .unwrap();
    f.usd1.burn(&f.minter, ONE).await.unwrap();
    let first = f.usd1.config().await.unwrap().next_redemption_id;
    for amount in [30, 40] {
        f.usd1
            .request_redemption(&f.holder, amount * ONE, [n as u8; 32])
            .await
            .unwrap();
    }
    f.usd1
        .settle_redemption(&f.treasurer, first, [1; 32])
        .await
        .unwrap();
    f.usd1
        .reject_redemption(&f.treasurer, first + 1, 9)
        .await
        .unwrap();
    if n == 2 {
        let margin = usd1::instructions::PolicyArgs {
            margin_bps: Some(100),
            ..Default::default()
        };
        f.usd1.set_policy(&f.admin, margin).await.unwrap();
    }
    if n == 3 {
        let own_burn = burn_checked(
            &f.flavor.program_id(),
            &f.usd1.token_account_of(&holder),
            &f.mint(),
            &holder,
            &[],
            ONE / 2,
            DECIMALS,
        )
        .unwrap();
        f.send(&[own_burn], &[&f.holder]).await.unwrap();
    }
}

/// `usd1 --output json audit --mint M ARGS…`, its JSON and whether it failed.
async fn audit(f: &Fixture<OverRpc>, args: &[&str]) -> anyhow::Result<Value> {
    let mint = f.mint().to_string();
    let mut all = vec!["audit", "--mint", &mint];
    all.extend_from_slice(args);
    let out = usd1(f, &f.admin, &all).await?;
    assert!(!out.failed, "the audit found violations: {}", out.text);
    Ok(out.json)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The report without what differs by run: what was read, and the files.
fn findings(report: &Value) -> Value {
    let mut report = report.clone();
    for field in ["read", "resumed_from", "checkpoint", "rpc_requests"] {
        report.as_object_mut().unwrap().remove(field);
    }
    report
}

async fn mint_with_history(localnet: &usd1_localnet::Localnet) -> Fixture<OverRpc> {
    let f = Fixture::on_localnet(localnet, 1_000_000 * ONE, 10_000 * ONE).await;
    usd1_tests::redemption::open_to_redemption(&f).await;
    f
}

#[tokio::test(flavor = "multi_thread")]
async fn five_incremental_audits_write_the_checkpoint_one_full_audit_writes() {
    let localnet = localnet().await;
    let f = mint_with_history(&localnet).await;
    let dir = tempfile::tempdir().unwrap();
    let steps = dir.path().join("steps.json");
    let mut reads = Vec::new();
    let mut last = Value::Null;
    for n in 0..5 {
        day(&f, n).await;
        last = audit(&f, &["--checkpoint", path(&steps)]).await.unwrap();
        reads.push(last["read"].as_u64().unwrap());
        let resumed = &last["resumed_from"];
        assert_eq!(resumed.is_null(), n == 0, "{last}");
    }
    let whole = dir.path().join("whole.json");
    let full = audit(&f, &["--checkpoint", path(&whole)]).await.unwrap();
    assert_eq!(
        std::fs::read(&steps).unwrap(),
        std::fs::read(&whole).unwrap(),
        "five steps and one go wrote different checkpoints"
    );
    assert_eq!(findings(&last), findings(&full));
    assert_eq!(last["checkpoint"]["sha256"], full["checkpoint"]["sha256"]);
    // Each step read its own day (and the newest slot once more), not all history.
    let total = full["read"].as_u64().unwrap();
    assert!(reads[4] * 3 < total, "reads {reads:?} of {total}");
    // Without a checkpoint: the same findings, nothing written.
    let plain = audit(&f, &[]).await.unwrap();
    assert_eq!(findings(&plain), findings(&full));
    assert!(plain["checkpoint"].is_null());
    // With nothing new, a resumed audit reads only the newest slot again.
    let again = audit(&f, &["--checkpoint", path(&steps)]).await.unwrap();
    assert_eq!(findings(&again), findings(&full));
    assert_eq!(
        std::fs::read(&steps).unwrap(),
        std::fs::read(&whole).unwrap()
    );
}

/// A refused checkpoint: the named error, and the file left as it was.
async fn refused(f: &Fixture<OverRpc>, file: &Path, name: &str) {
    let before = std::fs::read(file).unwrap();
    let error = audit(f, &["--checkpoint", path(file)]).await.unwrap_err();
    assert!(format!("{error:#}").starts_with(name), "{error:#}");
    assert_eq!(
        std::fs::read(file).unwrap(),
        before,
        "{name}: the file changed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checkpoint_edited_of_another_version_mint_or_chain_is_refused_by_name() {
    let localnet = localnet().await;
    let f = mint_with_history(&localnet).await;
    day(&f, 0).await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    audit(&f, &["--checkpoint", path(&good)]).await.unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let json: Value = serde_json::from_slice(&bytes).unwrap();
    let write = |name: &str, value: &Value| {
        let file = dir.path().join(name);
        std::fs::write(&file, serde_json::to_vec_pretty(value).unwrap()).unwrap();
        file
    };

    let mut edited = json.clone();
    let mints = &mut edited["state"]["replay"]["report"]["mints"];
    *mints = Value::from(mints.as_u64().unwrap() + 1);
    refused(&f, &write("edited.json", &edited), "CheckpointHashMismatch").await;

    // A newer version, and version 1 (which did not count freezes).
    for version in [checkpoint::VERSION + 1, 1] {
        let mut other = json.clone();
        other["version"] = Value::from(version);
        refused(
            &f,
            &write("other.json", &other),
            "CheckpointVersionUnsupported",
        )
        .await;
    }

    let torn = dir.path().join("torn.json");
    std::fs::write(&torn, &bytes[..bytes.len() / 2]).unwrap();
    refused(&f, &torn, "CheckpointMalformed").await;

    let mut page = json.clone();
    page["format"] = Value::from("usd1-transparency-checkpoint");
    refused(&f, &write("page.json", &page), "CheckpointWrongKind").await;

    // Properly hashed, but ending at a transaction this node never saw.
    let (mut state, _): (AuditState, String) =
        checkpoint::decode(&bytes, "good", FORMAT, &f.mint()).unwrap();
    state.last.as_mut().unwrap().signature = Signature::new_unique();
    let elsewhere = dir.path().join("elsewhere.json");
    std::fs::write(&elsewhere, checkpoint::encode(FORMAT, &f.mint(), &state).0).unwrap();
    refused(&f, &elsewhere, "CheckpointUnknownToNode").await;

    // Another mint's checkpoint.
    let other = mint_with_history(&localnet).await;
    refused(&other, &good, "CheckpointForAnotherMint").await;

    // --from-scratch ignores a damaged one and writes what a full replay writes.
    let mint = f.mint().to_string();
    let out = usd1(
        &f,
        &f.admin,
        &[
            "audit",
            "--mint",
            &mint,
            "--checkpoint",
            path(&torn),
            "--from-scratch",
        ],
    )
    .await
    .unwrap();
    assert!(!out.failed, "{}", out.text);
    assert!(out.json["resumed_from"].is_null());
    assert_eq!(std::fs::read(&torn).unwrap(), bytes);
}

/// `usd1 transparency --mint M --out DIR ARGS…`.
async fn page(f: &Fixture<OverRpc>, out: &Path, args: &[&str]) -> Value {
    let mint = f.mint().to_string();
    let mut all = vec!["transparency", "--mint", &mint, "--out", path(out)];
    all.extend_from_slice(args);
    usd1(f, &f.admin, &all).await.unwrap().json
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_from_a_checkpoint_is_the_full_build_byte_for_byte() {
    let localnet = localnet().await;
    let f = mint_with_history(&localnet).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("page-state.json");
    let (stepped, whole) = (dir.path().join("stepped"), dir.path().join("whole"));
    for n in 0..3 {
        day(&f, n).await;
        page(&f, &stepped, &["--checkpoint", path(&state)]).await;
    }
    day(&f, 3).await;
    let last = page(&f, &stepped, &["--checkpoint", path(&state)]).await;
    let full = page(&f, &whole, &[]).await;
    assert!(last["read"].as_u64().unwrap() * 2 < full["read"].as_u64().unwrap());
    for file in ["index.html", "transparency.json"] {
        assert_eq!(
            std::fs::read(stepped.join(file)).unwrap(),
            std::fs::read(whole.join(file)).unwrap(),
            "{file} differs"
        );
    }
    // An audit checkpoint is not a page's.
    let error = usd1(
        &f,
        &f.admin,
        &[
            "audit",
            "--mint",
            &f.mint().to_string(),
            "--checkpoint",
            path(&state),
        ],
    )
    .await
    .unwrap_err();
    assert!(
        format!("{error:#}").starts_with("CheckpointWrongKind"),
        "{error:#}"
    );
}

/// A node that answers each request in turn with the next of `answers`
/// (status line and headers), then a blockhash.
fn node(answers: Vec<&'static str>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let ok = r#"{"jsonrpc":"2.0","result":{"context":{"slot":1},"value":{"blockhash":"11111111111111111111111111111111","lastValidBlockHeight":150}},"id":0}"#;
        let mut answers = answers.into_iter();
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { return };
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request);
            let reply = match answers.next() {
                Some(head) => format!("{head}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
                None => format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ok}",
                    ok.len()
                ),
            };
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    url
}

#[tokio::test]
async fn too_many_requests_and_server_errors_are_waited_out() {
    let url = node(vec![
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1",
        "HTTP/1.1 503 Service Unavailable",
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1",
    ]);
    let ledger = RpcLedger::new(url, CommitmentConfig::confirmed());
    let started = Instant::now();
    ledger.latest_blockhash().await.unwrap();
    // Two Retry-After: 1 honoured, the 503 after a pause of its own.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(ledger.requests(), Some((4, 3)));
}

#[tokio::test]
async fn a_request_refused_otherwise_is_not_tried_again() {
    let url = node(vec!["HTTP/1.1 403 Forbidden"]);
    let ledger = RpcLedger::new(url, CommitmentConfig::confirmed());
    let error = ledger.latest_blockhash().await.unwrap_err();
    assert!(error.to_string().contains("403"), "{error}");
    assert_eq!(ledger.requests(), Some((1, 0)));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rate_cap_spaces_requests() {
    let localnet = localnet().await;
    let limits = Limits { rate: Some(5) };
    let timeout = usd1_client::rpc::DEFAULT_REQUEST_TIMEOUT;
    let ledger = RpcLedger::with_limits(
        localnet.url.clone(),
        CommitmentConfig::confirmed(),
        timeout,
        limits,
    );
    let started = Instant::now();
    for _ in 0..6 {
        ledger.latest_blockhash().await.unwrap();
    }
    // The first at once, then one each 200 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(1_000),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(ledger.requests(), Some((6, 0)));
}

/// The reader walks a history of several pages back and hands it out
/// oldest first, all of it or what came after `until`.
#[tokio::test]
async fn the_reader_hands_out_a_long_history_oldest_first_across_pages() {
    use usd1_client::history::HistoryReader;
    use usd1_client::ledger::RecordedTransaction;
    use usd1_tests::ledgers::FaultyLedger;
    let f = Fixture::new(Flavor::Token2022).await;
    let forged: Vec<RecordedTransaction> = (0..2_500u64)
        .map(|n| RecordedTransaction {
            signature: Signature::new_unique(),
            slot: n / 3,
            block_time: None,
            position: None,
            instructions: vec![],
            inner_instructions: vec![],
            events: vec![],
        })
        .collect();
    let ledger = FaultyLedger::forging_history(f.ledger.clone(), forged.clone());
    for (until, from) in [(None, 0), (Some(forged[700].signature), 701)] {
        let config = f.config_address();
        let mut reader = HistoryReader::open(&ledger, &config, until, &[], 8, &mut |_| {})
            .await
            .unwrap();
        let mut read = Vec::new();
        while let Some(tx) = reader.next().await.unwrap() {
            read.push(tx.signature);
        }
        let expected: Vec<Signature> = forged[from..].iter().map(|t| t.signature).collect();
        assert_eq!(read, expected);
        assert_eq!(reader.newest().unwrap().signature, forged[2_499].signature);
        assert_eq!(reader.progress().total, (2_500 - from) as u64);
    }
}

/// A node without `getBlock` (the localnet) is asked once, not for every
/// slot whose order would matter.
#[tokio::test(flavor = "multi_thread")]
async fn a_node_without_get_block_is_asked_once() {
    let localnet = localnet().await;
    let ledger = RpcLedger::new(localnet.url.clone(), CommitmentConfig::confirmed());
    assert_eq!(ledger.block_order(1).await.unwrap(), None);
    assert_eq!(ledger.block_order(2).await.unwrap(), None);
    assert_eq!(ledger.requests(), Some((1, 0)));
}
