//! The canonical reserve report — every component, what of it counts toward
//! the reserve, and the attested sum — and the eligibility rules that decide
//! it. Its bytes are fixed here alone (compact JSON, fields in declaration
//! order, absent optional fields left out, components sorted by name, one
//! trailing newline); their SHA-256 is the report hash the attestation
//! carries, so an auditor matches a stored report to the chain with
//! `sha256sum` and recomputes its eligible total with [`EligibilityPolicy::apply`].
//!
//! A report without asset classes or an eligibility policy (version 1) has
//! exactly the bytes it always had.
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use usd1::instructions::AttestArgs;

use crate::format_amount;

/// Reports with no composition: every component counts.
pub const REPORT_VERSION: u32 = 1;
/// Reports whose components carry asset classes or an eligibility policy.
pub const COMPOSITION_REPORT_VERSION: u32 = 2;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Report {
    pub version: u32,
    pub mint: String,
    /// The attestation sequence number this report is for.
    pub seq: u64,
    /// When the reserve was observed (the chain's clock), unix seconds.
    pub as_of: i64,
    pub decimals: u8,
    /// The attested reserve (the eligible total) in base units, as a string
    /// so no JSON reader rounds it.
    pub reserve_base_units: String,
    /// The same, in token units.
    pub reserve: String,
    pub components: Vec<Component>,
    /// Every component's amount, eligible or not (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gross_base_units: Option<String>,
    /// The rules the eligible total was computed under (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligibility: Option<EligibilityPolicy>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Component {
    pub name: String,
    pub kind: String,
    pub location: String,
    pub amount_base_units: String,
    pub amount: String,
    /// The custodian's own as-of time, unix seconds.
    pub as_of: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holding: Option<Holding>,
    /// What of the amount counts toward the reserve (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligible_base_units: Option<String>,
    /// Why the rest does not (version 2, when some does not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ineligible_reason: Option<String>,
}

/// What a source line holds, and where.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Holding {
    pub asset_class: AssetClass,
    /// The custodian's name (a bank, a broker, a fund administrator).
    pub custodian: String,
    /// The account's label at the custodian.
    pub account: String,
    /// A Treasury bill's maturity date, `YYYY-MM-DD` (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maturity: Option<String>,
}

/// The reserve asset classes US and EU stablecoin rules accept.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum AssetClass {
    /// Demand deposits at a bank.
    Cash,
    /// US Treasury bills (with a maturity date).
    TreasuryBill,
    /// Overnight reverse repurchase agreements backed by Treasuries.
    ReverseRepo,
    /// Government money-market fund shares.
    MoneyMarketFund,
}

impl AssetClass {
    /// How a holder reads it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Cash => "Cash at banks",
            Self::TreasuryBill => "US Treasury bills",
            Self::ReverseRepo => "Overnight reverse repo",
            Self::MoneyMarketFund => "Government money-market funds",
        }
    }
}

impl fmt::Display for AssetClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What counts toward the attested reserve.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct EligibilityPolicy {
    /// Classes that count (absent: all four).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<AssetClass>>,
    /// A line with no asset class does not count.
    pub require_class: bool,
    /// Treasury bills count only up to this many days to maturity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tbill_days: Option<u32>,
    /// No custodian counts for more than this share (basis points) of the
    /// eligible reserve before this rule; its excess does not count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_custodian_share_bps: Option<u16>,
}

/// One component's amount and, for the eligibility rules, what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    pub name: &'a str,
    pub amount: u64,
    pub holding: Option<&'a Holding>,
}

/// What of one line counts, and why the rest does not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eligible {
    pub amount: u64,
    pub reason: Option<String>,
}

impl EligibilityPolicy {
    /// Checks the policy itself.
    pub fn check(&self) -> Result<(), String> {
        if self
            .max_custodian_share_bps
            .is_some_and(|bps| bps == 0 || bps > 10_000)
        {
            return Err("max_custodian_share_bps must be 1..=10000".into());
        }
        if self.classes.as_ref().is_some_and(Vec::is_empty) {
            return Err("classes must name at least one asset class".into());
        }
        Ok(())
    }

