//! What a transparency page shows, computed from the Config's transaction
//! history alone: supply against the attested reserve and its ceiling over
//! time, every attestation and who signed it, and the redemption queue's
//! record. Pure and exact (integer base units and seconds), so anyone who
//! replays the same history gets the same figures.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_with::{serde_as, DisplayFromStr};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use usd1::state::mintable_ceiling;

use crate::checkpoint::Hex32;

use crate::events::Usd1Event;
use crate::ledger::RecordedTransaction;

/// Supply, reserve and ceiling after one transaction that changed any of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub slot: u64,
    /// Unix seconds (the block's time, or the event's own when the ledger has none).
    pub unix: i64,
    pub supply: u64,
    /// The latest attested reserve (0 before the first attestation).
    pub reserve: u64,
    /// What that reserve allows under the margin then in force.
    pub ceiling: u64,
}

/// One attestation, as it landed.
#[serde_as]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationRow {
    pub seq: u64,
    pub as_of: i64,
    pub reserve: u64,
    #[serde_as(as = "Hex32")]
    pub report_sha256: [u8; 32],
    #[serde_as(as = "Vec<DisplayFromStr>")]
    pub signers: Vec<Pubkey>,
    pub slot: u64,
    /// When it landed (block time), when the ledger knows it.
    pub landed_at: Option<i64>,
    #[serde_as(as = "DisplayFromStr")]
    pub signature: Signature,
}

/// A pending request older than the disclosed settlement target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overdue {
    pub id: u64,
    pub holder: Pubkey,
    pub amount: u64,
    pub requested_at: i64,
    /// Seconds waited so far.
    pub waited: i64,
}

/// The redemption queue's record.
#[serde_as]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionRecord {
    pub requested: u64,
    pub pending: u64,
    /// Base units escrowed by pending requests.
    #[serde_as(as = "DisplayFromStr")]
    pub pending_amount: u128,
    pub settled: u64,
    #[serde_as(as = "DisplayFromStr")]
    pub settled_amount: u128,
    pub rejected: u64,
    #[serde_as(as = "DisplayFromStr")]
    pub rejected_amount: u128,
    /// Seconds from request to settlement, nearest-rank median and 95th percentile.
    pub settle_median: Option<i64>,
    pub settle_p95: Option<i64>,
    /// Settled within the target (when one is given).
    pub settled_within_target: u64,
    /// Computed as of the page's time, never kept.
    #[serde(skip)]
    pub overdue: Vec<Overdue>,
}

/// Everything the page computes from history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transparency {
    pub points: Vec<Point>,
    pub attestations: Vec<AttestationRow>,
    pub redemptions: RedemptionRecord,
    /// The margin in force at the end of the history (basis points).
    pub margin_bps: u16,
}

/// The nearest-rank `percent`th percentile of sorted `values`.
pub fn percentile(sorted: &[i64], percent: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The `format` of a transparency checkpoint.
pub const FORMAT: &str = "usd1-transparency-checkpoint";

/// What a transparency checkpoint holds: the audit's state and the page's
/// series, both after the same transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageState {
    pub audit: crate::audit::incremental::AuditState,
    pub series: Series,
}

/// A pending request: who asked, for how much, when.
#[serde_as]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Open {
    #[serde_as(as = "DisplayFromStr")]
    holder: Pubkey,
    amount: u64,
    requested_at: i64,
}

/// The page's history series, built one transaction at a time: kept in a
/// transparency checkpoint, so a page is rebuilt from the day's new
/// transactions alone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    supply: u64,
    reserve: u64,
    margin: u16,
    open: BTreeMap<u64, Open>,
    /// Seconds from request to settlement, in the order settled.
    settle_times: Vec<i64>,
    points: Vec<Point>,
    attestations: Vec<AttestationRow>,
    redemptions: RedemptionRecord,
}

