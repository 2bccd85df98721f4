//! The monthly reserve report (GENIUS Act §4(a)(1)(D)): tokens outstanding
//! at the month's end, the reserve and its composition from the last
//! attestation of the month (its report file found by the hash the chain
//! holds), the weighted average days to maturity of the Treasury bills,
//! where each category is held, the month's attestations and their
//! coverage, and its redemptions — all from the Config's history, so an
//! auditor rebuilds the same figures from the chain alone.
//!
//! A transaction belongs to the month by its block time (the event's own
//! time where a ledger has none). Outstanding supply is the `supply` the
//! last event of the month reports; burns by holders through a token
//! program outside USD1 carry no event and are not in it (the audit names
//! them).
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use thiserror::Error;

use crate::amount::format_wide_amount;
use crate::events::Usd1Event;
use crate::ledger::RecordedTransaction;
use crate::reserve_report::{unix_of_date, Report};
use crate::transparency::{coverage_bps, percentile};

mod render;
pub use render::{csv, html};

pub const FORMAT: &str = "usd1-monthly-reserve-report";
pub const VERSION: u32 = 1;

/// A calendar month in UTC: `[start, end)` in unix seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Month {
    pub label: String,
    pub start: i64,
    pub end: i64,
}

impl Month {
    /// `YYYY-MM`.
    pub fn parse(text: &str) -> Option<Self> {
        let (y, m) = text.split_once('-')?;
        let (year, month): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
        if y.len() != 4 || m.len() != 2 || !(1..=12).contains(&month) {
            return None;
        }
        let (ny, nm) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        Some(Self {
            label: text.to_string(),
            start: unix_of_date(&format!("{year:04}-{month:02}-01"))?,
            end: unix_of_date(&format!("{ny:04}-{nm:02}-01"))?,
        })
    }
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MonthlyError {
    #[error("MonthNotOver: {month} ends at {end} (unix); the chain's clock is {now}")]
    MonthNotOver { month: String, end: i64, now: i64 },
    #[error("NoAttestation: no attestation had landed by the end of {month}")]
    NoAttestation { month: String },
    #[error(
        "ReportNotSupplied: the report of attestation #{seq} (sha256 {sha256}) is not among the files given"
    )]
    ReportNotSupplied { seq: u64, sha256: String },
    #[error("ReportMismatch: the report hashed {sha256} says {what}")]
    ReportMismatch { sha256: String, what: String },
}

/// A figure in base units and in token units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Figure {
    pub base_units: String,
    pub amount: String,
}