    /// What of each line counts toward a reserve as of `as_of` (unix
    /// seconds), in the order given. Exact: integer base units throughout.
    pub fn apply(&self, lines: &[Line<'_>], as_of: i64) -> Vec<Eligible> {
        let mut out: Vec<Eligible> = lines
            .iter()
            .map(|line| match self.class_rule(line, as_of) {
                Ok(()) => Eligible {
                    amount: line.amount,
                    reason: None,
                },
                Err(reason) => Eligible {
                    amount: 0,
                    reason: Some(reason),
                },
            })
            .collect();
        let Some(bps) = self.max_custodian_share_bps else {
            return out;
        };
        let total: u128 = out.iter().map(|e| u128::from(e.amount)).sum();
        let cap = total * u128::from(bps) / 10_000;
        // Lines by custodian (a line with none is its own custodian), in name order.
        let mut by_custodian: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, line) in lines.iter().enumerate() {
            let key = line
                .holding
                .map_or_else(|| format!("line {}", line.name), |h| h.custodian.clone());
            by_custodian.entry(key).or_default().push(i);
        }
        for (custodian, mut members) in by_custodian {
            let held: u128 = members.iter().map(|&i| u128::from(out[i].amount)).sum();
            let Some(mut excess) = held.checked_sub(cap).filter(|e| *e > 0) else {
                continue;
            };
            members.sort_by(|a, b| lines[*a].name.cmp(lines[*b].name).reverse());
            for i in members {
                let cut = excess.min(u128::from(out[i].amount));
                if cut == 0 {
                    continue;
                }
                // `cut` ≤ the line's amount, a u64.
                out[i].amount -= u64::try_from(cut).unwrap_or(out[i].amount);
                excess -= cut;
                out[i].reason = Some(format!(
                    "{custodian} holds more than {}.{:02}% of the eligible reserve",
                    bps / 100,
                    bps % 100
                ));
                if excess == 0 {
                    break;
                }
            }
        }
        out
    }

