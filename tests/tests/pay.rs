//! `usd1 pay`: many transfers, several in flight, validated up front, and a
//! journal that makes a re-run pay no row twice and skip none.
use std::sync::Arc;

use clap::Parser;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1_cli::{execute, Cli, Context, Output};
use usd1_client::Ledger;
use usd1_tests::*;

/// A payer holding 100,000 tokens, and a folder for payout files.
async fn payer() -> (Fixture, Keypair, tempfile::TempDir) {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000_000 * ONE).await;
    let payer = f.funded_keypair().await;
    f.usd1
        .mint_to(&f.minter, &payer.pubkey(), 100_000 * ONE)
        .await
        .unwrap();
    (f, payer, tempfile::tempdir().unwrap())
}

async fn pay(f: &Fixture, payer: &Keypair, file: &str) -> anyhow::Result<Output> {
    let m = f.mint().to_string();
    let cli = Cli::try_parse_from([
        "usd1",
        "pay",
        file,
        "--mint",
        m.as_str(),
        "--concurrency",
        "4",
    ])?;
    let ledger: Arc<dyn Ledger> = f.ledger.clone();
    execute(
        &Context::new(ledger, Arc::new(payer.insecure_clone())),
        cli.command,
    )
    .await
}

/// `n` recipients paid 1.5, 2.5, 3.5… tokens; the file's text.
fn payout(recipients: &[Pubkey]) -> String {
    let mut text = String::from("recipient,amount,memo\n");
    for (i, r) in recipients.iter().enumerate() {
        text.push_str(&format!("{r},{}.5,invoice {i}\n", i + 1));
    }
    text
}

fn owed(i: usize) -> u64 {
    (i as u64 + 1) * ONE + ONE / 2
}

#[tokio::test]
async fn pays_every_row_once_and_a_rerun_pays_nothing() {
    let (f, payer, dir) = payer().await;
    let recipients: Vec<Pubkey> = (0..25).map(|_| Pubkey::new_unique()).collect();
    let mut text = payout(&recipients);
    // The same recipient and amount twice is two payments, not one.
    text.push_str(&format!("{},1.5\n", recipients[0]));
    let file = dir.path().join("payroll.csv");
    std::fs::write(&file, &text).unwrap();
    let file = file.to_string_lossy().into_owned();

    let out = pay(&f, &payer, &file).await.unwrap();
    assert!(!out.failed, "{}", out.text);
    assert_eq!(
        (
            out.json["rows"].as_u64(),
            out.json["paid"].as_u64(),
            out.json["already_paid"].as_u64()
        ),
        (Some(26), Some(26), Some(0))
    );
    for (i, r) in recipients.iter().enumerate() {
        let expected = owed(i) + if i == 0 { owed(0) } else { 0 };
        assert_eq!(f.usd1.balance(r).await.unwrap(), expected, "recipient {i}");
    }
    let total: u64 = (0..25).map(owed).sum::<u64>() + owed(0);
    assert_eq!(
        f.usd1.balance(&payer.pubkey()).await.unwrap(),
        100_000 * ONE - total
    );

    // Run again: everything is in the journal, nothing moves.
    let before = f.snapshot().await;
    let out = pay(&f, &payer, &file).await.unwrap();
    assert_eq!(
        (out.json["paid"].as_u64(), out.json["already_paid"].as_u64()),
        (Some(0), Some(26))
    );
    assert_eq!(f.snapshot().await, before);
    assert_eq!(
        f.usd1.balance(&payer.pubkey()).await.unwrap(),
        100_000 * ONE - total
    );
}

#[tokio::test]
async fn invalid_rows_are_reported_with_line_numbers_before_anything_is_sent() {
    let (f, payer, dir) = payer().await;
    let good = Pubkey::new_unique();
    let text = format!(
        "recipient,amount\n{good},1\nnot-an-address,2\n{good},3\n{good},-4\n{good},1.0000001\n{good}\n{good},0\n"
    );
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, text).unwrap();
    let before = f.snapshot().await;
    let err = pay(&f, &payer, &file.to_string_lossy())
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "5 invalid row(s), nothing sent: line 3: 'not-an-address' is not a valid address; \
         line 5: amount '-4' is negative; line 6: amount '1.0000001' has more than 6 decimal places; \
         line 7: expected recipient,amount[,memo]; line 8: amount must be greater than zero"
    );
    assert_eq!(f.snapshot().await, before);
    assert_eq!(f.usd1.balance(&good).await.unwrap(), 0);
    assert!(
        !dir.path().join("bad.csv.journal").exists(),
        "no journal for a refused file"
    );
}

