//! What the gateway tells an operator and a load balancer about itself:
//! `/health` (the process answers), `/ready` (the database answers, the
//! watcher passed lately and reached the node, the deliverer goes round),
//! and `/metrics` in the Prometheus text format. Components report here;
//! an outage is logged once when it starts and once when it ends, with how
//! long it lasted, however many passes fail in between.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::rescreen::ListsState;

/// A component's state.
#[derive(Clone, Debug, Default)]
struct Component {
    last_ok: Option<Instant>,
    /// Since when it fails, and why (the first cause).
    failing: Option<(Instant, String)>,
}

#[derive(Default)]
struct Inner {
    components: BTreeMap<&'static str, Component>,
    requests: BTreeMap<(String, u16), u64>,
    database_errors: u64,
    deliveries: BTreeMap<&'static str, u64>,
    /// The node's slot when the last pass began, and the last such slot of
    /// a pass that succeeded (everything up to it recorded).
    node_slot: u64,
    watched_slot: u64,
    last_pass: Option<Instant>,
}

pub struct Health {
    inner: Mutex<Inner>,
}

/// One check of `/ready`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Check {
    pub ok: bool,
    pub detail: String,
}

/// `/ready`'s (and `/health`'s) answer: the oracle's shape, with each check.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Ready {
    pub healthy: bool,
    pub problems: Vec<String>,
    pub checks: BTreeMap<&'static str, Check>,
    pub screening: ListsState,
}

/// How recently the watcher must have passed, and the deliverer gone round.
pub const WATCHER_STALE: Duration = Duration::from_secs(30);
pub const DELIVERER_STALE: Duration = Duration::from_secs(15);
/// The longest a failing component waits before trying again.
pub use usd1_service::delivery::MAX_BACKOFF;

impl usd1_service::delivery::Report for Health {
    fn ok(&self, component: &'static str) {
        Health::ok(self, component)
    }
    fn failed(&self, component: &'static str, error: &str, database: bool) {
        Health::failed(self, component, error, database)
    }
    fn delivered(&self, outcome: &'static str) {
        Health::delivered(self, outcome)
    }
}

impl Default for Health {
    fn default() -> Self {
        Health {
            inner: Mutex::new(Inner::default()),
        }
    }
}

impl Health {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// `name` did its work: an outage that was going on ends (logged once).
    pub fn ok(&self, name: &'static str) {
        let ended = self.with(|inner| {
            let component = inner.components.entry(name).or_default();
            component.last_ok = Some(Instant::now());
            component.failing.take()
        });
        if let Some((since, _)) = ended {
            eprintln!(
                "usd1-gateway: {name}: back after {:.1} s",
                since.elapsed().as_secs_f64()
            );
        }
    }

    /// `name` failed: an outage starts (logged once, with its cause).
    pub fn failed(&self, name: &'static str, error: &str, database: bool) {
        let started = self.with(|inner| {
            if database {
                inner.database_errors += 1;
            }
            let component = inner.components.entry(name).or_default();
            if component.failing.is_some() {
                return false;
            }
            component.failing = Some((Instant::now(), error.to_string()));
            true
        });
        if started {
            eprintln!("usd1-gateway: {name}: {error} (said once; the end is logged too)");
        }
    }

    /// How long `name` has been failing, if it is.
    pub fn failing_for(&self, name: &'static str) -> Option<Duration> {
        self.with(|inner| {
            inner
                .components
                .get(name)
                .and_then(|c| c.failing.as_ref())
                .map(|(since, _)| since.elapsed())
        })
    }

    pub fn request(&self, route: &str, status: u16) {
        self.with(|inner| {
            *inner
                .requests
                .entry((route.to_string(), status))
                .or_default() += 1
        });
    }

    pub fn database_error(&self) {
        self.with(|inner| inner.database_errors += 1);
    }

    pub fn delivered(&self, outcome: &'static str) {
        self.with(|inner| *inner.deliveries.entry(outcome).or_default() += 1);
    }

    /// A pass began with the node at `slot`.
    pub fn node_at(&self, slot: u64) {
        self.with(|inner| inner.node_slot = slot);
    }

    /// A pass that began at `slot` recorded everything up to it.
    pub fn watched(&self, slot: u64) {
        self.with(|inner| {
            inner.watched_slot = slot;
            inner.last_pass = Some(Instant::now());
        });
    }

