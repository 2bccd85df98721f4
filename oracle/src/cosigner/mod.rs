//! The co-signer: one attestor operator's service, with exactly one attestor
//! key, its own reserve sources, its own chain view and its own memory of
//! what it signed. The proposer (the daemon) asks it to sign a proposed
//! attestation; it signs only what it can vouch for:
//!
//! - the report bytes hash to the proposed report hash, and the report says
//!   the proposed mint, seq, reserve and as_of;
//! - its own chain view agrees: seq is the latest + 1, its key is in the
//!   registered set, the as_of is newer than the latest, not in the future,
//!   and within the policy's max submission delay;
//! - its own sources, read now and fresh, show at least the proposed reserve
//!   (less `tolerance_bps`);
//! - it never signed a different digest for that (mint, seq) ([`journal`]);
//!   the same request again gets the same signature.
//!
//! Every refusal is named ([`Refusal`]). The caller must present the bearer
//! token from the operator's environment; requests are size- and
//! rate-limited; `/metrics` and `/health` are served beside `/sign`.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use usd1::constants::MAX_FUTURE_SKEW_SECS;
use usd1::instructions::AttestArgs;
use usd1_client::attestation::{self, AttestorSignature};
use usd1_client::keypair::read_keypair_file;
use usd1_client::{hex, Ledger, Usd1};

use crate::config::{checked_chain, checked_sources, resolve_path, SourceConfig};
use crate::report::Report;
use crate::sources::Source;

mod config;
mod http;
pub mod journal;

pub use config::CosignerConfig;
pub use http::{ask, serve};

use journal::{Journal, Recall, Signed};

/// Largest request body accepted (the report is small; 1 MiB is generous).
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// A proposed attestation, as the proposer sends it to `/sign`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignRequest {
    pub mint: String,
    pub seq: u64,
    /// Base units.
    pub reserve_amount: u64,
    /// Unix seconds.
    pub as_of: i64,
    /// Hex.
    pub report_sha256: String,
    /// The canonical report itself (its bytes, as text).
    pub report: String,
}

impl SignRequest {
    pub fn new(mint: &Pubkey, report: &Report) -> Self {
        let args = report.attest_args();
        Self {
            mint: mint.to_string(),
            seq: args.seq,
            reserve_amount: args.reserve_amount,
            as_of: args.as_of,
            report_sha256: hex(&args.report_sha256),
            report: String::from_utf8_lossy(&report.to_bytes()).into_owned(),
        }
    }
}

/// A signature, as `/sign` answers it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignResponse {
    pub attestor: String,
    pub signature: String,
    /// This digest was signed before: the same signature, again.
    pub repeated: bool,
}

/// Why the co-signer would not sign, by name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Unauthorized: missing or wrong bearer token")]
    Unauthorized,
    #[error("RateLimited: more than {0} requests a minute")]
    RateLimited(u32),
    #[error("BadRequest: {0}")]
    BadRequest(String),
    #[error("WrongMint: this co-signer attests {0}")]
    WrongMint(String),
    #[error("ReportHashMismatch: the report's SHA-256 is {actual}, the proposal says {proposed}")]
    ReportHashMismatch { actual: String, proposed: String },
    #[error("ReportMismatch: the report says {0}")]
    ReportMismatch(String),
    #[error("Equivocation: attestation #{seq} was already signed over digest {signed_digest}; never a second one")]
    Equivocation { seq: u64, signed_digest: String },
    #[error("ChainUnreadable: {0}")]
    ChainUnreadable(String),
    #[error("WrongSeq: the chain's next attestation is #{expected}, not #{proposed}")]
    WrongSeq { expected: u64, proposed: u64 },
    #[error("NotRegistered: this co-signer's key {0} is not in the mint's attestor set")]
    NotRegistered(String),
    #[error("NotNewer: as_of {as_of} is not after the latest attestation's {latest}")]
    NotNewer { as_of: i64, latest: i64 },
    #[error("InFuture: as_of {as_of} is ahead of the chain's clock {now}")]
    InFuture { as_of: i64, now: i64 },
    #[error("Expired: as_of {as_of} is more than {max_delay}s before the chain's clock {now}")]
    Expired {
        as_of: i64,
        now: i64,
        max_delay: i64,
    },
    #[error("SourceFailed: source {name}: {error}")]
    SourceFailed { name: String, error: String },
    #[error("ReserveNotSeen: the proposal attests {proposed} base units, this co-signer's sources show {seen}")]
    ReserveNotSeen { proposed: u64, seen: u64 },
    #[error("JournalFailed: {0}; nothing signed")]
    JournalFailed(String),
}

