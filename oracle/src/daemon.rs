//! The round and the loop around it. A round reads the chain and every
//! source, builds the report, decides (unchanged, heartbeat, drop alarm),
//! signs, submits and confirms; the loop runs one per interval until told to
//! stop, and lets the round in flight finish within a grace period.
use std::sync::Arc;
use std::time::{Duration, Instant};

use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Signature, Signer};
use thiserror::Error;
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;
use usd1_client::signing::SharedSigner;
use usd1_client::{attestation, format_amount, hex, ClientError, Failure, Ledger, Usd1};

use futures::stream::{FuturesUnordered, StreamExt};
use usd1_client::attestation::AttestorSignature;

use crate::config::{Alarms, Config, CosignerRef, RoundSettings};
use crate::cosigner::{self, SignRequest};
use crate::metrics::{Metrics, Observation};
use crate::policy::{self, ChainView, Decision, Rules};
use crate::report::{Report, ReportStore};
use crate::sources::{Source, SourceError};
use crate::submit::{self, Resolution, ResolveError, Retry, SubmitError};

mod signing;

/// How long a round already in flight may take to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// Switches a round may be run with.
#[derive(Clone, Copy, Debug, Default)]
pub struct RoundOptions {
    /// Build, sign and simulate; send nothing, write nothing.
    pub dry_run: bool,
    /// Attest a reserve drop above the alarm threshold.
    pub allow_drop: bool,
}

/// What a round did.
#[derive(Debug)]
pub enum Outcome {
    /// A new attestation is confirmed on-chain.
    Attested {
        report: Report,
        signature: Signature,
        /// Nothing changed, but the latest attestation was getting old.
        heartbeat: bool,
    },
    /// The reserve is unchanged and the latest attestation is fresh enough.
    Unchanged { seq: u64, age_secs: i64 },
    /// `--dry-run`: what would have been sent.
    DryRun {
        report: Report,
        digest: [u8; 32],
        /// The simulation's refusal, if it would fail.
        refusal: Option<String>,
        /// How the signatures were checked: locally, never sent.
        signatures: String,
    },
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Attested {
                heartbeat: false, ..
            } => "attested",
            Self::Attested {
                heartbeat: true, ..
            } => "heartbeat",
            Self::Unchanged { .. } => "unchanged",
            Self::DryRun { .. } => "dry_run",
        }
    }
}

#[derive(Debug, Error)]
pub enum RoundError {
    #[error("cannot read the chain: {0}")]
    Chain(#[from] ClientError),
    #[error("source {name}: {error}")]
    Source { name: String, error: SourceError },
    #[error("the sources sum to more than a u64 of base units")]
    Overflow,
    #[error(
        "reserve drop alarm: {from} → {to} is a drop of {drop_bps} bps, above the {max_bps} bps \
         threshold; not attested (run with --allow-drop once the drop is confirmed)"
    )]
    DropRefused {
        from: String,
        to: String,
        drop_bps: u128,
        max_bps: u16,
    },
    #[error(
        "this daemon holds or can ask {held} registered attestor(s) but the threshold is {threshold}"
    )]
    NotEnoughSigners { held: usize, threshold: u8 },
    #[error("only {got} of the {threshold} signatures needed; nothing sent ({refusals})")]
    NotEnoughSignatures {
        got: usize,
        threshold: u8,
        /// Each co-signer that did not sign, and why.
        refusals: String,
    },
    #[error("the program refused the attestation: {failure}")]
    Rejected { failure: Failure, logs: Vec<String> },
    #[error(
        "attestation {seq} sent earlier may still land; waiting for it before building another"
    )]
    Pending { seq: u64 },
    /// A held attestor key (in an HSM or a vault) did not sign: nothing was
    /// sent, the round's seq is kept for the next round.
    #[error("{0}")]
    Signer(String),
    #[error(transparent)]
    Submit(SubmitError),
    #[error("output folder: {0}")]
    Io(#[from] std::io::Error),
}

impl RoundError {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Chain(_) => "rpc_error",
            Self::Source { .. } | Self::Overflow => "source_error",
            Self::DropRefused { .. } => "drop_refused",
            Self::NotEnoughSigners { .. } => "misconfigured",
            Self::NotEnoughSignatures { .. } => "not_enough_signatures",
            Self::Signer(_) => "signer_error",
            Self::Rejected { .. } => "rejected",
            Self::Pending { .. } => "pending",
            Self::Submit(SubmitError::Abandoned) => "abandoned",
            Self::Submit(_) => "rpc_error",
            Self::Io(_) => "io_error",
        }
    }

    /// `--once`'s exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Source { .. } | Self::Overflow => 3,
            Self::DropRefused { .. } => 4,
            Self::Chain(_) | Self::Submit(_) | Self::Pending { .. } | Self::Signer(_) => 5,
            Self::Rejected { .. } => 6,
            Self::NotEnoughSigners { .. } | Self::Io(_) => 2,
            // Like a failed source: the reserve could not be vouched for this round.
            Self::NotEnoughSignatures { .. } => 3,
        }
    }
}

