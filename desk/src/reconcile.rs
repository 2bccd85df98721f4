//! A day reconciled as it stood at its end: the desk's figures from its
//! books, the chain's (the newest attestation then, the supply at the day's
//! last slot) from the Config's history, the report decided by
//! `usd1_client::reconciliation` and recorded.
use usd1_client::issuer::Usd1;
use usd1_client::ledger::{Ledger, RecordedTransaction};

use crate::store::{Store, StoreError};

/// Reconciles `date` for the issuer's `account` as it stood at the day's
/// last second (UTC): the desk's figures, the chain's (the newest
/// attestation landed by then, the supply at the day's last slot), the
/// report recorded (a break opens a case). The report and its id.
pub async fn reconcile_day<L: Ledger + ?Sized>(
    store: &Store,
    usd1: &Usd1<L>,
    date: &str,
    account: &str,
) -> Result<(String, usd1_client::reconciliation::Report), ReconcileFailed> {
    let history = usd1.ledger().history(&usd1.config_address()).await?;
    reconcile_on(store, &history, date, account).await
}

/// Reconciles each of `days` over one reading of the chain's history (how
/// `run` catches up on days not yet reconciled): each day's answer, in order.
pub async fn reconcile_days<L: Ledger + ?Sized>(
    store: &Store,
    usd1: &Usd1<L>,
    days: &[String],
    account: &str,
) -> Result<Vec<DayReconciled>, ReconcileFailed> {
    let history = usd1.ledger().history(&usd1.config_address()).await?;
    let mut answers = Vec::with_capacity(days.len());
    for day in days {
        answers.push(reconcile_on(store, &history, day, account).await);
    }
    Ok(answers)
}

/// One day's answer: the report's id and the report.
pub type DayReconciled = Result<(String, usd1_client::reconciliation::Report), ReconcileFailed>;

async fn reconcile_on(
    store: &Store,
    history: &[RecordedTransaction],
    date: &str,
    account: &str,
) -> DayReconciled {
    let mut figures = store.figures(date, account).await?;
    let end = usd1_client::reconciliation::day_end(date).unwrap_or(i64::MAX);
    let (supply, reserve, as_of) = usd1_client::reconciliation::chain_at(history, end);
    figures.supply = supply;
    figures.reserve = reserve;
    figures.reserve_as_of = as_of;
    let report = usd1_client::reconciliation::reconcile(figures);
    let id = store.record_reconciliation(&report).await?;
    Ok((id, report))
}

/// When a transaction the desk sent landed, by the chain's clock: what its
/// records and postings are dated by, so that a day's books and its supply
/// are read at the same instant (a mint landing in the day's last second
/// and recorded after midnight is that day's on both). `None` if the ledger
/// cannot say; the record, which must be made, is then dated when it is.
pub(crate) async fn landed_at<L: Ledger + ?Sized>(
    usd1: &Usd1<L>,
    signature: &solana_sdk::signature::Signature,
) -> Option<i64> {
    usd1.landed_at(signature).await.ok().flatten()
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileFailed {
    #[error(transparent)]
    Books(#[from] crate::store::reconciliations::ReconcileError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Chain(#[from] usd1_client::error::ClientError),
}
