//! What the daemon knows about itself and the chain, served over HTTP:
//! `/metrics` in the Prometheus text format and `/health` for a supervisor
//! (200 when healthy, 503 with the reasons when not).
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Alarms;

/// The chain as the last successful read saw it.
#[derive(Clone, Debug)]
pub struct Observation {
    pub seq: u64,
    pub reserve: u64,
    /// The latest attestation's as-of time.
    pub as_of: i64,
    pub supply: u64,
    pub decimals: u8,
    /// The chain's clock when read.
    pub chain_time: i64,
    pub payer_lamports: u64,
    /// The program's max attestation age, seconds.
    pub max_attestation_age: i64,
    pub observed_at: Instant,
}

impl Observation {
    /// Age of the latest attestation now: its age when read, plus the time since.
    pub fn attestation_age_secs(&self) -> i64 {
        let since = i64::try_from(self.observed_at.elapsed().as_secs()).unwrap_or(i64::MAX);
        self.chain_time
            .saturating_sub(self.as_of)
            .saturating_add(since)
    }
}

#[derive(Default)]
struct State_ {
    observation: Option<Observation>,
    chain_reachable: bool,
    rounds: BTreeMap<&'static str, u64>,
    rpc_errors: u64,
    source_errors: BTreeMap<(String, &'static str), u64>,
    /// Co-signer answers, by attestor and outcome ("signed" or the refusal's name).
    cosigner_answers: BTreeMap<(String, String), u64>,
    /// Held keys that did not sign, by attestor: how often, and the last
    /// failure while it lasts (cleared by the key's next signature).
    signer_errors: BTreeMap<String, u64>,
    signers_down: BTreeMap<String, String>,
    drop_alarm: bool,
}

pub struct Metrics {
    alarms: Alarms,
    state: Mutex<State_>,
}

/// `/health`'s answer.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Health {
    pub healthy: bool,
    pub problems: Vec<String>,
    pub attestation_age_secs: Option<i64>,
    pub payer_lamports: Option<u64>,
}

impl Metrics {
    pub fn new(alarms: Alarms) -> Self {
        Self {
            alarms,
            state: Mutex::new(State_::default()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State_) -> T) -> T {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut state)
    }

    pub fn observed(&self, observation: Observation) {
        self.with(|s| {
            s.observation = Some(observation);
            s.chain_reachable = true;
        });
    }

    /// The latest attestation moved (the daemon's own, confirmed).
    pub fn attested(&self, seq: u64, reserve: u64, as_of: i64) {
        self.with(|s| {
            if let Some(o) = s.observation.as_mut() {
                // Re-anchors the age: the new as_of is the chain's clock at observation.
                o.chain_time = o.chain_time.max(as_of);
                o.observed_at = Instant::now();
                o.seq = seq;
                o.reserve = reserve;
                o.as_of = as_of;
            }
        });
    }

    pub fn alarms(&self) -> &Alarms {
        &self.alarms
    }

    pub fn rpc_error(&self) {
        self.with(|s| {
            s.rpc_errors = s.rpc_errors.saturating_add(1);
            s.chain_reachable = false;
        });
    }

    pub fn source_error(&self, source: &str, kind: &'static str) {
        self.with(|s| {
            let count = s
                .source_errors
                .entry((source.to_string(), kind))
                .or_default();
            *count = count.saturating_add(1);
        });
    }

    /// A held key did not sign (`why` names its source).
    pub fn signer_error(&self, attestor: &str, why: &str) {
        self.with(|s| {
            let count = s.signer_errors.entry(attestor.to_string()).or_default();
            *count = count.saturating_add(1);
            s.signers_down.insert(attestor.to_string(), why.to_string());
        });
    }

    /// A held key signed: it is up again.
    pub fn signer_ok(&self, attestor: &str) {
        self.with(|s| {
            s.signers_down.remove(attestor);
        });
    }

    pub fn signer_errors(&self, attestor: &str) -> u64 {
        self.with(|s| s.signer_errors.get(attestor).copied().unwrap_or(0))
    }

    pub fn cosigner_answer(&self, attestor: &str, outcome: &str) {
        self.with(|s| {
            let count = s
                .cosigner_answers
                .entry((attestor.to_string(), outcome.to_string()))
                .or_default();
            *count = count.saturating_add(1);
        });
    }

    pub fn cosigner_answers(&self, attestor: &str, outcome: &str) -> u64 {
        self.with(|s| {
            s.cosigner_answers
                .get(&(attestor.to_string(), outcome.to_string()))
                .copied()
                .unwrap_or(0)
        })
    }

    pub fn round(&self, outcome: &'static str) {
        self.with(|s| {
            let count = s.rounds.entry(outcome).or_default();
            *count = count.saturating_add(1);
        });
    }

    pub fn set_drop_alarm(&self, on: bool) {
        self.with(|s| s.drop_alarm = on);
    }

    pub fn rounds(&self, outcome: &str) -> u64 {
        self.with(|s| s.rounds.get(outcome).copied().unwrap_or(0))
    }