    fn class_rule(&self, line: &Line<'_>, as_of: i64) -> Result<(), String> {
        let Some(holding) = line.holding else {
            return if self.require_class {
                Err("no asset class".into())
            } else {
                Ok(())
            };
        };
        let class = holding.asset_class;
        if self.classes.as_ref().is_some_and(|c| !c.contains(&class)) {
            return Err(format!("{} are not accepted", class.label()));
        }
        if class == AssetClass::TreasuryBill {
            let Some(maturity) = &holding.maturity else {
                return Err("a Treasury bill with no maturity date".into());
            };
            let Some(matures) = unix_of_date(maturity) else {
                return Err(format!("maturity {maturity} is not a YYYY-MM-DD date"));
            };
            if matures <= as_of {
                return Err(format!("matured on {maturity}"));
            }
            let days = (matures - as_of).div_euclid(86_400)
                + i64::from((matures - as_of).rem_euclid(86_400) != 0);
            if let Some(max) = self.max_tbill_days {
                if days > i64::from(max) {
                    return Err(format!(
                        "matures in {days} days, beyond the {max}-day limit"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Midnight UTC of a `YYYY-MM-DD` date, in unix seconds.
pub fn unix_of_date(date: &str) -> Option<i64> {
    let mut parts = date.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

/// One source's reading as the report lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub name: String,
    pub kind: String,
    pub location: String,
    pub amount: u64,
    pub as_of: i64,
    pub holding: Option<Holding>,
}

impl Report {
    /// The report for attestation `seq`: the readings' components, and the
    /// eligible total under `policy` (none: every reading counts, and a
    /// report without asset classes is version 1). `None` if a sum does not
    /// fit in a u64.
    pub fn build(
        mint: &str,
        seq: u64,
        as_of: i64,
        decimals: u8,
        readings: &[Reading],
        policy: Option<&EligibilityPolicy>,
    ) -> Option<Self> {
        let mut readings: Vec<&Reading> = readings.iter().collect();
        readings.sort_by(|a, b| a.name.cmp(&b.name));
        let mut gross = 0u64;
        for reading in &readings {
            gross = gross.checked_add(reading.amount)?;
        }
        let composition = policy.is_some() || readings.iter().any(|r| r.holding.is_some());
        let lines: Vec<Line<'_>> = readings
            .iter()
            .map(|r| Line {
                name: &r.name,
                amount: r.amount,
                holding: r.holding.as_ref(),
            })
            .collect();
        let eligible = policy.cloned().unwrap_or_default().apply(&lines, as_of);
        let total = eligible
            .iter()
            .try_fold(0u64, |sum, e| sum.checked_add(e.amount))?;
        let components = readings
            .iter()
            .zip(&eligible)
            .map(|(r, e)| Component {
                name: r.name.clone(),
                kind: r.kind.clone(),
                location: r.location.clone(),
                amount_base_units: r.amount.to_string(),
                amount: format_amount(r.amount, decimals),
                as_of: r.as_of,
                holding: r.holding.clone(),
                eligible_base_units: composition.then(|| e.amount.to_string()),
                ineligible_reason: e.reason.clone(),
            })
            .collect();
        Some(Self {
            version: if composition {
                COMPOSITION_REPORT_VERSION
            } else {
                REPORT_VERSION
            },
            mint: mint.to_string(),
            seq,
            as_of,
            decimals,
            reserve_base_units: total.to_string(),
            reserve: format_amount(total, decimals),
            components,
            gross_base_units: composition.then(|| gross.to_string()),
            eligibility: policy.cloned(),
        })
    }

    pub fn reserve_amount(&self) -> u64 {
        // Built from a u64 by `build`; a hand-edited file that breaks this is not ours to attest.
        self.reserve_base_units.parse().unwrap_or(0)
    }

    /// The canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    pub fn sha256(&self) -> [u8; 32] {
        crate::sha256(&self.to_bytes())
    }

    pub fn attest_args(&self) -> AttestArgs {
        AttestArgs {
            seq: self.seq,
            reserve_amount: self.reserve_amount(),
            as_of: self.as_of,
            report_sha256: self.sha256(),
        }
    }

    /// The eligible amount of each component, recomputed from its amount,
    /// its holding and the report's policy: what an auditor checks the
    /// report's own figures against. `None` where an amount is unreadable.
    pub fn recomputed_eligible(&self) -> Option<Vec<u64>> {
        let amounts: Vec<u64> = self
            .components
            .iter()
            .map(|c| c.amount_base_units.parse().ok())
            .collect::<Option<_>>()?;
        let lines: Vec<Line<'_>> = self
            .components
            .iter()
            .zip(&amounts)
            .map(|(c, amount)| Line {
                name: &c.name,
                amount: *amount,
                holding: c.holding.as_ref(),
            })
            .collect();
        let policy = self.eligibility.clone().unwrap_or_default();
        Some(
            policy
                .apply(&lines, self.as_of)
                .iter()
                .map(|e| e.amount)
                .collect(),
        )
    }

    /// Whether the report's own eligible figures and total are what its
    /// components and policy give.
    pub fn is_consistent(&self) -> bool {
        let Some(recomputed) = self.recomputed_eligible() else {
            return false;
        };
        let stated: Option<Vec<u64>> = self
            .components
            .iter()
            .zip(&recomputed)
            .map(|(c, r)| match &c.eligible_base_units {
                Some(text) => text.parse().ok(),
                None => Some(*r),
            })
            .collect();
        let total: u128 = recomputed.iter().map(|e| u128::from(*e)).sum();
        stated.as_ref() == Some(&recomputed) && total == u128::from(self.reserve_amount())
    }
}

#[cfg(test)]
mod tests;
