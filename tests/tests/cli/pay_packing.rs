//! `usd1 pay` packs rows (issue 26): as many rows per transaction as fit,
//! their ids in one shared memo; the fees, the rent and the rate in the
//! summary, checked against what the payer's balance fell by; a row that
//! makes its packed transaction fail fails alone, named, and the others are
//! paid once; `--rows-per-tx` caps the packing and `--priority-fee` is paid
//! on the compute-unit limit the transaction sets.
use std::sync::Arc;

use clap::Parser;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1_cli::commands::pay::memo_row_ids;
use usd1_cli::{execute, Cli, Context, Output};
use usd1_client::{format_amount, Ledger};
use usd1_tests::*;

async fn payer() -> (Fixture, Keypair, tempfile::TempDir) {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000_000 * ONE).await;
    let payer = f.funded_keypair().await;
    f.usd1
        .mint_to(&f.minter, &payer.pubkey(), 100_000 * ONE)
        .await
        .unwrap();
    (f, payer, tempfile::tempdir().unwrap())
}

async fn pay<B: Backend>(f: &Fixture<B>, payer: &Keypair, file: &str, flags: &[&str]) -> Output {
    let m = f.mint().to_string();
    let mut argv = vec!["usd1", "pay", file, "--mint", m.as_str()];
    argv.extend_from_slice(flags);
    let cli = Cli::try_parse_from(argv).unwrap();
    let ledger: Arc<dyn Ledger> = f.ledger.clone() as Arc<dyn Ledger>;
    execute(
        &Context::new(ledger, Arc::new(payer.insecure_clone())),
        cli.command,
    )
    .await
    .unwrap()
}

