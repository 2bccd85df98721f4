//! Paying one packed group: every row of its transaction journaled `sent`
//! (one sync) before it leaves, `done` together when it lands. When the
//! chain refuses it because of one row (a frozen recipient, a closed
//! account: the failing instruction is that row's), that row fails alone
//! with the named error and the others go out again in a new transaction —
//! the refused one cannot land, so no row is paid twice. A transaction over
//! its compute budget is sent again one row per transaction.
use std::collections::VecDeque;

use solana_sdk::instruction::InstructionError;
use solana_sdk::transaction::TransactionError;
use usd1_client::send_journal::{self, SendRecordedError};
use usd1_client::{ClientError, Ledger, Usd1};

use super::journal::{GroupJournal, Journal};
use super::pack::{self, Group, Packing};
use super::Row;

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
        let signature = transaction.signatures[0];
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
            Ok(_) => match journal.record_all(&lines, "done", &signature, &blockhash) {
                Ok(()) => {
                    outcome.fees = outcome.fees.saturating_add(built.fee(packing));
                    outcome.paid.extend(group.rows);
                }
                Err(error) => fail_all(&mut outcome, group, format!("{error:#}")),
            },
            Err(SendRecordedError::Journal(error)) => {
                fail_all(&mut outcome, group, error.to_string())
            }
            Err(SendRecordedError::Send(ClientError::Failed { failure, .. })) => {
                if let Err(error) = journal.record_all(&lines, "failed", &signature, &blockhash) {
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
