//! `usd1 pay`: many transfers, several in flight, validated up front, and a
//! journal that makes a re-run pay no row twice and skip none; a lock that
//! stops a second run of the same file, a damaged journal that stops the
//! run, and `--reconcile`, which finds the paid rows on-chain (issue 11,
//! item 1).
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
    pay_with(f, payer, file, &[]).await
}

async fn pay_with(
    f: &Fixture,
    payer: &Keypair,
    file: &str,
    flags: &[&str],
) -> anyhow::Result<Output> {
    let m = f.mint().to_string();
    let mut argv = vec![
        "usd1",
        "pay",
        file,
        "--mint",
        m.as_str(),
        "--concurrency",
        "4",
    ];
    argv.extend_from_slice(flags);
    let cli = Cli::try_parse_from(argv)?;
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
async fn fails_when_rows_are_invalid_naming_their_lines_before_anything_is_sent() {
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
async fn fails_when_the_file_changed_against_its_old_journal() {
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

/// A paid file's path, its recipients and the payer, after one full run.
async fn paid_file(rows: usize) -> (Fixture, Keypair, tempfile::TempDir, String, Vec<Pubkey>) {
    let (f, payer, dir) = payer().await;
    let recipients: Vec<Pubkey> = (0..rows).map(|_| Pubkey::new_unique()).collect();
    let file = dir.path().join("payroll.csv");
    std::fs::write(&file, payout(&recipients)).unwrap();
    let file = file.to_string_lossy().into_owned();
    let out = pay(&f, &payer, &file).await.unwrap();
    assert_eq!(out.json["paid"].as_u64(), Some(rows as u64));
    (f, payer, dir, file, recipients)
}

fn assert_paid_once(balances: &[u64]) {
    for (i, balance) in balances.iter().enumerate() {
        assert_eq!(*balance, owed(i), "the recipient on line {}", i + 2);
    }
}

#[tokio::test]
async fn fails_when_another_run_of_the_same_file_holds_its_lock() {
    use usd1_cli::commands::pay::PayLock;
    let (f, payer, dir) = payer().await;
    let recipients: Vec<Pubkey> = (0..3).map(|_| Pubkey::new_unique()).collect();
    let file = dir.path().join("cron.csv");
    std::fs::write(&file, payout(&recipients)).unwrap();
    let file = file.to_string_lossy().into_owned();
    let lock_path = PayLock::path_for(&file);
    let held = PayLock::acquire(&lock_path, &file).unwrap();

    let before = f.snapshot().await;
    let err = pay(&f, &payer, &file).await.unwrap_err().to_string();
    let holder = std::fs::read_to_string(&lock_path).unwrap();
    assert!(
        holder.starts_with(&format!("pid {} on ", std::process::id())),
        "{holder}"
    );
    assert_eq!(
        err,
        format!(
            "{file} is being paid by another usd1 pay ({}; lock {}); nothing sent — wait for it to finish",
            holder.trim(),
            lock_path.display()
        )
    );
    assert_eq!(f.snapshot().await, before);
    assert_eq!(balances(&f, &recipients).await, vec![0, 0, 0]);
    assert!(!std::path::Path::new(&format!("{file}.journal")).exists());

    // Once the holder is done, the run goes ahead.
    drop(held);
    let out = pay(&f, &payer, &file).await.unwrap();
    assert_eq!(out.json["paid"].as_u64(), Some(3));
    assert_paid_once(&balances(&f, &recipients).await);
}

#[tokio::test]
async fn two_runs_at_once_pay_every_row_exactly_once() {
    let (f, payer, dir) = payer().await;
    let recipients: Vec<Pubkey> = (0..40).map(|_| Pubkey::new_unique()).collect();
    let file = dir.path().join("twice.csv");
    std::fs::write(&file, payout(&recipients)).unwrap();
    let file = file.to_string_lossy().into_owned();
    let (a, b) = tokio::join!(pay(&f, &payer, &file), pay(&f, &payer, &file));
    let paid: u64 = [&a, &b]
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|out| out.json["paid"].as_u64().unwrap())
        .sum();
    assert_eq!(paid, 40, "{a:?} {b:?}");
    for refused in [&a, &b].iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            refused
                .to_string()
                .contains("is being paid by another usd1 pay"),
            "{refused}"
        );
    }
    assert_paid_once(&balances(&f, &recipients).await);
}