fn file(dir: &tempfile::TempDir, name: &str, recipients: &[Pubkey]) -> String {
    let mut text = String::from("recipient,amount\n");
    for r in recipients {
        text.push_str(&format!("{r},1.25\n"));
    }
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

async fn lamports(f: &Fixture, who: &Pubkey) -> u64 {
    f.ledger.get_account(who).await.unwrap().unwrap().lamports
}

fn sol(json: &serde_json::Value) -> String {
    json.as_str().unwrap().to_string()
}

#[tokio::test]
async fn rows_are_packed_and_the_summary_gives_fees_rent_and_rate() {
    let (f, payer, dir) = payer().await;
    let existing = f.owners_with_accounts(40).await;
    let payout = file(&dir, "payout.csv", &existing);
    let before = lamports(&f, &payer.pubkey()).await;
    let out = pay(&f, &payer, &payout, &[]).await;
    assert!(!out.failed, "{}", out.text);
    let spent = before - lamports(&f, &payer.pubkey()).await;
    let transactions = out.json["transactions"].as_u64().unwrap();
    assert_eq!(out.json["paid"], 40);
    // At least ten rows a transaction to existing accounts: fees per row at
    // most an eighth of one transaction per row.
    assert!(transactions <= 4, "{}", out.text);
    assert!(transactions * 8 <= 40);
    assert_eq!(spent, transactions * 5_000, "one signature fee each");
    assert_eq!(sol(&out.json["fees_sol"]), format_amount(spent, 9));
    assert_eq!(sol(&out.json["sol_spent"]), format_amount(spent, 9));
    assert_eq!(
        (
            out.json["accounts_created"].as_u64(),
            sol(&out.json["rent_sol"])
        ),
        (Some(0), "0".to_string())
    );
    assert!(out.json["rows_per_second"].as_f64().unwrap() > 0.0);
    assert!(
        out.text.contains(&format!("{transactions} transaction(s)")),
        "{}",
        out.text
    );
    for r in &existing {
        assert_eq!(f.usd1.balance(r).await.unwrap(), ONE + ONE / 4);
    }
    // Each transaction names its rows in one memo the payer signed.
    let text = std::fs::read_to_string(&payout).unwrap();
    let batch = usd1_cli::commands::pay::default_batch(&text);
    let history = f.ledger.history(&payer.pubkey()).await.unwrap();
    let memos: Vec<String> = history
        .iter()
        .flat_map(|t| &t.instructions)
        .filter(|ix| {
            ix.program_id == usd1_client::instructions::MEMO_PROGRAM_ID
                && ix.accounts == vec![payer.pubkey()]
        })
        .map(|ix| String::from_utf8(ix.data.clone()).unwrap())
        .collect();
    assert_eq!(memos.len() as u64, transactions);
    let named: usize = memos.iter().map(|m| memo_row_ids(m).len()).sum();
    assert_eq!(named, 40);
    assert!(
        memos
            .iter()
            .all(|m| m.contains(&format!(" batch:{batch} payout.csv:"))),
        "{memos:?}"
    );

    // New accounts: fewer rows fit, and their rent is counted.
    let fresh: Vec<Pubkey> = (0..12).map(|_| Pubkey::new_unique()).collect();
    let payout = file(&dir, "fresh.csv", &fresh);
    let before = lamports(&f, &payer.pubkey()).await;
    let out = pay(&f, &payer, &payout, &[]).await;
    assert!(!out.failed, "{}", out.text);
    let spent = before - lamports(&f, &payer.pubkey()).await;
    let transactions = out.json["transactions"].as_u64().unwrap();
    assert!((2..12).contains(&transactions), "{}", out.text);
    let rent = lamports(&f, &f.usd1.token_account_of(&fresh[0])).await;
    assert_eq!(out.json["accounts_created"], 12);
    assert_eq!(sol(&out.json["rent_sol"]), format_amount(12 * rent, 9));
    assert_eq!(spent, 12 * rent + transactions * 5_000);

    // Capped: one row per transaction, as before packing.
    let single = f.owners_with_accounts(5).await;
    let payout = file(&dir, "single.csv", &single);
    let out = pay(&f, &payer, &payout, &["--rows-per-tx", "1"]).await;
    assert_eq!(out.json["transactions"], 5, "{}", out.text);
}

#[tokio::test]
async fn a_row_that_fails_its_packed_transaction_fails_alone() {
    let (f, payer, dir) = payer().await;
    one_row_fails_alone(&f, &payer, &dir).await;
}

/// The same over JSON-RPC: the node refuses the packed transaction at its
/// preflight, naming the failing instruction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_rpc_a_row_that_fails_its_packed_transaction_fails_alone() {
    let localnet = usd1_tests::localnet::localnet().await;
    let f = Fixture::on_localnet(&localnet, 1_000_000 * ONE, 100_000 * ONE).await;
    f.fund(&f.holder.pubkey()).await;
    one_row_fails_alone(
        &f,
        &f.holder.insecure_clone(),
        &tempfile::tempdir().unwrap(),
    )
    .await;
}