impl Series {
    /// Adds one transaction of the Config's history (oldest first).
    pub fn push(&mut self, tx: &RecordedTransaction) {
        let mut changed = false;
        let mut event_time = None;
        for event in &tx.events {
            match event {
                Usd1Event::PolicyChanged(e) => {
                    self.margin = e.margin_bps;
                    changed = true;
                }
                Usd1Event::ReserveAttested(e) => {
                    self.reserve = e.reserve_amount;
                    changed = true;
                    event_time = Some(e.as_of);
                    self.attestations.push(AttestationRow {
                        seq: e.seq,
                        as_of: e.as_of,
                        reserve: e.reserve_amount,
                        report_sha256: e.report_sha256,
                        signers: e.signers.clone(),
                        slot: tx.slot,
                        landed_at: tx.block_time,
                        signature: tx.signature,
                    });
                }
                Usd1Event::Minted(e) => {
                    self.supply = e.supply;
                    changed = true;
                }
                Usd1Event::Burned(e) => {
                    self.supply = e.supply;
                    changed = true;
                }
                Usd1Event::RedemptionRequested(e) => {
                    let open = Open {
                        holder: e.holder,
                        amount: e.amount,
                        requested_at: e.requested_at,
                    };
                    self.open.insert(e.id, open);
                    self.redemptions.requested += 1;
                    event_time = Some(e.requested_at);
                }
                Usd1Event::RedemptionSettled(e) => {
                    self.open.remove(&e.id);
                    self.supply = e.supply;
                    changed = true;
                    event_time = Some(e.settled_at);
                    let r = &mut self.redemptions;
                    r.settled += 1;
                    r.settled_amount += u128::from(e.amount);
                    self.settle_times
                        .push(e.settled_at.saturating_sub(e.requested_at));
                }
                Usd1Event::RedemptionRejected(e) => {
                    self.open.remove(&e.id);
                    self.redemptions.rejected += 1;
                    self.redemptions.rejected_amount += u128::from(e.amount);
                }
                _ => {}
            }
        }
        if changed {
            let unix = tx.block_time.or(event_time).unwrap_or_default();
            self.points.push(Point {
                slot: tx.slot,
                unix,
                supply: self.supply,
                reserve: self.reserve,
                ceiling: mintable_ceiling(self.reserve, self.margin).unwrap_or(0),
            });
        }
    }

    /// The page's figures as of `now` (unix seconds), judging overdue
    /// requests against `settlement_target` seconds when one is disclosed.
    pub fn view(&self, now: i64, settlement_target: Option<i64>) -> Transparency {
        let mut settle_times = self.settle_times.clone();
        settle_times.sort_unstable();
        let mut r = self.redemptions.clone();
        r.settle_median = percentile(&settle_times, 50);
        r.settle_p95 = percentile(&settle_times, 95);
        r.pending = self.open.len() as u64;
        r.pending_amount = self.open.values().map(|o| u128::from(o.amount)).sum();
        if let Some(target) = settlement_target {
            r.settled_within_target = settle_times.iter().filter(|t| **t <= target).count() as u64;
            r.overdue = self
                .open
                .iter()
                .filter(|(_, o)| now.saturating_sub(o.requested_at) > target)
                .map(|(id, o)| Overdue {
                    id: *id,
                    holder: o.holder,
                    amount: o.amount,
                    requested_at: o.requested_at,
                    waited: now.saturating_sub(o.requested_at),
                })
                .collect();
        }
        Transparency {
            points: self.points.clone(),
            attestations: self.attestations.clone(),
            redemptions: r,
            margin_bps: self.margin,
        }
    }
}

/// Computes the page's figures from the Config's `history` (oldest first),
/// as of `now` (unix seconds), judging overdue requests against
/// `settlement_target` seconds when one is disclosed.
pub fn compute(
    history: &[RecordedTransaction],
    now: i64,
    settlement_target: Option<i64>,
) -> Transparency {
    let mut series = Series::default();
    for tx in history {
        series.push(tx);
    }
    series.view(now, settlement_target)
}

/// Basis points as a percentage with exactly two decimals ("166.94").
pub fn bps_as_percent(bps: u128) -> String {
    format!("{}.{:02}", bps / 100, bps % 100)
}

/// Coverage of `supply` by `reserve` in basis points, rounded down (`None`
/// with no supply).
pub fn coverage_bps(reserve: u64, supply: u64) -> Option<u128> {
    (supply > 0).then(|| u128::from(reserve) * 10_000 / u128::from(supply))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 95), Some(7));
        let values: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50), Some(50));
        assert_eq!(percentile(&values, 95), Some(95));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4], 95), Some(4));
    }

    #[test]
    fn coverage_is_exact_and_rounded_down() {
        assert_eq!(coverage_bps(1_000, 0), None);
        assert_eq!(coverage_bps(1_000, 1_000), Some(10_000));
        assert_eq!(coverage_bps(2, 3), Some(6_666));
        assert_eq!(
            coverage_bps(u64::MAX, 1),
            Some(u128::from(u64::MAX) * 10_000)
        );
    }
}