#[tokio::test]
async fn fails_when_the_journal_is_damaged_naming_the_uncertain_rows() {
    let (f, payer, _dir, file, recipients) = paid_file(5).await;
    // Two runs writing at once used to interleave entries: entry 4 (line 3's
    // confirmation) is garbled, its line still legible.
    let journal_path = format!("{file}.journal");
    let journal = std::fs::read_to_string(&journal_path).unwrap();
    let mut lines: Vec<String> = journal.lines().map(String::from).collect();
    let entry = lines
        .iter()
        .position(|l| l.starts_with("3\tdone\t"))
        .unwrap();
    lines[entry] = "3\tdo3\tsent\tgarbage".into();
    std::fs::write(&journal_path, lines.join("\n") + "\n").unwrap();

    let before = f.snapshot().await;
    let err = pay(&f, &payer, &file).await.unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "journal {journal_path} is damaged at entry {entry}; nothing sent. Whether the rows on line(s) 3 were paid is unknown: \
             run again with --reconcile to find the paid rows in the sender's on-chain history and pay only the rest"
        )
    );
    assert_eq!(f.snapshot().await, before);

    // An entry with no legible line leaves every row not known paid in doubt.
    lines[entry] = "\u{fffd}\u{fffd}".into();
    let mut bytes = (lines.join("\n") + "\n").into_bytes();
    bytes.extend_from_slice(b"\xff\xfe\n");
    std::fs::write(&journal_path, bytes).unwrap();
    let err = pay(&f, &payer, &file).await.unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "is damaged at entry {entry}, {}; nothing sent",
            lines.len()
        )) && err.contains("line(s) 3 were paid"),
        "{err}"
    );

    // --reconcile finds every row on-chain and pays nothing again.
    let out = pay_with(&f, &payer, &file, &["--reconcile"]).await.unwrap();
    assert_eq!(
        (
            out.json["found_on_chain"].as_u64(),
            out.json["already_paid"].as_u64(),
            out.json["paid"].as_u64()
        ),
        (Some(5), Some(5), Some(0)),
        "{}",
        out.text
    );
    assert_eq!(f.snapshot().await, before);
    assert_paid_once(&balances(&f, &recipients).await);
    // The fresh journal serves the next plain run.
    let out = pay(&f, &payer, &file).await.unwrap();
    assert_eq!(out.json["already_paid"].as_u64(), Some(5));
}

#[tokio::test]
async fn reconcile_pays_only_the_rows_the_chain_does_not_show_when_the_journal_is_lost() {
    let (f, payer, dir) = payer().await;
    let recipients: Vec<Pubkey> = (0..6).map(|_| Pubkey::new_unique()).collect();
    // The first run pays only the first four rows.
    let first = dir.path().join("first.csv");
    let mut text = payout(&recipients);
    std::fs::write(
        &first,
        text.lines().take(5).collect::<Vec<_>>().join("\n") + "\n",
    )
    .unwrap();
    let started = pay(&f, &payer, &first.to_string_lossy()).await.unwrap();
    let batch = started.json["batch"].as_str().unwrap().to_string();
    // The whole file (the payout grew), copied to another folder with no
    // journal: reconciled as the batch the first run paid, whose id it
    // printed. The ids do not depend on the path, so rows 1-4 are found
    // paid; rows 5-6 are paid.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("payroll-copy.csv");
    std::fs::write(&copy, &text).unwrap();
    let copy = copy.to_string_lossy().into_owned();
    let out = pay_with(&f, &payer, &copy, &["--reconcile", "--batch", &batch])
        .await
        .unwrap();
    assert_eq!(
        (
            out.json["found_on_chain"].as_u64(),
            out.json["paid"].as_u64()
        ),
        (Some(4), Some(2)),
        "{}",
        out.text
    );
    assert!(out
        .text
        .starts_with("Reconciled with the chain: 4 rows found already paid"));
    assert_paid_once(&balances(&f, &recipients).await);

    // A changed amount is another row: not taken for the paid one.
    text = text.replace(",1.5,", ",1.75,");
    let changed = elsewhere.path().join("changed.csv");
    std::fs::write(&changed, &text).unwrap();
    let out = pay_with(
        &f,
        &payer,
        &changed.to_string_lossy(),
        &["--reconcile", "--batch", &batch],
    )
    .await
    .unwrap();
    assert_eq!(
        (
            out.json["found_on_chain"].as_u64(),
            out.json["paid"].as_u64()
        ),
        (Some(5), Some(1))
    );
    assert_eq!(
        f.usd1.balance(&recipients[0]).await.unwrap(),
        owed(0) + ONE + 3 * ONE / 4
    );
}

#[tokio::test]
async fn each_transfer_names_its_row_in_a_memo_the_payer_signed() {
    use usd1_cli::commands::pay::{parse_rows, ROW_MEMO_PREFIX};
    let (f, payer, _dir, file, _) = paid_file(2).await;
    let text = std::fs::read_to_string(&file).unwrap();
    let rows = parse_rows(&text, DECIMALS).unwrap();
    let batch = usd1_cli::commands::pay::default_batch(&text);
    let history = f.ledger.history(&payer.pubkey()).await.unwrap();
    for row in &rows {
        let id = row.id(&f.mint(), &batch);
        assert_eq!(id.len(), 16);
        let memo = format!(
            "{ROW_MEMO_PREFIX}{id} batch:{batch} payroll.csv:{} invoice {}",
            row.line,
            row.line - 2
        );
        assert!(
            history.iter().any(|t| t.instructions.iter().any(|ix| {
                ix.program_id == usd1_client::instructions::MEMO_PROGRAM_ID
                    && ix.data == memo.as_bytes()
                    && ix.accounts == vec![payer.pubkey()]
            })),
            "{memo}"
        );
    }
    assert_ne!(rows[0].id(&f.mint(), &batch), rows[1].id(&f.mint(), &batch));
    assert_ne!(
        rows[0].id(&f.mint(), &batch),
        rows[0].id(&f.mint(), "another-batch")
    );
}

