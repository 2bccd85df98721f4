//! What the co-signer checks before it signs: the report against the
//! proposal and against this operator's own eligibility policy, the
//! proposal against this co-signer's own view of the chain, and the
//! reserve against what this operator's own sources show — its eligible
//! part, under its own policy and its own holdings, never the proposer's.
use usd1_client::reserve_report::EligibilityPolicy;

use super::*;

/// The first rule in which two policies differ, as a refusal names it.
pub fn policy_difference(
    report: Option<&EligibilityPolicy>,
    own: Option<&EligibilityPolicy>,
) -> Option<String> {
    let show = |value: Option<String>| value.unwrap_or_else(|| "none".into());
    let (report, own) = match (report, own) {
        (None, None) => return None,
        (Some(_), None) => {
            return Some("eligibility: the report has a policy, this co-signer has none".into())
        }
        (None, Some(_)) => {
            return Some("eligibility: the report has none, this co-signer has a policy".into())
        }
        (Some(report), Some(own)) => (report, own),
    };
    let classes = |p: &EligibilityPolicy| {
        p.classes.as_ref().map(|c| {
            let mut names: Vec<String> = c
                .iter()
                .map(|c| serde_json::to_string(c).unwrap_or_default())
                .collect();
            names.sort();
            names.join(",")
        })
    };
    let rules: [(&str, Option<String>, Option<String>); 4] = [
        ("classes", classes(report), classes(own)),
        (
            "require_class",
            Some(report.require_class.to_string()),
            Some(own.require_class.to_string()),
        ),
        (
            "max_tbill_days",
            report.max_tbill_days.map(|d| d.to_string()),
            own.max_tbill_days.map(|d| d.to_string()),
        ),
        (
            "max_custodian_share_bps",
            report.max_custodian_share_bps.map(|b| b.to_string()),
            own.max_custodian_share_bps.map(|b| b.to_string()),
        ),
    ];
    rules.into_iter().find_map(|(rule, theirs, ours)| {
        (theirs != ours).then(|| {
            format!(
                "{rule}: the report says {}, this co-signer's policy {}",
                show(theirs),
                show(ours)
            )
        })
    })
}

impl Cosigner {
    pub(super) fn check_report(&self, request: &SignRequest) -> Result<(), Refusal> {
        let report: Report = serde_json::from_str(&request.report)
            .map_err(|e| Refusal::ReportMismatch(format!("nothing readable ({e})")))?;
        let says = |what: String| Err(Refusal::ReportMismatch(what));
        if report.mint != request.mint {
            return says(format!("mint {}", report.mint));
        }
        if report.seq != request.seq {
            return says(format!("seq {}", report.seq));
        }
        if report.reserve_amount() != request.reserve_amount
            || report.reserve_base_units != request.reserve_amount.to_string()
        {
            return says(format!("reserve {} base units", report.reserve_base_units));
        }
        if report.as_of != request.as_of {
            return says(format!("as_of {}", report.as_of));
        }
        if let Some(difference) =
            policy_difference(report.eligibility.as_ref(), self.eligibility.as_ref())
        {
            return Err(Refusal::PolicyMismatch(difference));
        }
        if !report.is_consistent() {
            return says(
                "eligible figures that do not follow from its components and eligibility policy"
                    .into(),
            );
        }
        Ok(())
    }

    /// Checks the proposal against the chain; returns the chain's clock.
    pub(super) async fn check_chain(&self, request: &SignRequest) -> Result<i64, Refusal> {
        let (config, now) = self.chain().await?;
        let expected = config.latest.seq.saturating_add(1);
        if request.seq != expected {
            return Err(Refusal::WrongSeq {
                expected,
                proposed: request.seq,
            });
        }
        if !config.attestors().contains(&self.attestor()) {
            return Err(Refusal::NotRegistered(self.attestor().to_string()));
        }
        if config.latest.seq > 0 && request.as_of <= config.latest.as_of {
            return Err(Refusal::NotNewer {
                as_of: request.as_of,
                latest: config.latest.as_of,
            });
        }
        if request.as_of > now.saturating_add(MAX_FUTURE_SKEW_SECS) {
            return Err(Refusal::InFuture {
                as_of: request.as_of,
                now,
            });
        }
        if request.as_of < now.saturating_sub(config.max_submission_delay) {
            return Err(Refusal::Expired {
                as_of: request.as_of,
                now,
                max_delay: config.max_submission_delay,
            });
        }
        Ok(now)
    }

    /// Reads this co-signer's own sources now and computes, with its own
    /// holdings and its own eligibility policy, the reserve it can vouch
    /// for: the proposal may not exceed it (plus the tolerance). What the
    /// proposer wrote about classes and holdings plays no part.
    pub(super) async fn check_reserve(
        &self,
        request: &SignRequest,
        now: i64,
    ) -> Result<(), Refusal> {
        let decimals = self.usd1.decimals();
        let reads = self.sources.iter().map(|s| s.read(decimals, now));
        let results = futures::future::join_all(reads).await;
        let mut readings = Vec::with_capacity(results.len());
        for (source, result) in self.sources.iter().zip(results) {
            readings.push(result.map_err(|error| Refusal::SourceFailed {
                name: source.name().to_string(),
                error: error.to_string(),
            })?);
        }
        let own = Report::build(
            &request.mint,
            request.seq,
            request.as_of,
            decimals,
            &readings,
            self.eligibility.as_ref(),
        )
        .ok_or_else(|| Refusal::SourceFailed {
            name: "total".into(),
            error: "the sources' sum does not fit in 64 bits".into(),
        })?;
        let seen = own.reserve_amount();
        let allowed = u128::from(seen)
            .saturating_mul(10_000 + u128::from(self.tolerance_bps))
            .div_euclid(10_000);
        if u128::from(request.reserve_amount) <= allowed {
            return Ok(());
        }
        Err(if self.eligibility.is_some() {
            Refusal::EligibleNotSeen {
                proposed: request.reserve_amount,
                eligible: seen,
            }
        } else {
            Refusal::ReserveNotSeen {
                proposed: request.reserve_amount,
                seen,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use usd1_client::reserve_report::AssetClass;

    #[test]
    fn a_policy_difference_names_the_rule() {
        let own = EligibilityPolicy {
            classes: Some(vec![AssetClass::Cash, AssetClass::TreasuryBill]),
            max_tbill_days: Some(93),
            ..EligibilityPolicy::default()
        };
        assert_eq!(policy_difference(Some(&own), Some(&own)), None);
        assert_eq!(policy_difference(None, None), None);
        let reordered = EligibilityPolicy {
            classes: Some(vec![AssetClass::TreasuryBill, AssetClass::Cash]),
            ..own.clone()
        };
        assert_eq!(policy_difference(Some(&reordered), Some(&own)), None);
        let longer = EligibilityPolicy {
            max_tbill_days: Some(400),
            ..own.clone()
        };
        assert_eq!(
            policy_difference(Some(&longer), Some(&own)).unwrap(),
            "max_tbill_days: the report says 400, this co-signer's policy 93"
        );
        assert_eq!(
            policy_difference(None, Some(&own)).unwrap(),
            "eligibility: the report has none, this co-signer has a policy"
        );
        let all = EligibilityPolicy {
            classes: None,
            ..own.clone()
        };
        assert_eq!(
            policy_difference(Some(&all), Some(&own)).unwrap(),
            "classes: the report says none, this co-signer's policy \"cash\",\"treasury_bill\""
        );
    }
}