    pub fn health(&self) -> Health {
        self.with(|s| {
            let mut problems = Vec::new();
            if !s.chain_reachable {
                problems.push(String::from(
                    "the chain could not be read in the last round",
                ));
            }
            if s.drop_alarm {
                problems.push(String::from(
                    "reserve drop alarm: an attestation was refused",
                ));
            }
            for (attestor, why) in &s.signers_down {
                problems.push(format!("attestor key {attestor} did not sign: {why}"));
            }
            let (mut age, mut lamports) = (None, None);
            match &s.observation {
                None => problems.push(String::from("the chain has not been read yet")),
                Some(o) => {
                    let limit = self
                        .alarms
                        .max_attestation_age_secs
                        .map_or(o.max_attestation_age, |l| {
                            i64::try_from(l).unwrap_or(i64::MAX)
                        });
                    let now_age = o.attestation_age_secs();
                    if o.seq == 0 {
                        problems.push(String::from("no attestation on-chain yet"));
                    } else if now_age > limit {
                        problems.push(format!(
                            "latest attestation is {now_age}s old, more than {limit}s"
                        ));
                    }
                    if o.payer_lamports < self.alarms.min_payer_lamports {
                        problems.push(format!(
                            "payer holds {} lamports, less than {}",
                            o.payer_lamports, self.alarms.min_payer_lamports
                        ));
                    }
                    age = (o.seq > 0).then_some(now_age);
                    lamports = Some(o.payer_lamports);
                }
            }
            Health {
                healthy: problems.is_empty(),
                problems,
                attestation_age_secs: age,
                payer_lamports: lamports,
            }
        })
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, samples: Vec<(String, String)>| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let healthy = self.health().healthy;
        self.with(|s| {
            if let Some(o) = &s.observation {
                let scale = 10f64.powi(i32::from(o.decimals));
                let gauge = |v: String| vec![(String::new(), v)];
                metric(
                    "usd1_oracle_attestation_age_seconds",
                    "gauge",
                    "Age of the latest on-chain attestation.",
                    gauge(o.attestation_age_secs().to_string()),
                );
                metric(
                    "usd1_oracle_last_seq",
                    "gauge",
                    "Sequence number of the latest on-chain attestation.",
                    gauge(o.seq.to_string()),
                );
                metric(
                    "usd1_oracle_reserve",
                    "gauge",
                    "Reserve of the latest attestation, in token units.",
                    gauge((o.reserve as f64 / scale).to_string()),
                );
                metric(
                    "usd1_oracle_supply",
                    "gauge",
                    "Token supply, in token units.",
                    gauge((o.supply as f64 / scale).to_string()),
                );
                let coverage = if o.supply == 0 {
                    String::from("+Inf")
                } else {
                    (o.reserve as f64 / o.supply as f64).to_string()
                };
                metric(
                    "usd1_oracle_coverage_ratio",
                    "gauge",
                    "Attested reserve divided by supply.",
                    gauge(coverage),
                );
                metric(
                    "usd1_oracle_payer_balance_lamports",
                    "gauge",
                    "Lamports held by the fee payer.",
                    gauge(o.payer_lamports.to_string()),
                );
            }
            let rounds = s
                .rounds
                .iter()
                .map(|(k, v)| (format!("{{outcome=\"{k}\"}}"), v.to_string()))
                .collect();
            metric(
                "usd1_oracle_rounds_total",
                "counter",
                "Rounds run, by outcome.",
                rounds,
            );
            metric(
                "usd1_oracle_rpc_errors_total",
                "counter",
                "Failed calls to the RPC node.",
                vec![(String::new(), s.rpc_errors.to_string())],
            );
            let source_errors = s
                .source_errors
                .iter()
                .map(|((source, kind), v)| {
                    (
                        format!("{{source=\"{}\",error=\"{kind}\"}}", escape_label(source)),
                        v.to_string(),
                    )
                })
                .collect();
            metric(
                "usd1_oracle_source_errors_total",
                "counter",
                "Failed source reads, by source and error.",
                source_errors,
            );
            let signer_errors = s
                .signer_errors
                .iter()
                .map(|(attestor, v)| {
                    (
                        format!("{{attestor=\"{}\"}}", escape_label(attestor)),
                        v.to_string(),
                    )
                })
                .collect();
            metric(
                "usd1_oracle_signer_errors_total",
                "counter",
                "Held attestor keys (a file, an HSM, a vault) that did not sign, by attestor.",
                signer_errors,
            );
            let answers = s
                .cosigner_answers
                .iter()
                .map(|((attestor, outcome), v)| {
                    (
                        format!(
                            "{{attestor=\"{}\",outcome=\"{}\"}}",
                            escape_label(attestor),
                            escape_label(outcome)
                        ),
                        v.to_string(),
                    )
                })
                .collect();
            metric(
                "usd1_oracle_cosigner_answers_total",
                "counter",
                "Co-signers' answers to sign requests, by attestor and outcome.",
                answers,
            );
            metric(
                "usd1_oracle_drop_alarm",
                "gauge",
                "1 while a reserve drop above the threshold is being refused.",
                vec![(String::new(), u8::from(s.drop_alarm).to_string())],
            );
            metric(
                "usd1_oracle_healthy",
                "gauge",
                "1 when /health answers 200.",
                vec![(String::new(), u8::from(healthy).to_string())],
            );
        });
        out
    }
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Serves `/metrics` and `/health` on `listener` until `cancel`.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/health", get(health_handler))
        .with_state(metrics);
    axum::serve(listener, app)
        .with_graceful_shutdown(cancel.cancelled_owned())
        .await
}

async fn metrics_handler(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
}

async fn health_handler(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    let health = metrics.health();
    let status = if health.healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::to_string(&health).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body)
}