#[tokio::test]
async fn a_rerun_after_an_interruption_pays_no_row_twice_and_skips_none() {
    let (f, payer, dir) = payer().await;
    let recipients: Vec<Pubkey> = (0..6).map(|_| Pubkey::new_unique()).collect();
    // The recipient on line 4 is frozen for the first run, so its row fails.
    let frozen = f.usd1.token_account_of(&recipients[2]);
    f.send(&[f.create_account_ix(&recipients[2])], &[])
        .await
        .unwrap();
    f.usd1.freeze(&f.freezer, &frozen).await.unwrap();
    let file = dir.path().join("batch.csv");
    std::fs::write(&file, payout(&recipients)).unwrap();
    let file = file.to_string_lossy().into_owned();
    let out = pay(&f, &payer, &file).await.unwrap();
    assert_eq!(out.json["paid"].as_u64(), Some(5));

    // Rewrite the journal as a crash would have left it: the rows on lines 2
    // and 3 were sent but their confirmations never written, and line 4's
    // outcome was never learned.
    let journal_path = format!("{file}.journal");
    let journal = std::fs::read_to_string(&journal_path).unwrap();
    let kept: Vec<&str> = journal
        .lines()
        .filter(
            |entry| match entry.split('\t').collect::<Vec<_>>().as_slice() {
                [line, "done", ..] => *line != "2" && *line != "3",
                [_, "failed", ..] => false,
                _ => true,
            },
        )
        .collect();
    std::fs::write(&journal_path, kept.join("\n") + "\n").unwrap();
    f.usd1.thaw(&f.freezer, &frozen).await.unwrap();
    let before: Vec<u64> = balances(&f, &recipients).await;

    // Lines 2 and 3 are found on-chain and not paid again; line 4's attempt
    // never landed, so it is paid now; the rest are skipped.
    let out = pay(&f, &payer, &file).await.unwrap();
    assert_eq!(
        (out.json["already_paid"].as_u64(), out.json["paid"].as_u64()),
        (Some(5), Some(1)),
        "{}",
        out.text
    );
    let after: Vec<u64> = balances(&f, &recipients).await;
    for (i, (was, is)) in before.iter().zip(&after).enumerate() {
        let expected = if i == 2 { owed(2) } else { *was };
        assert_eq!(*is, expected, "recipient on line {}", i + 2);
        assert_eq!(*is, owed(i), "every row paid exactly once");
    }
    // A third run does nothing.
    let out = pay(&f, &payer, &file).await.unwrap();
    assert_eq!(
        (out.json["already_paid"].as_u64(), out.json["paid"].as_u64()),
        (Some(6), Some(0))
    );
}

async fn balances(f: &Fixture, owners: &[Pubkey]) -> Vec<u64> {
    let mut out = Vec::new();
    for owner in owners {
        out.push(f.usd1.balance(owner).await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_failed_row_is_named_and_paid_on_the_next_run() {
    let (f, payer, dir) = payer().await;
    let recipients: Vec<Pubkey> = (0..4).map(|_| Pubkey::new_unique()).collect();
    // The third recipient's account exists and is frozen.
    f.send(&[f.create_account_ix(&recipients[2])], &[])
        .await
        .unwrap();
    f.usd1
        .freeze(&f.freezer, &f.usd1.token_account_of(&recipients[2]))
        .await
        .unwrap();
    let file = dir.path().join("frozen.csv");
    std::fs::write(&file, payout(&recipients)).unwrap();
    let file = file.to_string_lossy().into_owned();

    let out = pay(&f, &payer, &file).await.unwrap();
    assert!(out.failed);
    assert_eq!(out.json["paid"].as_u64(), Some(3));
    assert_eq!(out.json["failed"][0]["line"].as_u64(), Some(4));
    assert!(out.text.contains("line 4:"), "{}", out.text);
    assert_eq!(f.usd1.balance(&recipients[2]).await.unwrap(), 0);

    f.usd1
        .thaw(&f.freezer, &f.usd1.token_account_of(&recipients[2]))
        .await
        .unwrap();
    let out = pay(&f, &payer, &file).await.unwrap();
    assert!(!out.failed, "{}", out.text);
    assert_eq!(
        (out.json["already_paid"].as_u64(), out.json["paid"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(f.usd1.balance(&recipients[2]).await.unwrap(), owed(2));
    assert_eq!(f.usd1.balance(&recipients[0]).await.unwrap(), owed(0));
}

#[tokio::test]
async fn a_changed_file_is_refused_against_its_old_journal() {
    let (f, payer, dir) = payer().await;
    let recipients: Vec<Pubkey> = (0..2).map(|_| Pubkey::new_unique()).collect();
    let file = dir.path().join("edit.csv");
    std::fs::write(&file, payout(&recipients)).unwrap();
    let file_str = file.to_string_lossy().into_owned();
    pay(&f, &payer, &file_str).await.unwrap();
    std::fs::write(&file, payout(&[recipients[1], recipients[0]])).unwrap();
    let before = f.snapshot().await;
    let err = pay(&f, &payer, &file_str).await.unwrap_err().to_string();
    assert!(
        err.contains("the payout file changed since it was started"),
        "{err}"
    );
    assert_eq!(f.snapshot().await, before);
}