impl Refusal {
    /// The refusal's name (the metrics label, the answer's `error`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Unauthorized => "Unauthorized",
            Self::RateLimited(_) => "RateLimited",
            Self::BadRequest(_) => "BadRequest",
            Self::WrongMint(_) => "WrongMint",
            Self::ReportHashMismatch { .. } => "ReportHashMismatch",
            Self::ReportMismatch(_) => "ReportMismatch",
            Self::Equivocation { .. } => "Equivocation",
            Self::ChainUnreadable(_) => "ChainUnreadable",
            Self::WrongSeq { .. } => "WrongSeq",
            Self::NotRegistered(_) => "NotRegistered",
            Self::NotNewer { .. } => "NotNewer",
            Self::InFuture { .. } => "InFuture",
            Self::Expired { .. } => "Expired",
            Self::SourceFailed { .. } => "SourceFailed",
            Self::ReserveNotSeen { .. } => "ReserveNotSeen",
            Self::JournalFailed(_) => "JournalFailed",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Equivocation { .. } => StatusCode::CONFLICT,
            Self::ChainUnreadable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::JournalFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// A refusal as `/sign` answers it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RefusalBody {
    pub error: String,
    pub message: String,
}

/// Counters for `/metrics`.
#[derive(Default)]
struct Counters {
    signed: AtomicU64,
    repeated: AtomicU64,
    refused: Mutex<Vec<(&'static str, u64)>>,
    equivocation_alarm: AtomicBool,
}

impl Counters {
    fn refused(&self, name: &'static str) {
        let mut refused = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        match refused.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => *count += 1,
            None => refused.push((name, 1)),
        }
    }
}

/// A running co-signer's state.
pub struct Cosigner {
    mint: Pubkey,
    attestor: Arc<Keypair>,
    usd1: Usd1<dyn Ledger>,
    sources: Vec<Arc<dyn Source>>,
    tolerance_bps: u16,
    token: String,
    max_requests_per_minute: u32,
    journal: tokio::sync::Mutex<Journal>,
    window: Mutex<(Instant, u32)>,
    counters: Counters,
}

