//! Paying one packed group: every row of its transaction journaled `sent`
//! (one sync) before it leaves, `done` together when it lands. When the
//! chain refuses it because of one row (a frozen recipient, a closed
//! account: the failing instruction is that row's), that row fails alone
//! with the named error and the others go out again in a new transaction —
//! the refused one cannot land, so no row is paid twice. A transaction over
//! its compute budget is sent again one row per transaction. A transaction
//! known never to land (expired, unlanded) is journaled `expired` and its
//! rows go again; any other error leaves them `sent`, for the next run to
//! find out (a send-time error is never taken for the chain's refusal).
use std::collections::VecDeque;

use solana_sdk::instruction::InstructionError;
use solana_sdk::transaction::TransactionError;
use usd1_client::send_journal::{self, Attempt, SendRecordedError};
use usd1_client::{ClientError, Ledger, Usd1};

use super::journal::{GroupJournal, Journal};
use super::pack::{self, Group, Packing};
use super::Row;

/// A group's transactions that may expire unlanded (a node that drops them)
/// before its rows are reported failed.
const MAX_EXPIRATIONS: u32 = 3;

/// What paying one group came to.
#[derive(Default)]
pub(super) struct GroupOutcome {
    pub paid: Vec<Row>,
    pub failed: Vec<(Row, String)>,
    /// Transactions sent (refused ones too).
    pub transactions: usize,
    /// Fees of the transactions that landed, in lamports.
    pub fees: u64,
}

pub(super) async fn pay_group(
    usd1: &Usd1<dyn Ledger>,
    journal: &Journal,
    name: &str,
    group: Group,
    packing: &Packing,
) -> GroupOutcome {
    let mut outcome = GroupOutcome::default();
    let mut queue = VecDeque::from([group]);
    let mut expirations = 0;
    while let Some(mut group) = queue.pop_front() {
        if group.rows.is_empty() {
            continue;
        }
        let fail_all = |outcome: &mut GroupOutcome, group: Group, error: String| {
            outcome
                .failed
                .extend(group.rows.into_iter().map(|row| (row, error.clone())));
        };
        let built = match pack::build(usd1, &group, packing, &journal.batch, name) {
            Ok(built) => built,
            Err(error) => {
                fail_all(&mut outcome, group, error);
                continue;
            }
        };
        let blockhash = match usd1.ledger().latest_blockhash().await {
            Ok(blockhash) => blockhash,
            Err(error) => {
                fail_all(&mut outcome, group, error.to_string());
                continue;
            }
        };
        let transaction = match usd1.transaction(&built.instructions, &[], blockhash) {
            Ok(transaction) => transaction,
            Err(error) => {
                fail_all(&mut outcome, group, error.to_string());
                continue;
            }
        };
        let attempt = Attempt::sent_through(usd1.ledger().as_ref(), &transaction);
        let lines: Vec<usize> = group.rows.iter().map(|r| r.line).collect();
        let mut group_journal = GroupJournal {
            journal,
            lines: &lines,
        };
        let sent = send_journal::send_recorded_quiet(
            usd1.ledger().as_ref(),
            &mut group_journal,
            &transaction,
        )
        .await;
        if !matches!(sent, Err(SendRecordedError::Journal(_))) {
            outcome.transactions += 1;
        }
        match sent {
            Ok(_) => match journal.record_all(&lines, "done", &attempt) {
                Ok(()) => {
                    outcome.fees = outcome.fees.saturating_add(built.fee(packing));
                    outcome.paid.extend(group.rows);
                }
                Err(error) => fail_all(&mut outcome, group, format!("{error:#}")),
            },
            Err(SendRecordedError::Journal(error)) => {
                fail_all(&mut outcome, group, error.to_string())
            }
            // Known never to land: its rows may go again, in a new transaction.
            Err(SendRecordedError::Send(ClientError::Expired { signature, why })) => {
                if let Err(error) = journal.record_all(&lines, "expired", &attempt) {
                    fail_all(&mut outcome, group, format!("{error:#}"));
                    continue;
                }
                expirations += 1;
                if expirations > MAX_EXPIRATIONS {
                    let error = format!(
                        "transaction {signature} {why}, the {expirations}th to expire unlanded; nothing paid (re-run to retry)"
                    );
                    fail_all(&mut outcome, group, error);
                } else {
                    queue.push_front(group);
                }
            }
            // The chain's verdict, at the commitment or in the preflight.
            Err(SendRecordedError::Send(ClientError::Failed { failure, .. })) => {
                if let Err(error) = journal.record_all(&lines, "failed", &attempt) {
                    fail_all(&mut outcome, group, format!("{error:#}"));
                    continue;
                }
                match &failure.error {
                    TransactionError::InstructionError(
                        _,
                        InstructionError::ComputationalBudgetExceeded,
                    ) if group.rows.len() > 1 => {
                        for (row, create) in group.rows.into_iter().zip(group.create) {
                            queue.push_back(Group {
                                rows: vec![row],
                                create: vec![create],
                            });
                        }
                    }
                    TransactionError::InstructionError(index, _) => {
                        match built.row_of.get(usize::from(*index)).copied().flatten() {
                            // That row fails alone; the others go again.
                            Some(at) => {
                                let row = group.rows.remove(at);
                                group.create.remove(at);
                                outcome.failed.push((row, failure.to_string()));
                                queue.push_front(group);
                            }
                            None => fail_all(&mut outcome, group, failure.to_string()),
                        }
                    }
                    _ => fail_all(&mut outcome, group, failure.to_string()),
                }
            }
            Err(SendRecordedError::Send(other)) => fail_all(
                &mut outcome,
                group,
                format!("{other} (re-run to check and retry)"),
            ),
        }
    }
    outcome
}