    /// The readiness, given whether the database answers now and the lists.
    pub fn ready(&self, database: Result<(), String>, screening: ListsState) -> Ready {
        let mut checks = BTreeMap::new();
        checks.insert(
            "database",
            Check {
                ok: database.is_ok(),
                detail: database.err().unwrap_or_else(|| "answers".into()),
            },
        );
        self.with(|inner| {
            let recent = |name: &str, within: Duration| -> Check {
                let component = inner.components.get(name).cloned().unwrap_or_default();
                match (&component.failing, component.last_ok) {
                    (Some((since, why)), _) => Check {
                        ok: false,
                        detail: format!("failing for {} s: {why}", since.elapsed().as_secs()),
                    },
                    (None, Some(at)) if at.elapsed() <= within => Check {
                        ok: true,
                        detail: format!("{:.1} s ago", at.elapsed().as_secs_f64()),
                    },
                    (None, Some(at)) => Check {
                        ok: false,
                        detail: format!("last worked {} s ago", at.elapsed().as_secs()),
                    },
                    (None, None) => Check {
                        ok: false,
                        detail: "not run yet".into(),
                    },
                }
            };
            checks.insert("watcher", recent("watcher", WATCHER_STALE));
            checks.insert("node", recent("node", WATCHER_STALE));
            checks.insert("deliverer", recent("deliverer", DELIVERER_STALE));
        });
        let problems: Vec<String> = checks
            .iter()
            .filter(|(_, c)| !c.ok)
            .map(|(name, c)| format!("{name}: {}", c.detail))
            .collect();
        Ready {
            healthy: problems.is_empty(),
            problems,
            checks,
            screening,
        }
    }

    /// The Prometheus text exposition. `outbox` is (pending deliveries,
    /// oldest pending's age in seconds, dead letters) when the database answered.
    pub fn render(&self, ready: &Ready, outbox: Option<(i64, i64, i64)>) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, samples: Vec<(String, String)>| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let one = |v: String| vec![(String::new(), v)];
        let label = |text: &str| text.replace('\\', "\\\\").replace('"', "\\\"");
        metric(
            "usd1_gateway_ready",
            "gauge",
            "1 when /ready answers 200.",
            one(u8::from(ready.healthy).to_string()),
        );
        metric(
            "usd1_gateway_component_up",
            "gauge",
            "1 when the component's check passes.",
            ready
                .checks
                .iter()
                .map(|(name, c)| {
                    (
                        format!("{{component=\"{name}\"}}"),
                        u8::from(c.ok).to_string(),
                    )
                })
                .collect(),
        );
        self.with(|inner| {
            metric(
                "usd1_gateway_requests_total",
                "counter",
                "API requests answered, by route and status.",
                inner
                    .requests
                    .iter()
                    .map(|((route, status), n)| {
                        (
                            format!("{{route=\"{}\",status=\"{status}\"}}", label(route)),
                            n.to_string(),
                        )
                    })
                    .collect(),
            );
            metric(
                "usd1_gateway_database_errors_total",
                "counter",
                "Database errors met by the API, the watcher and the deliverer.",
                one(inner.database_errors.to_string()),
            );
            metric(
                "usd1_gateway_watcher_lag_slots",
                "gauge",
                "Slots between the node's latest and what the watcher has recorded.",
                one(inner
                    .node_slot
                    .saturating_sub(inner.watched_slot)
                    .to_string()),
            );
            metric(
                "usd1_gateway_watcher_lag_seconds",
                "gauge",
                "Seconds since the watcher last recorded everything up to the node's slot.",
                one(inner
                    .last_pass
                    .map_or(f64::INFINITY, |at| at.elapsed().as_secs_f64())
                    .to_string()),
            );
            metric(
                "usd1_gateway_deliveries_total",
                "counter",
                "Webhook attempts, by outcome.",
                inner
                    .deliveries
                    .iter()
                    .map(|(outcome, n)| (format!("{{outcome=\"{outcome}\"}}"), n.to_string()))
                    .collect(),
            );
        });
        if let Some((pending, oldest, dead)) = outbox {
            metric(
                "usd1_gateway_outbox_pending",
                "gauge",
                "Deliveries waiting in the outbox.",
                one(pending.to_string()),
            );
            metric(
                "usd1_gateway_outbox_oldest_pending_seconds",
                "gauge",
                "Age of the oldest delivery waiting.",
                one(oldest.to_string()),
            );
            metric(
                "usd1_gateway_dead_letters",
                "gauge",
                "Deliveries given up on.",
                one(dead.to_string()),
            );
        }
        let screening = &ready.screening;
        metric(
            "usd1_gateway_screening_list_info",
            "gauge",
            "The screening list versions in force.",
            screening
                .in_force
                .iter()
                .map(|v| (format!("{{version=\"{}\"}}", label(v)), "1".into()))
                .collect(),
        );
        metric(
            "usd1_gateway_screening_refused_versions",
            "gauge",
            "List versions refused or waiting for an operator.",
            one(screening.refused.len().to_string()),
        );
        metric(
            "usd1_gateway_screening_entries_not_screened",
            "gauge",
            "Entries of the lists in force that name no Solana address.",
            one(screening.entries_not_screened.to_string()),
        );
        metric(
            "usd1_gateway_screening_rescreens_pending",
            "gauge",
            "New list versions whose additions still wait to be screened against holders.",
            one(screening.rescreens_pending.to_string()),
        );
        metric(
            "usd1_gateway_screening_rescreen_failing",
            "gauge",
            "1 while the holders' re-screen fails.",
            one(u8::from(screening.rescreen_error.is_some()).to_string()),
        );
        out
    }
}
