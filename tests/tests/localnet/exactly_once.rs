//! Issue 22, item 0a: the localnet never forgets a transaction it executed.
//! A client that hangs up right after sending used to be able to cut the
//! landing in two — the bank executed the transfer, the record was never
//! written — and `usd1 pay`, seeing "no status, blockhash expired", paid the
//! row again. Here the connection is dropped right after `sendTransaction`
//! is written, and `usd1 pay` is killed with SIGKILL at random moments.
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anchor_lang::solana_program::system_instruction;
use base64::Engine;
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::Transaction;
use tokio::io::AsyncWriteExt;
use usd1_client::rpc::RpcLedger;
use usd1_client::{Ledger, Usd1};
use usd1_tests::localnet::{funded, localnet};
use usd1_tests::moments::Moments;
use usd1_tests::tour;

/// Writes a whole `sendTransaction` request for `tx`, waits `linger`, and
/// hangs up without reading the answer.
async fn send_and_hang_up(addr: SocketAddr, tx: &Transaction, linger: Duration) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bincode::serialize(tx).unwrap());
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "sendTransaction",
        "params": [encoded, {"encoding": "base64"}],
    })
    .to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(linger).await;
    drop(stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_whose_sender_hung_up_is_recorded_if_and_only_if_it_landed() {
    let localnet = localnet().await;
    let client =
        RpcClient::new_with_commitment(localnet.url.clone(), CommitmentConfig::confirmed());
    let payer = funded(&localnet).await;
    let blockhash = client.get_latest_blockhash().await.unwrap();
    let mut sent: Vec<(Signature, Pubkey, u64)> = Vec::new();
    for i in 0..40u64 {
        let (to, lamports) = (Pubkey::new_unique(), 1_000_000 + i);
        let ix = system_instruction::transfer(&payer.pubkey(), &to, lamports);
        let tx =
            Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[&payer], blockhash);
        // From hanging up at once to after the landing is well under way.
        send_and_hang_up(localnet.addr, &tx, Duration::from_micros(i * 150)).await;
        sent.push((tx.signatures[0], to, lamports));
    }
    // Landed ⇔ recorded, for every one (a landing still under way is given
    // a moment to finish).
    let deadline = Instant::now() + Duration::from_secs(10);
    let landed = loop {
        let signatures: Vec<Signature> = sent.iter().map(|(s, _, _)| *s).collect();
        let statuses = client
            .get_signature_statuses(&signatures)
            .await
            .unwrap()
            .value;
        let mut agree = true;
        let mut landed = 0;
        for ((signature, to, lamports), status) in sent.iter().zip(&statuses) {
            let balance = client.get_balance(to).await.unwrap();
            let recorded = status.is_some()
                && client
                    .get_transaction(
                        signature,
                        solana_transaction_status_client_types::UiTransactionEncoding::Json,
                    )
                    .await
                    .is_ok();
            assert!(balance == 0 || balance == *lamports);
            agree &= (balance > 0) == recorded;
            landed += usize::from(balance > 0);
        }
        if agree {
            break landed;
        }
        assert!(
            Instant::now() < deadline,
            "a transfer moved lamports but the localnet has no record of it"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!(
        "{landed} of {} hung-up sends landed, each recorded",
        sent.len()
    );
    assert!(
        landed > 0,
        "no hung-up send landed: the test exercised nothing"
    );
    localnet.stop().await.unwrap();
}

fn journal_lines(journal: &Path) -> usize {
    std::fs::read_to_string(journal).map_or(0, |t| t.lines().count())
}

/// Every row of a 300-row payout paid exactly once, though `usd1 pay` is
/// killed with SIGKILL five times — each time once its journal has grown by
/// a random number of attempts, so mostly mid-send — and re-run.
#[tokio::test(flavor = "multi_thread")]
async fn usd1_pay_killed_at_random_moments_pays_every_row_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let stage = tour::Stage::open(dir.path(), &|_| {}).await.unwrap();
    let (url, cast, mint) = (stage.url.clone(), &stage.cast, stage.mint.clone());
    let run = |keypair: &Path, args: &[&str]| stage.usd1(keypair, args).unwrap();
    stage.fund_holder("100000", "5000").unwrap();

    let rows: Vec<(Pubkey, u64)> = (0..300u64)
        .map(|i| (Pubkey::new_unique(), i % 7 + 1))
        .collect();
    let mut csv = String::from("recipient,amount\n");
    for (recipient, amount) in &rows {
        csv.push_str(&format!("{recipient},{amount}\n"));
    }
    let file = dir.path().join("payout.csv");
    std::fs::write(&file, csv).unwrap();
    let file = file.display().to_string();
    let journal = std::path::PathBuf::from(format!("{file}.journal"));
    let args = [
        "-u",
        url.as_str(),
        "-k",
        &cast.holder.display().to_string(),
        "pay",
        file.as_str(),
        "--mint",
        mint.as_str(),
        "--output",
        "json",
    ]
    .map(String::from);

    let mut moments = Moments::new();
    let mut kills = 0;
    while kills < 5 {
        let grown = journal_lines(&journal) + 5 + moments.below(60) as usize;
        let mut child = Command::new(tour::binary("usd1").unwrap())
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let finished = loop {
            if child.try_wait().unwrap().is_some() {
                break true;
            }
            if journal_lines(&journal) >= grown {
                break false;
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "usd1 pay made no progress"
            );
            std::thread::sleep(Duration::from_millis(2));
        };
        if finished {
            break;
        }
        std::thread::sleep(Duration::from_millis(moments.below(40)));
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
        eprintln!(
            "killed usd1 pay #{kills} at {} journal lines",
            journal_lines(&journal)
        );
    }
    let last = tour::usd1(
        &url,
        &cast.holder,
        &args[4..].iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(last.success, "{}", last.stderr);
    let out: serde_json::Value = serde_json::from_str(&last.stdout).unwrap();
    assert_eq!(
        out["paid"].as_u64().unwrap() + out["already_paid"].as_u64().unwrap(),
        300,
        "{out}"
    );

    // Every recipient holds exactly its row, and the holder paid exactly the total.
    let ledger: Arc<dyn Ledger> =
        Arc::new(RpcLedger::new(url.clone(), CommitmentConfig::confirmed()));
    let usd1 = Usd1::connect(
        ledger.clone(),
        Arc::new(Keypair::new()),
        mint.parse().unwrap(),
    )
    .await
    .unwrap();
    let accounts: Vec<Pubkey> = rows.iter().map(|(r, _)| usd1.token_account_of(r)).collect();
    let found = ledger.get_multiple_accounts(&accounts).await.unwrap();
    let one = 1_000_000u64;
    for ((address, account), (recipient, amount)) in accounts.iter().zip(&found).zip(&rows) {
        let account = account
            .as_ref()
            .unwrap_or_else(|| panic!("{recipient} was never paid"));
        let held = usd1_client::accounts::decode_token_account(address, &account.data)
            .unwrap()
            .amount;
        assert_eq!(
            held,
            amount * one,
            "{recipient}: paid {held}, owed {}",
            amount * one
        );
    }
    let total: u64 = rows.iter().map(|(_, a)| a).sum();
    assert_eq!(
        run(&cast.holder, &["balance", "--mint", &mint]),
        usd1_client::format_dollars(u128::from(5000 - total) * 1_000_000, 6)
    );
    assert!(stage.localnet.stop().unwrap().success());
}
