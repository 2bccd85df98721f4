//! `usd1 pay --reconcile`: when the journal is lost, damaged or of other
//! file contents, find the rows *this batch* already paid in the sender's
//! on-chain history, and start a fresh journal that records them. Only
//! transfers whose memo names a row id of this batch count, so an identical
//! row (same line, recipient, amount and memo) of another payout is never
//! taken for paid.
use std::collections::HashMap;
use std::path::Path;

use anchor_spl::token_2022::spl_token_2022::instruction::TokenInstruction;
use anyhow::{bail, Context as _, Result};
use solana_sdk::hash::Hash;
use solana_sdk::signature::Signature;
use usd1_client::instructions::MEMO_PROGRAM_ID;
use usd1_client::send_journal::{self, Attempt, Outcome};
use usd1_client::{Ledger, Usd1};

use super::journal::{Entries, Journal};
use super::{default_batch, Row, PENDING_WAIT};

/// Whether any earlier attempt at a row landed, waiting for ones that still might.
pub(super) async fn landed_earlier(
    ledger: &dyn Ledger,
    attempts: &[Attempt],
) -> Result<Option<Attempt>> {
    let pending = std::future::pending();
    match send_journal::wait_for_outcome(ledger, attempts, PENDING_WAIT, pending).await? {
        Outcome::Landed(signature) => {
            Ok(attempts.iter().find(|a| a.signature == signature).copied())
        }
        Outcome::CannotLand => Ok(None),
        Outcome::MayStillLand => bail!(
            "an earlier attempt is still pending after {}s; run again later",
            PENDING_WAIT.as_secs()
        ),
    }
}

/// The rows of `rows` that the payer's on-chain history shows paid in
/// `batch`: a successful transaction whose memo, signed by the payer, names
/// the row's id in this batch, and whose transfer moved the row's amount of
/// the mint to the recipient.
pub(super) async fn paid_on_chain(
    usd1: &Usd1<dyn Ledger>,
    batch: &str,
    rows: &[Row],
) -> Result<HashMap<usize, Signature>> {
    let payer = usd1.payer().pubkey();
    let mint = usd1.mint();
    let by_id: HashMap<String, &Row> = rows.iter().map(|row| (row.id(&mint, batch), row)).collect();
    let history = usd1
        .ledger()
        .history(&payer)
        .await
        .context("cannot read the sender's history to reconcile")?;
    let mut paid = HashMap::new();
    for tx in &history {
        // Every row id a memo the payer signed names (a packed
        // transaction's shared memo names several).
        let ids = tx.instructions.iter().flat_map(|ix| {
            let signed = ix.program_id == MEMO_PROGRAM_ID && ix.accounts.contains(&payer);
            let text = signed.then(|| std::str::from_utf8(&ix.data).ok()).flatten();
            text.map(super::pack::memo_row_ids).unwrap_or_default()
        });
        for id in ids {
            let Some(row) = by_id.get(id) else { continue };
            let destination = usd1.token_account_of(&row.recipient);
            let transferred = tx.instructions.iter().any(|ix| {
                ix.program_id == usd1.token_program()
                    && ix.accounts.get(1) == Some(&mint)
                    && ix.accounts.get(2) == Some(&destination)
                    && ix.accounts.get(3) == Some(&payer)
                    && matches!(
                        TokenInstruction::unpack(&ix.data),
                        Ok(TokenInstruction::TransferChecked { amount, .. }) if amount == row.amount
                    )
            });
            if transferred {
                paid.insert(row.line, tx.signature);
            }
        }
    }
    Ok(paid)
}

/// Waits out whatever the old journal (damaged, foreign or whole) says may
/// still land, reads the chain for rows the batch already paid, and starts
/// a fresh journal that records them (the old one is kept beside it). The
/// batch is `--batch`, else the one the old journal names (a run of an
/// earlier version of the file), else the file's own. Returns the journal
/// and how many rows the chain showed paid.
pub(super) async fn reconcile(
    usd1: &Usd1<dyn Ledger>,
    path: &Path,
    digest: &str,
    batch: Option<&str>,
    text: &str,
    rows: &[Row],
) -> Result<(Journal, usize)> {
    let old_text = Journal::read(path)?;
    let old = Entries::parse(&old_text);
    let batch = batch
        .map(String::from)
        .or_else(|| Journal::batch_of(&old_text))
        .unwrap_or_else(|| default_batch(text));
    for attempts in old.attempts.values() {
        let attempts: Vec<Attempt> = attempts
            .iter()
            .filter(|a| !old.refused.contains(&a.signature))
            .copied()
            .collect();
        landed_earlier(usd1.ledger().as_ref(), &attempts).await?;
    }
    let paid = paid_on_chain(usd1, &batch, rows).await?;
    let mut journal = Journal::replace(path, digest, &batch)?;
    let mut lines: Vec<_> = paid.iter().collect();
    lines.sort();
    for (line, signature) in lines {
        let found = Attempt {
            signature: *signature,
            blockhash: Hash::default(),
            last_valid_block_height: None,
        };
        journal.record(*line, "done", &found)?;
        journal.entries.done.insert(*line);
    }
    Ok((journal, paid.len()))
}