impl Cosigner {
    /// A co-signer over `ledger` (its own chain view), journal opened.
    pub async fn new(config: &CosignerConfig, ledger: Arc<dyn Ledger>) -> Result<Arc<Self>> {
        let journal = Journal::open(&config.journal)?;
        let usd1 = Usd1::connect(ledger, config.attestor.clone(), config.mint)
            .await
            .context("cannot read the mint from the chain")?;
        let sources = config
            .sources
            .iter()
            .map(SourceConfig::build)
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(Self {
            mint: config.mint,
            attestor: config.attestor.clone(),
            usd1,
            sources,
            tolerance_bps: config.tolerance_bps,
            token: config.token.clone(),
            max_requests_per_minute: config.max_requests_per_minute,
            journal: tokio::sync::Mutex::new(journal),
            window: Mutex::new((Instant::now(), 0)),
            counters: Counters::default(),
        }))
    }

    pub fn attestor(&self) -> Pubkey {
        self.attestor.pubkey()
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Same time whatever the first differing byte.
        let (a, b) = (presented.as_bytes(), self.token.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    fn within_rate(&self) -> bool {
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if window.0.elapsed() >= Duration::from_secs(60) {
            *window = (Instant::now(), 0);
        }
        window.1 = window.1.saturating_add(1);
        window.1 <= self.max_requests_per_minute
    }

    /// Decides on one proposal: the signature, or why not.
    pub async fn consider(&self, request: &SignRequest) -> Result<SignResponse, Refusal> {
        if request.mint != self.mint.to_string() {
            return Err(Refusal::WrongMint(self.mint.to_string()));
        }
        let actual = hex(&usd1_client::sha256(request.report.as_bytes()));
        if actual != request.report_sha256.to_ascii_lowercase() {
            return Err(Refusal::ReportHashMismatch {
                actual,
                proposed: request.report_sha256.clone(),
            });
        }
        let mut report_sha256 = [0u8; 32];
        report_sha256.copy_from_slice(&usd1_client::sha256(request.report.as_bytes()));
        let args = AttestArgs {
            seq: request.seq,
            reserve_amount: request.reserve_amount,
            as_of: request.as_of,
            report_sha256,
        };
        let digest = attestation::digest_of(&self.mint, &args);
        let digest_hex = hex(&digest);
        // One proposal at a time: the journal decides before anything else can.
        let mut journal = self.journal.lock().await;
        match journal.recall(&self.mint, request.seq, &digest_hex) {
            Recall::Same(signature) => {
                return Ok(SignResponse {
                    attestor: self.attestor().to_string(),
                    signature: signature.to_string(),
                    repeated: true,
                })
            }
            Recall::Equivocation {
                signed_digest,
                signed_as_of,
            } => {
                // The earlier signature is dead once the program's submission
                // delay has passed its as_of: then, and only then, the seq may
                // be signed again.
                if !self.expired_on_chain(signed_as_of).await? {
                    self.counters
                        .equivocation_alarm
                        .store(true, Ordering::Relaxed);
                    tracing::error!(
                        seq = request.seq,
                        signed = %signed_digest,
                        asked = %digest_hex,
                        "equivocation: asked to sign a second digest for a signed seq"
                    );
                    return Err(Refusal::Equivocation {
                        seq: request.seq,
                        signed_digest,
                    });
                }
                tracing::info!(
                    seq = request.seq,
                    signed = %signed_digest,
                    "the signature given earlier for this seq has expired; considering a new digest"
                );
            }
            Recall::Fresh => {}
        }
        self.check_report(request)?;
        let now = self.check_chain(request).await?;
        self.check_reserve(request, now).await?;
        let signed = attestation::sign(&self.attestor, &digest);
        journal
            .record(Signed {
                mint: self.mint.to_string(),
                seq: request.seq,
                as_of: request.as_of,
                digest: digest_hex,
                signature: signed.signature.to_string(),
            })
            .map_err(|e| Refusal::JournalFailed(e.to_string()))?;
        Ok(SignResponse {
            attestor: self.attestor().to_string(),
            signature: signed.signature.to_string(),
            repeated: false,
        })
    }

    /// This co-signer's own view of the chain: the mint's config and the clock.
    async fn chain(&self) -> Result<(usd1_client::Config, i64), Refusal> {
        let unreadable = |e: usd1_client::ClientError| Refusal::ChainUnreadable(e.to_string());
        let config = self.usd1.config().await.map_err(unreadable)?;
        let now = self
            .usd1
            .ledger()
            .unix_timestamp()
            .await
            .map_err(unreadable)?;
        Ok((config, now))
    }

    /// Whether an attestation as of `as_of` can no longer land: the chain's
    /// clock is past its submission delay.
    async fn expired_on_chain(&self, as_of: i64) -> Result<bool, Refusal> {
        let (config, now) = self.chain().await?;
        Ok(as_of < now.saturating_sub(config.max_submission_delay))
    }

    fn check_report(&self, request: &SignRequest) -> Result<(), Refusal> {
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
        if !report.is_consistent() {
            return says(
                "eligible figures that do not follow from its components and eligibility policy"
                    .into(),
            );
        }
        Ok(())
    }

    /// Checks the proposal against the chain; returns the chain's clock.
    async fn check_chain(&self, request: &SignRequest) -> Result<i64, Refusal> {
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

    /// Reads this co-signer's own sources now: the proposal may not exceed
    /// what they show (plus the tolerance).
    async fn check_reserve(&self, request: &SignRequest, now: i64) -> Result<(), Refusal> {
        let decimals = self.usd1.decimals();
        let reads = self.sources.iter().map(|s| s.read(decimals, now));
        let results = futures::future::join_all(reads).await;
        let mut seen: u64 = 0;
        for (source, result) in self.sources.iter().zip(results) {
            let reading = result.map_err(|error| Refusal::SourceFailed {
                name: source.name().to_string(),
                error: error.to_string(),
            })?;
            seen = seen.saturating_add(reading.amount);
        }
        let allowed = u128::from(seen)
            .saturating_mul(10_000 + u128::from(self.tolerance_bps))
            .div_euclid(10_000);
        if u128::from(request.reserve_amount) > allowed {
            return Err(Refusal::ReserveNotSeen {
                proposed: request.reserve_amount,
                seen,
            });
        }
        Ok(())
    }

    fn render_metrics(&self) -> String {
        let c = &self.counters;
        let attestor = self.attestor();
        let mut out = String::new();
        out.push_str("# HELP usd1_cosigner_requests_total Sign requests by outcome.\n");
        out.push_str("# TYPE usd1_cosigner_requests_total counter\n");
        out.push_str(&format!(
            "usd1_cosigner_requests_total{{attestor=\"{attestor}\",outcome=\"signed\"}} {}\n",
            c.signed.load(Ordering::Relaxed)
        ));
        out.push_str(&format!(
            "usd1_cosigner_requests_total{{attestor=\"{attestor}\",outcome=\"repeated\"}} {}\n",
            c.repeated.load(Ordering::Relaxed)
        ));
        for (name, count) in c.refused.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            out.push_str(&format!(
                "usd1_cosigner_requests_total{{attestor=\"{attestor}\",outcome=\"{name}\"}} {count}\n"
            ));
        }
        out.push_str("# HELP usd1_cosigner_equivocation_alarm 1 once asked to sign a second digest for a signed seq.\n");
        out.push_str("# TYPE usd1_cosigner_equivocation_alarm gauge\n");
        out.push_str(&format!(
            "usd1_cosigner_equivocation_alarm{{attestor=\"{attestor}\"}} {}\n",
            u8::from(c.equivocation_alarm.load(Ordering::Relaxed))
        ));
        out
    }
}
