//! A round's decisions, apart from any I/O: which seq and as-of time the
//! next attestation takes, whether an earlier proposal is reused, and
//! whether a reserve is attested, skipped as unchanged, or refused as a drop.
//! The daemon reads the chain and the sources, asks these, and acts.
use usd1_client::reserve_report::Report;

/// Co-signers' proposals are re-used only while this far inside the
/// submission delay.
pub const REPROPOSE_MARGIN_SECS: i64 = 60;

/// The chain as one round saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainView {
    pub latest_seq: u64,
    pub latest_reserve: u64,
    pub latest_as_of: i64,
    /// The latest attestation's attestor set was replaced: mints wait for
    /// the new set, whatever its age.
    pub latest_retired: bool,
    pub max_attestation_age: i64,
    pub max_submission_delay: i64,
    /// The chain's clock.
    pub now: i64,
}

/// The operator's rules for a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Re-attest an unchanged reserve once the latest attestation is this
    /// old; `None`: half the program's max attestation age.
    pub heartbeat_secs: Option<u64>,
    pub max_drop_bps: u16,
    /// An operator confirmed the drop (`--allow-drop`).
    pub allow_drop: bool,
}

/// What to do with a reserve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Attest it; `heartbeat` when the reserve is unchanged but the latest
    /// attestation is old enough to renew.
    Attest { heartbeat: bool },
    /// Unchanged and young enough: nothing to send.
    Unchanged { seq: u64, age_secs: i64 },
    /// A drop above the limit, not confirmed: refuse and raise the alarm.
    DropAlarm { drop_bps: u128, max_bps: u16 },
}

/// The seq and as-of time of the attestation after the chain's latest
/// (`None` once seq is exhausted): as of now, and always newer than the
/// latest, as the program requires.
pub fn next(view: &ChainView) -> Option<(u64, i64)> {
    let seq = usd1_client::attestation::next_seq(view.latest_seq)?;
    let as_of = if view.latest_seq == 0 {
        view.now
    } else {
        view.now.max(view.latest_as_of.saturating_add(1))
    };
    Some((seq, as_of))
}

/// Whether `earlier`, a report proposed to co-signers for the same seq in an
/// earlier round, is proposed again: co-signers never sign a second digest
/// for a seq while the first can still land.
pub fn reuse(earlier: &Report, mint: &str, view: &ChainView) -> bool {
    let fresh_until = earlier
        .as_of
        .saturating_add(view.max_submission_delay)
        .saturating_sub(REPROPOSE_MARGIN_SECS);
    earlier.mint == mint
        && (view.latest_seq == 0 || earlier.as_of > view.latest_as_of)
        && view.now <= fresh_until
}