impl From<SubmitError> for RoundError {
    fn from(error: SubmitError) -> Self {
        match error {
            SubmitError::Rejected { failure, logs } => Self::Rejected { failure, logs },
            SubmitError::Journal(e) => Self::Io(e),
            other => Self::Submit(other),
        }
    }
}

impl From<ResolveError> for RoundError {
    fn from(error: ResolveError) -> Self {
        match error {
            ResolveError::Chain(e) => Self::Chain(e),
            ResolveError::Journal(e) => Self::Io(e),
        }
    }
}

/// Everything an [`Oracle`] is made of besides its ledger.
pub struct Setup {
    pub payer: SharedSigner,
    pub mint: Pubkey,
    /// Attestor keys held here: files, or keys in an HSM or a vault.
    pub attestors: Vec<SharedSigner>,
    pub sources: Vec<Arc<dyn Source>>,
    pub store: ReportStore,
    pub round: RoundSettings,
    pub alarms: Alarms,
}

/// The daemon: one mint, its keys, its sources and its output folder.
pub struct Oracle {
    ledger: Arc<dyn Ledger>,
    payer: SharedSigner,
    mint: Pubkey,
    /// Connected on the first round that reaches the chain, so the daemon can
    /// start (and report unhealthy) while the RPC node is down.
    usd1: OnceCell<Usd1<dyn Ledger>>,
    attestors: Vec<SharedSigner>,
    /// Other operators' co-signers, asked when the held keys fall short.
    cosigners: Vec<CosignerRef>,
    http: reqwest::Client,
    sources: Vec<Arc<dyn Source>>,
    store: ReportStore,
    round: RoundSettings,
    pub metrics: Arc<Metrics>,
}

impl Oracle {
    pub fn new(ledger: Arc<dyn Ledger>, setup: Setup) -> Self {
        Self {
            ledger,
            payer: setup.payer,
            mint: setup.mint,
            usd1: OnceCell::new(),
            attestors: setup.attestors,
            cosigners: Vec::new(),
            http: reqwest::Client::new(),
            sources: setup.sources,
            store: setup.store,
            round: setup.round,
            metrics: Arc::new(Metrics::new(setup.alarms)),
        }
    }

