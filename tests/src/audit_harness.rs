//! The audit tests' helpers: the Config's history, and a report's violations by kind.
use usd1_client::audit::AuditReport;
use usd1_client::ledger::RecordedTransaction;
use usd1_client::Ledger;

use crate::Fixture;

/// Every transaction that touched the fixture's Config, oldest first.
pub async fn history(f: &Fixture) -> Vec<RecordedTransaction> {
    f.ledger.history(&f.config_address()).await.unwrap()
}

/// The kinds of the violations a report names, in order.
pub fn kinds(report: &AuditReport) -> Vec<&'static str> {
    report.violations.iter().map(|v| v.kind()).collect()
}
