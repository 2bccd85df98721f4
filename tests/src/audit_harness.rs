//! The audit tests' helpers: the Config's history, and a report's violations by kind.
use std::sync::Arc;

use usd1_client::audit::incremental::{advance, AuditState, FORMAT};
use usd1_client::audit::{audit, AuditReport};
use usd1_client::checkpoint;
use usd1_client::ledger::RecordedTransaction;
use usd1_client::{Ledger, Usd1};

use crate::ledgers::FaultyLedger;
use crate::Fixture;

/// Every transaction that touched the fixture's Config, oldest first.
pub async fn history(f: &Fixture) -> Vec<RecordedTransaction> {
    f.ledger.history(&f.config_address()).await.unwrap()
}

/// The kinds of the violations a report names, in order.
pub fn kinds(report: &AuditReport) -> Vec<&'static str> {
    report.violations.iter().map(|v| v.kind()).collect()
}

/// Issue 23: [`audit`] of `history` in one go, and again through the
/// incremental driver in five steps, the ledger showing a little more of
/// the history at each (cut anywhere, a slot's transactions included), the
/// state written to a checkpoint and read back between steps. Both must
/// agree, report and checkpoint bytes alike; and the driver in one go must
/// write those same bytes. Returns the report.
pub async fn audit_both_ways(f: &Fixture, history: &[RecordedTransaction]) -> AuditReport {
    let mint = f.mint();
    let full = audit(&mint, history);
    // A node lists a history in slot order.
    let mut listed = history.to_vec();
    listed.sort_by_key(|tx| (tx.slot, tx.position));
    let n = listed.len();
    let mut bytes: Option<Vec<u8>> = None;
    for k in 1..=5 {
        let state = bytes.as_ref().map(|b| {
            let (state, _): (AuditState, String) =
                checkpoint::decode(b, "step", FORMAT, &mint).expect("the step's checkpoint");
            state
        });
        let (state, report) = drive(f, listed[..k * n / 5].to_vec(), state).await;
        bytes = Some(checkpoint::encode(FORMAT, &mint, &state).0);
        if k == 5 {
            assert_eq!(report, full, "five steps and one go report differently");
        }
    }
    let (whole, report) = drive(f, listed, None).await;
    assert_eq!(
        report, full,
        "the driver and the pure replay report differently"
    );
    assert_eq!(
        bytes.unwrap(),
        checkpoint::encode(FORMAT, &mint, &whole).0,
        "five steps and one go write different checkpoints"
    );
    full
}

/// The driver over a ledger that shows `shown` as the Config's history:
/// the state it reaches, and its report before reconciling with the chain.
async fn drive(
    f: &Fixture,
    shown: Vec<RecordedTransaction>,
    state: Option<AuditState>,
) -> (AuditState, AuditReport) {
    let ledger = Arc::new(FaultyLedger::forging_history(f.ledger.clone(), shown));
    let usd1 = Usd1::connect(ledger, f.admin.clone(), f.mint())
        .await
        .unwrap();
    let advanced = advance(&usd1, state, 3, &mut |_| {}, &mut |_| {})
        .await
        .unwrap();
    let mut replay = advanced.state.replay.clone();
    replay.slot(&advanced.pending.iter().collect::<Vec<_>>());
    (advanced.state, replay.report())
}