async fn one_row_fails_alone<B: Backend>(f: &Fixture<B>, payer: &Keypair, dir: &tempfile::TempDir) {
    let recipients = f.owners_with_accounts(12).await;
    for frozen in [3, 8] {
        f.usd1
            .freeze(&f.freezer, &f.usd1.token_account_of(&recipients[frozen]))
            .await
            .unwrap();
    }
    let payout = file(dir, "payout.csv", &recipients);
    let out = pay(f, payer, &payout, &[]).await;
    assert!(out.failed);
    assert_eq!(out.json["paid"], 10, "{}", out.text);
    let failed: Vec<u64> = out.json["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(failed, [5, 10], "the frozen recipients' rows, by line");
    assert!(
        out.json["failed"][0]["error"]
            .as_str()
            .unwrap()
            .contains("frozen"),
        "{}",
        out.text
    );
    // Each frozen row's transaction refused once, then the rest paid: the
    // landed ones are those in the payer's history.
    let landed = f
        .ledger
        .history(&payer.pubkey())
        .await
        .unwrap()
        .iter()
        .filter(|t| {
            t.instructions
                .iter()
                .any(|ix| ix.program_id == usd1_client::instructions::MEMO_PROGRAM_ID)
        })
        .count() as u64;
    assert_eq!(out.json["transactions"], landed + 2, "{}", out.text);
    for (i, r) in recipients.iter().enumerate() {
        let expected = if i == 3 || i == 8 { 0 } else { ONE + ONE / 4 };
        assert_eq!(f.usd1.balance(r).await.unwrap(), expected, "row {i}");
    }
    // Thawed, a re-run pays those two and nothing twice.
    for frozen in [3, 8] {
        f.usd1
            .thaw(&f.freezer, &f.usd1.token_account_of(&recipients[frozen]))
            .await
            .unwrap();
    }
    let out = pay(f, payer, &payout, &[]).await;
    assert!(!out.failed, "{}", out.text);
    assert_eq!(
        (out.json["already_paid"].as_u64(), out.json["paid"].as_u64()),
        (Some(10), Some(2))
    );
    for r in &recipients {
        assert_eq!(f.usd1.balance(r).await.unwrap(), ONE + ONE / 4);
    }
}

#[tokio::test]
async fn a_priority_fee_is_paid_on_the_transactions_compute_limit() {
    let (f, payer, dir) = payer().await;
    let recipients = f.owners_with_accounts(10).await;
    let payout = file(&dir, "payout.csv", &recipients);
    let before = lamports(&f, &payer.pubkey()).await;
    let out = pay(&f, &payer, &payout, &["--priority-fee", "10000"]).await;
    assert!(!out.failed, "{}", out.text);
    let spent = before - lamports(&f, &payer.pubkey()).await;
    let transactions = out.json["transactions"].as_u64().unwrap();
    assert!(spent > transactions * 5_000, "a priority fee was paid");
    // What the summary computed is what the chain charged.
    assert_eq!(sol(&out.json["fees_sol"]), format_amount(spent, 9));
}

/// The wire size of a recorded transaction, rebuilt from its instructions
/// (the same keys and bytes; one signature, the payer's).
fn wire_size(tx: &usd1_client::ledger::RecordedTransaction, payer: &Pubkey) -> usize {
    use solana_sdk::instruction::{AccountMeta, Instruction};
    let ixs: Vec<Instruction> = tx
        .instructions
        .iter()
        .map(|ix| Instruction {
            program_id: ix.program_id,
            accounts: ix
                .accounts
                .iter()
                .map(|k| AccountMeta::new_readonly(*k, k == payer))
                .collect(),
            data: ix.data.clone(),
        })
        .collect();
    let message = solana_sdk::message::Message::new(&ixs, Some(payer));
    1 + 64 * usize::from(message.header.num_required_signatures) + message.serialize().len()
}

#[tokio::test]
async fn packed_transactions_never_exceed_a_packet_whatever_the_rows() {
    let (f, payer, dir) = payer().await;
    let existing = f.owners_with_accounts(20).await;
    // Far down a long file (six-digit lines), new and existing recipients,
    // some rows with long memos of their own.
    let mut text = String::from("recipient,amount,memo\n");
    text.push_str(&"\n".repeat(123_456));
    for i in 0..40 {
        let recipient = if i % 3 == 0 {
            Pubkey::new_unique()
        } else {
            existing[i % 20]
        };
        let memo = if i % 7 == 0 {
            "m".repeat(150 + i)
        } else {
            String::new()
        };
        text.push_str(&format!("{recipient},0.5,{memo}\n"));
    }
    let path = dir.path().join("long.csv");
    std::fs::write(&path, text).unwrap();
    let out = pay(&f, &payer, &path.to_string_lossy(), &[]).await;
    assert!(!out.failed, "{}", out.text);
    assert_eq!(out.json["paid"], 40);
    let history = f.ledger.history(&payer.pubkey()).await.unwrap();
    let sizes: Vec<usize> = history
        .iter()
        .filter(|t| {
            t.instructions
                .iter()
                .any(|ix| ix.program_id == usd1_client::instructions::MEMO_PROGRAM_ID)
        })
        .map(|t| wire_size(t, &payer.pubkey()))
        .collect();
    assert_eq!(
        sizes.len() as u64,
        out.json["transactions"].as_u64().unwrap()
    );
    assert!(sizes.iter().all(|&s| s <= 1232), "{sizes:?}");
    // Packed close to the limit, not one row at a time.
    assert!(
        sizes.iter().filter(|&&s| s > 1232 - 150).count() >= sizes.len() - 1,
        "{sizes:?}"
    );
}