/// Issue 22, item 11: a row identical to one of an earlier payout (same
/// line, recipient, amount and memo) is another batch's row. Reconciling a
/// second file whose journal is lost pays it, where it used to count the
/// earlier payout's transfer as its own.
#[tokio::test]
async fn reconcile_never_counts_an_identical_row_of_another_batch_as_paid() {
    let (f, payer, dir) = payer().await;
    let shared = Pubkey::new_unique();
    let november = dir.path().join("november.csv");
    std::fs::write(
        &november,
        format!(
            "recipient,amount,memo\n{shared},10,salary\n{},1,bonus\n",
            Pubkey::new_unique()
        ),
    )
    .unwrap();
    pay(&f, &payer, &november.to_string_lossy()).await.unwrap();
    assert_eq!(f.usd1.balance(&shared).await.unwrap(), 10 * ONE);

    // December: the same first row, another second row; its journal lost.
    let december = dir.path().join("december.csv");
    std::fs::write(
        &december,
        format!(
            "recipient,amount,memo\n{shared},10,salary\n{},2,bonus\n",
            Pubkey::new_unique()
        ),
    )
    .unwrap();
    let december = december.to_string_lossy().into_owned();
    let out = pay_with(&f, &payer, &december, &["--reconcile"])
        .await
        .unwrap();
    assert_eq!(
        (
            out.json["found_on_chain"].as_u64(),
            out.json["paid"].as_u64()
        ),
        (Some(0), Some(2)),
        "{}",
        out.text
    );
    assert_eq!(f.usd1.balance(&shared).await.unwrap(), 20 * ONE);
    // Reconciled again, it finds its own two rows and pays nothing.
    std::fs::remove_file(format!("{december}.journal")).unwrap();
    let again = pay_with(&f, &payer, &december, &["--reconcile"])
        .await
        .unwrap();
    assert_eq!(
        (
            again.json["found_on_chain"].as_u64(),
            again.json["paid"].as_u64()
        ),
        (Some(2), Some(0))
    );
    assert_eq!(f.usd1.balance(&shared).await.unwrap(), 20 * ONE);

    // The same file paid once more on purpose: a named batch.
    let repeat = pay_with(&f, &payer, &december, &["--batch", "2026-12-extra"]).await;
    let err = format!("{:#}", repeat.unwrap_err());
    assert!(
        err.contains("--batch"),
        "its journal is another batch's: {err}"
    );
    std::fs::remove_file(format!("{december}.journal")).unwrap();
    let repeat = pay_with(&f, &payer, &december, &["--batch", "2026-12-extra"])
        .await
        .unwrap();
    assert_eq!(repeat.json["paid"].as_u64(), Some(2));
    assert_eq!(f.usd1.balance(&shared).await.unwrap(), 30 * ONE);
    // A batch id a memo cannot carry is refused before anything is read.
    let bad = pay_with(&f, &payer, &december, &["--batch", "no spaces"]).await;
    assert!(format!("{:#}", bad.unwrap_err()).contains("a batch id is 1 to 32 letters"));
}

/// Issue 22, item 12: a transfer that lands between the sender's two
/// questions — "has it landed?" (no), "can it still land?" (no, the
/// blockhash just expired) — is found landed, not paid again.
#[tokio::test]
async fn an_attempt_landing_between_the_status_and_the_expiry_is_found_landed() {
    use usd1_client::send_journal::{outcome, Attempt, Outcome};
    let (f, payer, _dir) = payer().await;
    let recipient = Pubkey::new_unique();
    let transfer = anchor_lang::solana_program::system_instruction::transfer(
        &payer.pubkey(),
        &recipient,
        1_000_000,
    );
    let blockhash = f.ledger.latest_blockhash().await.unwrap();
    let tx = solana_sdk::transaction::Transaction::new_signed_with_payer(
        &[transfer],
        Some(&payer.pubkey()),
        &[&payer],
        blockhash,
    );
    let racing =
        usd1_tests::ledgers::FaultyLedger::landing_when_asked(f.ledger.clone(), tx.clone());
    assert_eq!(
        outcome(&racing, &[Attempt::of(&tx)]).await.unwrap(),
        Outcome::Landed(tx.signatures[0])
    );
}