    /// The daemon a checked config describes, over `ledger`.
    pub fn from_config(config: &Config, ledger: Arc<dyn Ledger>) -> anyhow::Result<Self> {
        let sources = config
            .sources
            .iter()
            .map(|s| s.build())
            .collect::<anyhow::Result<Vec<_>>>()?;
        let store = ReportStore::open(&config.output_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create output folder {}: {e}",
                config.output_dir.display()
            )
        })?;
        Ok(Self::new(
            ledger,
            Setup {
                payer: config.payer.clone(),
                mint: config.mint,
                attestors: config.attestors.clone(),
                sources,
                store,
                round: config.round.clone(),
                alarms: config.alarms.clone(),
            },
        )
        .with_cosigners(config.cosigners.clone()))
    }

    /// Holds `attestors` instead of the keys it was made with.
    pub fn hold(&mut self, attestors: Vec<SharedSigner>) {
        self.attestors = attestors;
    }

    /// Asks `cosigners` for their signatures when the held keys are fewer than the threshold.
    pub fn with_cosigners(mut self, cosigners: Vec<CosignerRef>) -> Self {
        self.cosigners = cosigners;
        self
    }

    pub fn store(&self) -> &ReportStore {
        &self.store
    }

    async fn usd1(&self) -> Result<&Usd1<dyn Ledger>, ClientError> {
        self.usd1
            .get_or_try_init(|| Usd1::connect(self.ledger.clone(), self.payer.clone(), self.mint))
            .await
    }

    /// Runs one round, counts it and logs its one line.
    pub async fn run_round(
        &self,
        options: RoundOptions,
        cancel: &CancellationToken,
    ) -> Result<Outcome, RoundError> {
        let started = Instant::now();
        let result = self.round(options, cancel).await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok(outcome) => {
                self.metrics.round(outcome.label());
                match outcome {
                    Outcome::Attested {
                        report, signature, ..
                    } => tracing::info!(
                        outcome = outcome.label(), seq = report.seq, reserve = %report.reserve,
                        report_sha256 = %hex(&report.sha256()), %signature, elapsed_ms, "round"
                    ),
                    Outcome::Unchanged { seq, age_secs } => tracing::info!(
                        outcome = outcome.label(),
                        seq,
                        age_secs,
                        elapsed_ms,
                        "round"
                    ),
                    Outcome::DryRun {
                        report,
                        digest,
                        refusal,
                        ..
                    } => tracing::info!(
                        outcome = outcome.label(), seq = report.seq, reserve = %report.reserve,
                        digest = %hex(digest), refusal = refusal.as_deref().unwrap_or("none"),
                        elapsed_ms, "round"
                    ),
                }
            }
            Err(error) => {
                self.metrics.round(error.label());
                if let RoundError::Chain(_) = error {
                    self.metrics.rpc_error();
                }
                tracing::warn!(outcome = error.label(), error = %error, elapsed_ms, "round");
            }
        }
        result
    }

    async fn round(
        &self,
        options: RoundOptions,
        cancel: &CancellationToken,
    ) -> Result<Outcome, RoundError> {
        let usd1 = self.usd1().await?;
        let ledger = self.ledger.as_ref();
        let mut config = usd1.config().await?;

        if !options.dry_run {
            let wait = Duration::from_secs(self.round.pending_wait_secs);
            match submit::resolve_pending(ledger, &self.store, config.latest.seq, wait, cancel)
                .await?
            {
                Resolution::Clear => {}
                Resolution::Landed { seq, signature } => {
                    tracing::info!(seq, %signature, "an attestation sent before a restart landed");
                    config = usd1.config().await?;
                }
                Resolution::Dropped { seq } => {
                    tracing::info!(
                        seq,
                        "an attestation sent before a restart never landed; building anew"
                    );
                }
                Resolution::StillPending { seq } => return Err(RoundError::Pending { seq }),
                Resolution::Resend { args, signatures } => {
                    let clock = (ledger.unix_timestamp().await?, config.max_submission_delay);
                    let retry = self.retry();
                    let metrics = &self.metrics;
                    if let Some(signature) = submit::resend(
                        usd1,
                        &self.store,
                        args,
                        &signatures,
                        clock,
                        retry,
                        metrics,
                        cancel,
                    )
                    .await?
                    {
                        tracing::info!(seq = args.seq, %signature, "the attestation signed before landed on a second send");
                        self.store.clear_pending()?;
                        let report = self.store.load_report(args.seq)?;
                        self.metrics
                            .attested(args.seq, args.reserve_amount, args.as_of);
                        if let Some(report) = report {
                            return Ok(Outcome::Attested {
                                report,
                                signature,
                                heartbeat: false,
                            });
                        }
                    } else {
                        tracing::info!(
                            seq = args.seq,
                            "the attestation signed before has expired unsent; building anew"
                        );
                    }
                    config = usd1.config().await?;
                }
            }
        }

        let now = ledger.unix_timestamp().await?;
        let supply = usd1.mint_info().await?.supply;
        let payer_lamports = ledger
            .get_account(&self.payer.pubkey())
            .await?
            .map_or(0, |a| a.lamports);
        self.metrics.observed(Observation {
            seq: config.latest.seq,
            reserve: config.latest.reserve_amount,
            as_of: config.latest.as_of,
            supply,
            decimals: config.decimals,
            chain_time: now,
            payer_lamports,
            max_attestation_age: config.max_attestation_age,
            observed_at: Instant::now(),
        });

        // Sign with registered keys only, and no more of them than the threshold
        // needs; ask co-signers of other registered attestors for the rest.
        let registered = config.attestors();
        let threshold = usize::from(config.threshold);
        let signers: Vec<SharedSigner> = self
            .attestors
            .iter()
            .filter(|k| registered.contains(&k.pubkey()))
            .take(threshold)
            .cloned()
            .collect();
        let remote: Vec<&CosignerRef> = if signers.len() < threshold {
            self.cosigners
                .iter()
                .filter(|c| registered.contains(&c.attestor))
                .filter(|c| !signers.iter().any(|k| k.pubkey() == c.attestor))
                .collect()
        } else {
            Vec::new()
        };
        if signers.len() + remote.len() < threshold {
            return Err(RoundError::NotEnoughSigners {
                held: signers.len() + remote.len(),
                threshold: config.threshold,
            });
        }

        let readings = self.read_sources(config.decimals, now).await?;
        let latest = config.latest;
        let view = ChainView {
            latest_seq: latest.seq,
            latest_reserve: latest.reserve_amount,
            latest_as_of: latest.as_of,
            latest_retired: config.is_latest_retired(),
            max_attestation_age: config.max_attestation_age,
            max_submission_delay: config.max_submission_delay,
            now,
        };
        let (seq, as_of) = policy::next(&view).ok_or(RoundError::Overflow)?;
        let mint = self.mint.to_string();
        let mut report = Report::build(
            &mint,
            seq,
            as_of,
            config.decimals,
            &readings,
            self.round.eligibility.as_ref(),
        )
        .ok_or(RoundError::Overflow)?;
        if !remote.is_empty() && !options.dry_run {
            if let Some(earlier) = self.store.load_report(seq)? {
                if policy::reuse(&earlier, &mint, &view) {
                    report = earlier;
                }
            }
        }
        let reserve = report.reserve_amount();
        let rules = Rules {
            heartbeat_secs: self.round.heartbeat_secs,
            max_drop_bps: self.metrics.alarms().max_drop_bps,
            allow_drop: options.allow_drop,
        };
        let heartbeat = match policy::decide(&view, &rules, reserve) {
            Decision::DropAlarm { drop_bps, max_bps } => {
                self.metrics.set_drop_alarm(true);
                return Err(RoundError::DropRefused {
                    from: format_amount(latest.reserve_amount, config.decimals),
                    to: format_amount(reserve, config.decimals),
                    drop_bps,
                    max_bps,
                });
            }
            Decision::Unchanged { seq, age_secs } => {
                self.metrics.set_drop_alarm(false);
                return Ok(Outcome::Unchanged { seq, age_secs });
            }
            Decision::Attest { heartbeat } => {
                self.metrics.set_drop_alarm(false);
                heartbeat
            }
        };

        let args = report.attest_args();
        if options.dry_run {
            return self.dry_run(usd1, report, &signers, &config).await;
        }

        self.store.save_report(&report)?;
        let digest = attestation::digest_of(&self.mint, &args);
        let mut signatures = self.sign_held(&signers, &digest).await?;
        if signatures.len() < threshold {
            let collected = self
                .cosign(&report, &digest, &remote, threshold - signatures.len())
                .await;
            signatures.extend(collected.signatures);
            if signatures.len() < threshold {
                return Err(RoundError::NotEnoughSignatures {
                    got: signatures.len(),
                    threshold: config.threshold,
                    refusals: collected.refusals.join("; "),
                });
            }
        }
        attestation::check_signatures(&signatures, &digest, registered, config.threshold).map_err(
            |problem| RoundError::NotEnoughSignatures {
                got: 0,
                threshold: config.threshold,
                refusals: problem.to_string(),
            },
        )?;
        let signature = submit::submit(
            usd1,
            &self.store,
            args,
            &signatures,
            self.retry(),
            &self.metrics,
            cancel,
        )
        .await?;
        self.store.clear_pending()?;
        self.metrics.attested(report.seq, reserve, report.as_of);
        Ok(Outcome::Attested {
            report,
            signature,
            heartbeat,
        })
    }

    fn retry(&self) -> Retry {
        Retry {
            max_attempts: self.round.max_attempts,
            backoff: Duration::from_millis(self.round.retry_backoff_ms),
        }
    }

    /// Reads every source at once; the first failure (in config order) fails the round.
    async fn read_sources(
        &self,
        decimals: u8,
        now: i64,
    ) -> Result<Vec<crate::sources::Reading>, RoundError> {
        let reads = self.sources.iter().map(|s| s.read(decimals, now));
        let results = futures::future::join_all(reads).await;
        let mut readings = Vec::with_capacity(results.len());
        let mut first_error = None;
        for (source, result) in self.sources.iter().zip(results) {
            match result {
                Ok(reading) => readings.push(reading),
                Err(error) => {
                    self.metrics.source_error(source.name(), error.kind());
                    first_error.get_or_insert(RoundError::Source {
                        name: source.name().to_string(),
                        error,
                    });
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(readings),
        }
    }

    /// One round per `interval` until `cancel`; the round in flight gets
    /// [`SHUTDOWN_GRACE`] to finish, and is abandoned cleanly after that
    /// (whatever it sent is in `pending.json` for the next start).
    pub async fn run(&self, interval: Duration, options: RoundOptions, cancel: CancellationToken) {
        let round_cancel = CancellationToken::new();
        loop {
            let round = self.run_round(options, &round_cancel);
            tokio::pin!(round);
            tokio::select! {
                _ = &mut round => {}
                _ = cancel.cancelled() => {
                    tracing::info!("shutdown requested; letting the round in flight finish");
                    if tokio::time::timeout(SHUTDOWN_GRACE, &mut round).await.is_err() {
                        round_cancel.cancel();
                        let _ = round.await;
                    }
                    break;
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(interval) => {}
            }
        }
        tracing::info!("stopped");
    }
}
