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
//! - the report's eligibility policy is its own, and its own sources, read
//!   now and fresh, with its own holdings under that policy, show at least
//!   the proposed (eligible) reserve, less `tolerance_bps` ([`checks`]);
//! - it never signed a different digest for that (mint, seq) ([`journal`]);
//!   the same request again gets the same signature. Being asked to is an
//!   alarm that stays raised until an operator clears it ([`alarm`]).
//!
//! Every refusal is named ([`Refusal`]). The caller must present the bearer
//! token from the operator's environment; requests are size- and
//! rate-limited; `/metrics` and `/health` are served beside `/sign`.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Signature, Signer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use usd1::constants::{MAX_FUTURE_SKEW_SECS, MAX_SUBMISSION_DELAY_LIMIT};
use usd1::instructions::AttestArgs;
use usd1_client::attestation::{self, AttestorSignature};
use usd1_client::{hex, Ledger, Usd1};

use crate::config::{checked_chain, checked_sources, resolve_path, SourceConfig};
use crate::report::{EligibilityPolicy, Report};
use crate::sources::Source;

pub mod alarm;
mod checks;
mod config;
mod http;
pub mod journal;

pub use checks::policy_difference;
pub use config::CosignerConfig;
pub use http::{ask, serve, Unsigned, MAX_ANSWER_BYTES};

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
    #[error("PolicyMismatch: {0}")]
    PolicyMismatch(String),
    #[error("EligibleNotSeen: the proposal attests {proposed} base units, this co-signer's sources show {eligible} eligible under its own policy")]
    EligibleNotSeen { proposed: u64, eligible: u64 },
    #[error("JournalFailed: {0}; nothing signed")]
    JournalFailed(String),
    #[error("SignerFailed: {0}; nothing signed")]
    SignerFailed(String),
}

impl Refusal {
    /// Every refusal's name.
    pub const NAMES: &'static [&'static str] = &[
        "Unauthorized",
        "RateLimited",
        "BadRequest",
        "WrongMint",
        "ReportHashMismatch",
        "ReportMismatch",
        "Equivocation",
        "ChainUnreadable",
        "WrongSeq",
        "NotRegistered",
        "NotNewer",
        "InFuture",
        "Expired",
        "SourceFailed",
        "ReserveNotSeen",
        "PolicyMismatch",
        "EligibleNotSeen",
        "JournalFailed",
        "SignerFailed",
    ];

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
            Self::PolicyMismatch(_) => "PolicyMismatch",
            Self::EligibleNotSeen { .. } => "EligibleNotSeen",
            Self::JournalFailed(_) => "JournalFailed",
            Self::SignerFailed(_) => "SignerFailed",
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
    /// The attestor key's last failure to sign, while it lasts.
    signer_down: Mutex<Option<String>>,
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
    /// The attestor key: a file, or a key in an HSM or a vault.
    attestor: usd1_client::signing::SharedSigner,
    usd1: Usd1<dyn Ledger>,
    sources: Vec<Arc<dyn Source>>,
    /// This operator's own eligibility rules (its `[eligibility]`).
    eligibility: Option<EligibilityPolicy>,
    tolerance_bps: u16,
    token: String,
    max_requests_per_minute: u32,
    journal: tokio::sync::Mutex<Journal>,
    alarm: alarm::Alarm,
    window: Mutex<(Instant, u32)>,
    counters: Counters,
}

impl Cosigner {
    /// A co-signer over `ledger` (its own chain view), journal opened.
    pub async fn new(config: &CosignerConfig, ledger: Arc<dyn Ledger>) -> Result<Arc<Self>> {
        let journal = Journal::open(&config.journal)?;
        let alarm = alarm::Alarm::open(&config.journal)?;
        if alarm.is_raised() {
            tracing::error!(
                alarm = %alarm.path().display(),
                "the equivocation alarm is raised; clear it with usd1-oracle cosign --clear-alarm --operator NAME once looked into"
            );
        }
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
            eligibility: config.eligibility.clone(),
            tolerance_bps: config.tolerance_bps,
            token: config.token.clone(),
            max_requests_per_minute: config.max_requests_per_minute,
            journal: tokio::sync::Mutex::new(journal),
            alarm,
            window: Mutex::new((Instant::now(), 0)),
            counters: Counters::default(),
        }))
    }

    pub fn attestor(&self) -> Pubkey {
        self.attestor.pubkey()
    }

    fn set_signer_down(&self, why: Option<String>) {
        *self
            .counters
            .signer_down
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = why;
    }

    /// Why the attestor key last failed to sign, until it signs again.
    pub fn signer_down(&self) -> Option<String> {
        self.counters
            .signer_down
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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
                // The earlier signature is dead once no submission delay the
                // program allows can reach back to its as_of: then, and only
                // then, the seq may be signed again.
                if !self.expired_on_chain(signed_as_of).await? {
                    if let Err(error) = self.alarm.raise(request.seq, &signed_digest, &digest_hex) {
                        tracing::error!(%error, "the equivocation alarm could not be written down");
                    }
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
        // Off the async threads: a key in an HSM or a vault answers over a
        // wire. Nothing is journalled unless it signed, so the same digest
        // is signed once the signer is back, and no other ever.
        let key = self.attestor.clone();
        let answer =
            tokio::task::spawn_blocking(move || attestation::try_sign(key.as_ref(), &digest))
                .await
                .map_err(|e| Refusal::SignerFailed(format!("the signing task failed: {e}")))?;
        let signed = match answer {
            Ok(signed) => {
                self.set_signer_down(None);
                signed
            }
            Err(error) => {
                let why = usd1_client::signing::why_not_signed(error);
                self.set_signer_down(Some(why.clone()));
                return Err(Refusal::SignerFailed(why));
            }
        };
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

    /// Whether an attestation as of `as_of` can never land: the chain's
    /// clock is past the longest submission delay the program allows. (The
    /// delay in force now is not enough: the admin may raise it later, up
    /// to that limit, and bring the old signature back to life.)
    async fn expired_on_chain(&self, as_of: i64) -> Result<bool, Refusal> {
        let now = self
            .usd1
            .ledger()
            .unix_timestamp()
            .await
            .map_err(|e| Refusal::ChainUnreadable(e.to_string()))?;
        Ok(as_of < now.saturating_sub(MAX_SUBMISSION_DELAY_LIMIT))
    }

    /// Whether the equivocation alarm is raised (re-read from its file: an
    /// operator may have cleared it from another process).
    pub fn alarm_raised(&self) -> bool {
        match self.alarm.refresh() {
            Ok(raised) => raised,
            Err(error) => {
                tracing::error!(%error, "the alarm file cannot be read; reporting the alarm raised");
                true
            }
        }
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
        out.push_str("# HELP usd1_cosigner_equivocation_alarm 1 from being asked to sign a second digest for a signed seq until an operator clears it.\n");
        out.push_str("# TYPE usd1_cosigner_equivocation_alarm gauge\n");
        out.push_str(&format!(
            "usd1_cosigner_equivocation_alarm{{attestor=\"{attestor}\"}} {}\n",
            u8::from(self.alarm_raised())
        ));
        out
    }
}