/// What to do with `reserve`, given the chain and the rules.
pub fn decide(view: &ChainView, rules: &Rules, reserve: u64) -> Decision {
    if view.latest_seq == 0 {
        return Decision::Attest { heartbeat: false };
    }
    if reserve < view.latest_reserve {
        let drop = u128::from(view.latest_reserve - reserve);
        // Rounded up, so a drop just over the threshold is not let through.
        let drop_bps = (drop * 10_000).div_ceil(u128::from(view.latest_reserve));
        if drop_bps > u128::from(rules.max_drop_bps) && !rules.allow_drop {
            return Decision::DropAlarm {
                drop_bps,
                max_bps: rules.max_drop_bps,
            };
        }
    }
    if reserve != view.latest_reserve || view.latest_retired {
        return Decision::Attest { heartbeat: false };
    }
    let age_secs = view.now.saturating_sub(view.latest_as_of);
    let heartbeat_after = rules
        .heartbeat_secs
        .map_or(view.max_attestation_age / 2, |h| {
            i64::try_from(h).unwrap_or(i64::MAX)
        });
    if age_secs < heartbeat_after {
        Decision::Unchanged {
            seq: view.latest_seq,
            age_secs,
        }
    } else {
        Decision::Attest { heartbeat: true }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIEW: ChainView = ChainView {
        latest_seq: 7,
        latest_reserve: 1_000_000,
        latest_as_of: 10_000,
        latest_retired: false,
        max_attestation_age: 3_600,
        max_submission_delay: 900,
        now: 10_100,
    };
    const RULES: Rules = Rules {
        heartbeat_secs: None,
        max_drop_bps: 100,
        allow_drop: false,
    };

    #[test]
    fn decides_each_case_by_the_table() {
        let old = ChainView {
            now: 10_000 + 1_800,
            ..VIEW
        };
        let cases: Vec<(&str, ChainView, Rules, u64, Decision)> = vec![
            (
                "first attestation",
                ChainView {
                    latest_seq: 0,
                    latest_reserve: 0,
                    ..VIEW
                },
                RULES,
                5,
                Decision::Attest { heartbeat: false },
            ),
            (
                "reserve up",
                VIEW,
                RULES,
                1_000_001,
                Decision::Attest { heartbeat: false },
            ),
            (
                "small drop",
                VIEW,
                RULES,
                990_000,
                Decision::Attest { heartbeat: false },
            ),
            (
                "drop a hair over 1%",
                VIEW,
                RULES,
                989_999,
                Decision::DropAlarm {
                    drop_bps: 101,
                    max_bps: 100,
                },
            ),
            (
                "drop confirmed",
                VIEW,
                Rules {
                    allow_drop: true,
                    ..RULES
                },
                1,
                Decision::Attest { heartbeat: false },
            ),
            (
                "unchanged and young",
                VIEW,
                RULES,
                1_000_000,
                Decision::Unchanged {
                    seq: 7,
                    age_secs: 100,
                },
            ),
            (
                "unchanged at half the max age",
                old,
                RULES,
                1_000_000,
                Decision::Attest { heartbeat: true },
            ),
            (
                "unchanged, own heartbeat",
                VIEW,
                Rules {
                    heartbeat_secs: Some(100),
                    ..RULES
                },
                1_000_000,
                Decision::Attest { heartbeat: true },
            ),
            (
                "unchanged but retired",
                ChainView {
                    latest_retired: true,
                    ..VIEW
                },
                RULES,
                1_000_000,
                Decision::Attest { heartbeat: false },
            ),
        ];
        for (case, view, rules, reserve, expected) in cases {
            assert_eq!(decide(&view, &rules, reserve), expected, "{case}");
        }
    }

    #[test]
    fn the_next_attestation_is_newer_than_the_latest() {
        assert_eq!(
            next(&ChainView {
                latest_seq: 0,
                ..VIEW
            }),
            Some((1, 10_100))
        );
        assert_eq!(next(&VIEW), Some((8, 10_100)));
        // A chain clock behind the latest as-of still moves forward.
        assert_eq!(next(&ChainView { now: 9_000, ..VIEW }), Some((8, 10_001)));
        assert_eq!(
            next(&ChainView {
                latest_seq: u64::MAX,
                ..VIEW
            }),
            None
        );
    }

    #[test]
    fn an_earlier_proposal_is_reused_only_while_it_can_still_land() {
        let report = |mint: &str, as_of: i64| Report {
            version: 1,
            mint: mint.into(),
            seq: 8,
            as_of,
            decimals: 6,
            reserve_base_units: "1".into(),
            reserve: "0.000001".into(),
            components: vec![],
            gross_base_units: None,
            eligibility: None,
        };
        assert!(reuse(&report("M", 10_050), "M", &VIEW));
        assert!(
            !reuse(&report("other", 10_050), "M", &VIEW),
            "another mint's"
        );
        assert!(
            !reuse(&report("M", 10_000), "M", &VIEW),
            "not newer than the latest"
        );
        let late = ChainView {
            now: 10_050 + 900 - 59,
            ..VIEW
        };
        assert!(
            !reuse(&report("M", 10_050), "M", &late),
            "too close to the delay"
        );
    }
}