impl Figure {
    fn of(units: u128, decimals: u8) -> Self {
        Self {
            base_units: units.to_string(),
            amount: format_wide_amount(units, decimals),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outstanding {
    #[serde(flatten)]
    pub figure: Figure,
    /// The last slot of the month that changed supply (0: none ever did).
    pub slot: u64,
}

/// One asset category of the reserve, and where it is held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Category {
    pub category: String,
    pub amount: Figure,
    /// What of it counts toward the attested reserve.
    pub eligible: Figure,
    /// Share of the reserve's gross amount, basis points (rounded down).
    pub share_bps: u128,
    pub custodians: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reserve {
    pub seq: u64,
    /// The attestation landed within the month (otherwise the one in force at its end).
    pub attested_in_month: bool,
    pub as_of: i64,
    pub reserve: Figure,
    pub report_sha256: String,
    pub report_file: String,
    pub composition: Vec<Category>,
    /// Weighted average days to maturity of the Treasury bills, one decimal.
    pub tbill_wam_days: Option<String>,
    /// Reserve over outstanding at the month's end, basis points.
    pub coverage_bps: Option<u128>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttestationLine {
    pub seq: u64,
    pub as_of: i64,
    pub landed_at: i64,
    pub reserve: Figure,
    pub report_sha256: String,
    /// Outstanding when it landed, and its coverage.
    pub outstanding: Figure,
    pub coverage_bps: Option<u128>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Redemptions {
    pub requested: u64,
    pub requested_base_units: String,
    pub settled: u64,
    pub settled_base_units: String,
    pub rejected: u64,
    pub rejected_base_units: String,
    /// Seconds from request to settlement of those settled in the month.
    pub settle_median_secs: Option<i64>,
    pub settle_p95_secs: Option<i64>,
    pub settle_max_secs: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthlyReport {
    pub format: String,
    pub version: u32,
    pub mint: String,
    pub month: String,
    pub period_start: i64,
    pub period_end: i64,
    pub decimals: u8,
    pub outstanding: Outstanding,
    pub reserve: Reserve,
    pub attestations: Vec<AttestationLine>,
    pub lowest_coverage_bps: Option<u128>,
    pub redemptions: Redemptions,
}

/// The regular files of `dir` by their SHA-256 (hex): (file name, bytes).
/// Symbolic links and folders are skipped, never followed.
pub fn files_by_hash(
    dir: &std::path::Path,
) -> std::io::Result<BTreeMap<String, (String, Vec<u8>)>> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        // The entry's own type: a symbolic link is a link, whatever it names.
        if !entry.file_type()?.is_file() {
            continue;
        }
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(String::from) else {
            continue;
        };
        let bytes = std::fs::read(&path)?;
        found.insert(crate::hex(&crate::sha256(&bytes)), (name, bytes));
    }
    Ok(found)
}

/// When `tx` happened: its block time, else the first time an event gives.
fn time_of(tx: &RecordedTransaction) -> Option<i64> {
    tx.block_time.or_else(|| {
        tx.events.iter().find_map(|e| match e {
            Usd1Event::ReserveAttested(e) => Some(e.as_of),
            Usd1Event::RedemptionRequested(e) => Some(e.requested_at),
            Usd1Event::RedemptionSettled(e) => Some(e.settled_at),
            Usd1Event::RedemptionRejected(e) => Some(e.rejected_at),
            _ => None,
        })
    })
}

/// Builds the report of `month` from the Config's `history` (oldest first)
/// and the report files supplied (SHA-256 hex → (file name, bytes)).
pub fn build(
    mint: &str,
    decimals: u8,
    month: &Month,
    history: &[RecordedTransaction],
    reports: &BTreeMap<String, (String, Vec<u8>)>,
) -> Result<MonthlyReport, MonthlyError> {
    let fig = |units: u128| Figure::of(units, decimals);
    let (mut supply, mut slot) = (0u64, 0u64);
    let mut latest: Option<(usd1::events::ReserveAttested, bool)> = None;
    let mut attestations: Vec<AttestationLine> = Vec::new();
    let (mut requested, mut settled, mut rejected) = ((0, 0u128), (0, 0u128), (0, 0u128));
    let mut settle_times = Vec::new();
    let mut last_time = i64::MIN;
    for tx in history {
        // Without a block time or an event's own, the last time seen.
        let at = time_of(tx).unwrap_or(last_time);
        last_time = last_time.max(at);
        if at >= month.end {
            break;
        }
        let in_month = at >= month.start;
        let mut attested_here = None;
        for event in &tx.events {
            match event {
                Usd1Event::Minted(e) => (supply, slot) = (e.supply, tx.slot),
                Usd1Event::Burned(e) => (supply, slot) = (e.supply, tx.slot),
                Usd1Event::RedemptionSettled(e) => {
                    (supply, slot) = (e.supply, tx.slot);
                    if in_month {
                        settled = (settled.0 + 1, settled.1 + u128::from(e.amount));
                        settle_times.push(e.settled_at.saturating_sub(e.requested_at));
                    }
                }
                Usd1Event::RedemptionRequested(e) if in_month => {
                    requested = (requested.0 + 1, requested.1 + u128::from(e.amount));
                }
                Usd1Event::RedemptionRejected(e) if in_month => {
                    rejected = (rejected.0 + 1, rejected.1 + u128::from(e.amount));
                }
                Usd1Event::ReserveAttested(e) => {
                    latest = Some((e.clone(), in_month));
                    attested_here = in_month.then(|| e.clone());
                }
                _ => {}
            }
        }
        // Coverage as the attestation's own transaction left supply.
        if let Some(e) = attested_here {
            attestations.push(AttestationLine {
                seq: e.seq,
                as_of: e.as_of,
                landed_at: at,
                reserve: fig(e.reserve_amount.into()),
                report_sha256: crate::hex(&e.report_sha256),
                outstanding: fig(supply.into()),
                coverage_bps: coverage_bps(e.reserve_amount, supply),
            });
        }
    }
    let (attested, attested_in_month) = latest.ok_or_else(|| MonthlyError::NoAttestation {
        month: month.label.clone(),
    })?;
    let sha = crate::hex(&attested.report_sha256);
    let (file, bytes) = reports
        .get(&sha)
        .ok_or_else(|| MonthlyError::ReportNotSupplied {
            seq: attested.seq,
            sha256: sha.clone(),
        })?;
    let mismatch = |what: String| MonthlyError::ReportMismatch {
        sha256: sha.clone(),
        what,
    };
    let report: Report =
        serde_json::from_slice(bytes).map_err(|e| mismatch(format!("nothing readable ({e})")))?;
    if report.seq != attested.seq || report.reserve_amount() != attested.reserve_amount {
        return Err(mismatch(format!(
            "seq {} and reserve {}; the chain attested seq {} and reserve {}",
            report.seq,
            report.reserve_amount(),
            attested.seq,
            attested.reserve_amount
        )));
    }
    // A report of another moment (or another mint) is not the reserve the
    // attestation vouched for, whatever its hash.
    if report.as_of != attested.as_of {
        return Err(mismatch(format!(
            "as_of {} (unix seconds); the chain attested as_of {}",
            report.as_of, attested.as_of
        )));
    }
    if report.mint != mint {
        return Err(mismatch(format!(
            "mint {}; the attestation is of {mint}",
            report.mint
        )));
    }
    let (composition, tbill_wam_days) = composition(&report, decimals).map_err(mismatch)?;
    settle_times.sort_unstable();
    let units = |n: u128| n.to_string();
    Ok(MonthlyReport {
        format: FORMAT.into(),
        version: VERSION,
        mint: mint.to_string(),
        month: month.label.clone(),
        period_start: month.start,
        period_end: month.end,
        decimals,
        outstanding: Outstanding {
            figure: fig(supply.into()),
            slot,
        },
        reserve: Reserve {
            seq: attested.seq,
            attested_in_month,
            as_of: attested.as_of,
            reserve: fig(attested.reserve_amount.into()),
            report_sha256: sha.clone(),
            report_file: file.clone(),
            composition,
            tbill_wam_days,
            coverage_bps: coverage_bps(attested.reserve_amount, supply),
        },
        lowest_coverage_bps: attestations.iter().filter_map(|a| a.coverage_bps).min(),
        attestations,
        redemptions: Redemptions {
            requested: requested.0,
            requested_base_units: units(requested.1),
            settled: settled.0,
            settled_base_units: units(settled.1),
            rejected: rejected.0,
            rejected_base_units: units(rejected.1),
            settle_median_secs: percentile(&settle_times, 50),
            settle_p95_secs: percentile(&settle_times, 95),
            settle_max_secs: settle_times.last().copied(),
        },
    })
}

/// The report's components by asset category (gross, eligible, share,
/// custodians), largest first, and the bills' weighted average days to
/// maturity from the report's as-of time. Every sum is checked.
fn composition(report: &Report, decimals: u8) -> Result<(Vec<Category>, Option<String>), String> {
    let mut by: BTreeMap<String, (u128, u128, BTreeSet<String>)> = BTreeMap::new();
    let (mut bill_amount, mut bill_weighted) = (0u128, 0u128);
    let mut gross = 0u128;
    for c in &report.components {
        let bad = || format!("component {} has an unreadable amount", c.name);
        let amount: u64 = c.amount_base_units.parse().map_err(|_| bad())?;
        let eligible: u64 = match &c.eligible_base_units {
            Some(text) => text.parse().map_err(|_| bad())?,
            None => amount,
        };
        let (category, custodian) = match &c.holding {
            Some(h) => (h.asset_class.label().to_string(), h.custodian.clone()),
            None => ("Unclassified".to_string(), c.name.clone()),
        };
        let entry = by.entry(category).or_default();
        entry.0 += u128::from(amount);
        entry.1 += u128::from(eligible);
        entry.2.insert(custodian);
        gross += u128::from(amount);
        if let Some(maturity) = c.holding.as_ref().and_then(|h| h.maturity.as_deref()) {
            let due = unix_of_date(maturity)
                .ok_or_else(|| format!("component {} matures on '{maturity}'", c.name))?;
            let seconds = u128::try_from(due.saturating_sub(report.as_of).max(0)).unwrap_or(0);
            bill_amount += u128::from(amount);
            bill_weighted = bill_weighted
                .checked_add(u128::from(amount) * seconds)
                .ok_or("the bills' weights overflow")?;
        }
    }
    let mut categories: Vec<Category> = by
        .into_iter()
        .map(|(category, (amount, eligible, custodians))| Category {
            category,
            amount: Figure::of(amount, decimals),
            eligible: Figure::of(eligible, decimals),
            share_bps: (amount * 10_000).checked_div(gross).unwrap_or(0),
            custodians: custodians.into_iter().collect(),
        })
        .collect();
    categories.sort_by(|a, b| {
        let units = |c: &Category| c.amount.base_units.parse::<u128>().unwrap_or(0);
        units(b).cmp(&units(a)).then(a.category.cmp(&b.category))
    });
    // Tenths of a day, rounded down.
    let wam = (bill_amount > 0).then(|| {
        let tenths = bill_weighted * 10 / (bill_amount * 86_400);
        format!("{}.{}", tenths / 10, tenths % 10)
    });
    Ok((categories, wam))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_runs_from_its_first_midnight_to_the_next() {
        let december = Month::parse("2026-12").unwrap();
        assert_eq!(december.start, unix_of_date("2026-12-01").unwrap());
        assert_eq!(december.end, unix_of_date("2027-01-01").unwrap());
        let february = Month::parse("2028-02").unwrap();
        assert_eq!(february.end - february.start, 29 * 86_400);
        for bad in ["2026-13", "2026-1", "26-11", "2026-11-01", "", "2026-00"] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }
}
