//! What a transparency page shows, computed from the Config's transaction
//! history alone: supply against the attested reserve and its ceiling over
//! time, every attestation and who signed it, and the redemption queue's
//! record. Pure and exact (integer base units and seconds), so anyone who
//! replays the same history gets the same figures.
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use usd1::state::mintable_ceiling;

use crate::events::Usd1Event;
use crate::ledger::RecordedTransaction;

/// Supply, reserve and ceiling after one transaction that changed any of them.
#[derive(Clone, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestationRow {
    pub seq: u64,
    pub as_of: i64,
    pub reserve: u64,
    pub report_sha256: [u8; 32],
    pub signers: Vec<Pubkey>,
    pub slot: u64,
    /// When it landed (block time), when the ledger knows it.
    pub landed_at: Option<i64>,
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RedemptionRecord {
    pub requested: u64,
    pub pending: u64,
    /// Base units escrowed by pending requests.
    pub pending_amount: u128,
    pub settled: u64,
    pub settled_amount: u128,
    pub rejected: u64,
    pub rejected_amount: u128,
    /// Seconds from request to settlement, nearest-rank median and 95th percentile.
    pub settle_median: Option<i64>,
    pub settle_p95: Option<i64>,
    /// Settled within the target (when one is given).
    pub settled_within_target: u64,
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

/// Computes the page's figures from the Config's `history` (oldest first),
/// as of `now` (unix seconds), judging overdue requests against
/// `settlement_target` seconds when one is disclosed.
pub fn compute(
    history: &[RecordedTransaction],
    now: i64,
    settlement_target: Option<i64>,
) -> Transparency {
    let mut out = Transparency::default();
    let (mut supply, mut reserve, mut margin) = (0u64, 0u64, 0u16);
    // Open requests: id → (holder, amount, requested_at).
    let mut open: std::collections::BTreeMap<u64, (Pubkey, u64, i64)> = Default::default();
    let mut settle_times: Vec<i64> = Vec::new();
    for tx in history {
        let mut changed = false;
        let mut event_time = None;
        for event in &tx.events {
            match event {
                Usd1Event::PolicyChanged(e) => {
                    margin = e.margin_bps;
                    changed = true;
                }
                Usd1Event::ReserveAttested(e) => {
                    reserve = e.reserve_amount;
                    changed = true;
                    event_time = Some(e.as_of);
                    out.attestations.push(AttestationRow {
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
                    supply = e.supply;
                    changed = true;
                }
                Usd1Event::Burned(e) => {
                    supply = e.supply;
                    changed = true;
                }
                Usd1Event::RedemptionRequested(e) => {
                    open.insert(e.id, (e.holder, e.amount, e.requested_at));
                    out.redemptions.requested += 1;
                    event_time = Some(e.requested_at);
                }
                Usd1Event::RedemptionSettled(e) => {
                    open.remove(&e.id);
                    supply = e.supply;
                    changed = true;
                    event_time = Some(e.settled_at);
                    let r = &mut out.redemptions;
                    r.settled += 1;
                    r.settled_amount += u128::from(e.amount);
                    let took = e.settled_at.saturating_sub(e.requested_at);
                    settle_times.push(took);
                    if settlement_target.is_some_and(|t| took <= t) {
                        r.settled_within_target += 1;
                    }
                }
                Usd1Event::RedemptionRejected(e) => {
                    open.remove(&e.id);
                    out.redemptions.rejected += 1;
                    out.redemptions.rejected_amount += u128::from(e.amount);
                }
                _ => {}
            }
        }
        if changed {
            let unix = tx.block_time.or(event_time).unwrap_or_default();
            out.points.push(Point {
                slot: tx.slot,
                unix,
                supply,
                reserve,
                ceiling: mintable_ceiling(reserve, margin).unwrap_or(0),
            });
        }
    }
    settle_times.sort_unstable();
    let r = &mut out.redemptions;
    r.settle_median = percentile(&settle_times, 50);
    r.settle_p95 = percentile(&settle_times, 95);
    r.pending = open.len() as u64;
    r.pending_amount = open
        .values()
        .map(|(_, amount, _)| u128::from(*amount))
        .sum();
    if let Some(target) = settlement_target {
        r.overdue = open
            .iter()
            .filter(|(_, (_, _, at))| now.saturating_sub(*at) > target)
            .map(|(id, (holder, amount, at))| Overdue {
                id: *id,
                holder: *holder,
                amount: *amount,
                requested_at: *at,
                waited: now.saturating_sub(*at),
            })
            .collect();
    }
    out.margin_bps = margin;
    out
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
