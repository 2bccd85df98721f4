//! A day reconciled: the desk's figures from its books, the chain's (the
//! newest attestation, the supply), the report decided by
//! `usd1_client::reconciliation` and recorded.
use usd1_client::issuer::Usd1;
use usd1_client::ledger::Ledger;

use crate::store::{Store, StoreError};

/// Reconciles `date` for the issuer's `account`: the desk's figures, the
/// chain's (the newest attestation, the supply now), the report recorded
/// (a break opens a case). The report and its id.
pub async fn reconcile_day<L: Ledger + ?Sized>(
    store: &Store,
    usd1: &Usd1<L>,
    date: &str,
    account: &str,
) -> Result<(String, usd1_client::reconciliation::Report), ReconcileFailed> {
    let mut figures = store.figures(date, account).await?;
    let config = usd1.config().await?;
    figures.reserve = config.latest.reserve_amount;
    figures.reserve_as_of = config.latest.as_of;
    figures.supply = usd1.mint_info().await?.supply;
    let report = usd1_client::reconciliation::reconcile(figures);
    let id = store.record_reconciliation(&report).await?;
    Ok((id, report))
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
