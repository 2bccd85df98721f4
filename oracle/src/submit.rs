//! Send, confirm, retry — and never twice. Every send is recorded in
//! `pending.json` before it leaves, so a daemon that dies between send and
//! confirm finds out on restart whether its attestation landed before it
//! builds another: no duplicate (the program's seq check refuses one anyway)
//! and no report file that disagrees with the chain.
use std::time::Duration;

use solana_sdk::signature::Signature;
use solana_sdk::transaction::{Transaction, TransactionError};
use thiserror::Error;
use tokio_util::sync::CancellationToken;
use usd1::instructions::AttestArgs;
use usd1_client::attestation::{self, AttestorSignature};
use usd1_client::send_journal::{self, Outcome, SendJournal};
use usd1_client::{hex, ClientError, Failure, Ledger, Usd1};

use crate::metrics::Metrics;
use crate::report::{Attempt, Pending, ReportStore, SignedAttestation};

#[derive(Debug, Error)]
pub enum SubmitError {
    /// The program refused the attestation; sending it again would not help.
    #[error("the program refused the attestation: {failure}")]
    Rejected { failure: Failure, logs: Vec<String> },
    /// Transient errors on every attempt. The last send may still land; the
    /// next round finds out from `pending.json`.
    #[error("not confirmed after {attempts} attempts: {last}")]
    GaveUp { attempts: u32, last: String },
    #[error("shut down while the attestation was in flight; the next start resolves it")]
    Abandoned,
    #[error("cannot record the submission: {0}")]
    Journal(#[from] std::io::Error),
    /// The payer could not sign (a key with no signature to give).
    #[error("cannot sign the submission: {0}")]
    Signing(usd1_client::ClientError),
}

/// Retry policy.
#[derive(Clone, Copy, Debug)]
pub struct Retry {
    pub max_attempts: u32,
    pub backoff: Duration,
}

/// Sends `args` with the attestors' `signatures` (held keys' and
/// co-signers'), confirms; retries transient errors with doubling backoff,
/// re-sending the same transaction while its blockhash is valid and building
/// a new one only once the earlier one can no longer land.
pub async fn submit(
    usd1: &Usd1<dyn Ledger>,
    store: &ReportStore,
    args: AttestArgs,
    signatures: &[AttestorSignature],
    retry: Retry,
    metrics: &Metrics,
    cancel: &CancellationToken,
) -> Result<Signature, SubmitError> {
    let ledger = usd1.ledger().as_ref();
    let ixs = attestation::attest_instructions(&usd1.mint(), args, signatures);
    let mut journal = PendingFile {
        store,
        pending: Pending {
            seq: args.seq,
            report_sha256: hex(&args.report_sha256),
            attempts: Vec::new(),
            attestation: Some(SignedAttestation {
                reserve_amount: args.reserve_amount,
                as_of: args.as_of,
                signatures: signatures
                    .iter()
                    .map(|s| format!("{}={}", s.attestor, s.signature))
                    .collect(),
            }),
        },
    };
    // The last transaction sent, while it may still land.
    let mut last_transaction: Option<(send_journal::Attempt, Transaction)> = None;
    let mut last_error = String::new();
    let mut delay = retry.backoff;
    for attempt in 1..=retry.max_attempts {
        if attempt > 1 {
            tokio::select! {
                _ = cancel.cancelled() => return Err(SubmitError::Abandoned),
                _ = tokio::time::sleep(delay) => {}
            }
            delay = delay.saturating_mul(2);
        }
        // An earlier send may have landed while we could not hear about it.
        if let Some((sent, _)) = &last_transaction {
            match ledger.signature_status(&sent.signature).await {
                Ok(Some(Ok(()))) => return Ok(sent.signature),
                Ok(Some(Err(error))) => {
                    return Err(rejected(Failure::new(error), Vec::new(), store)?)
                }
                Ok(None) => {}
                Err(error) => {
                    metrics.rpc_error();
                    last_error = error.to_string();
                    continue;
                }
            }
            match send_journal::can_no_longer_land(ledger, sent).await {
                Ok(false) => {}
                Ok(true) => last_transaction = None,
                Err(error) => {
                    metrics.rpc_error();
                    last_error = error.to_string();
                    continue;
                }
            }
        }
        let (sent, transaction) = match last_transaction.take() {
            Some(previous) => previous,
            None => {
                let blockhash = match ledger.latest_blockhash().await {
                    Ok(blockhash) => blockhash,
                    Err(error) => {
                        metrics.rpc_error();
                        last_error = error.to_string();
                        continue;
                    }
                };
                let transaction = usd1
                    .transaction(&ixs, &[], blockhash)
                    .map_err(SubmitError::Signing)?;
                let sent = send_journal::Attempt::sent_through(ledger, &transaction);
                journal.record_sent(&sent)?;
                (sent, transaction)
            }
        };
        let outcome = tokio::select! {
            _ = cancel.cancelled() => return Err(SubmitError::Abandoned),
            outcome = ledger.send_and_confirm(&transaction) => outcome,
        };
        match outcome {
            Ok(executed) => return Ok(executed.signature),
            // Not verdicts on this transaction (a ledger that reports them
            // as refusals): its status decides, on the next attempt.
            Err(ClientError::Failed { failure, .. })
                if matches!(
                    failure.error,
                    TransactionError::BlockhashNotFound | TransactionError::AlreadyProcessed
                ) =>
            {
                last_error = failure.to_string();
                last_transaction = Some((sent, transaction));
            }
            Err(ClientError::Failed { failure, logs }) => {
                return Err(rejected(failure, logs, store)?)
            }
            // It can never land: the same signatures go in a new transaction.
            Err(error @ ClientError::Expired { .. }) => last_error = error.to_string(),
            Err(error) => {
                metrics.rpc_error();
                last_error = error.to_string();
                last_transaction = Some((sent, transaction));
            }
        }
    }
    Err(SubmitError::GaveUp {
        attempts: retry.max_attempts,
        last: last_error,
    })
}

/// `pending.json` as the oracle's send journal: every attempt at one seq.
struct PendingFile<'a> {
    store: &'a ReportStore,
    pending: Pending,
}

impl SendJournal for PendingFile<'_> {
    fn record_sent(&mut self, attempt: &send_journal::Attempt) -> std::io::Result<()> {
        let attempt = Attempt::new(attempt);
        self.pending.attempts.push(attempt);
        self.store.save_pending(&self.pending)
    }
}

/// A refused attestation cannot land any more: its journal entry goes.
fn rejected(
    failure: Failure,
    logs: Vec<String>,
    store: &ReportStore,
) -> Result<SubmitError, std::io::Error> {
    store.clear_pending()?;
    Ok(SubmitError::Rejected { failure, logs })
}

/// What became of a submission an earlier run left in `pending.json`.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Nothing was pending.
    Clear,
    /// It landed: attestation `seq` is ours.
    Landed { seq: u64, signature: Signature },
    /// It can no longer land (failed, or its blockhash expired, or another
    /// attestation took its seq): its report is set aside.
    Dropped { seq: u64 },
    /// Its blockhash expired, but the seq is still the next one: the same
    /// signed attestation may be sent again with a fresh blockhash
    /// ([`resend`]) while the program's submission delay allows.
    Resend {
        args: AttestArgs,
        signatures: Vec<AttestorSignature>,
    },
    /// It could still land; waited `wait` without an answer.
    StillPending { seq: u64 },
}

/// Settles `pending.json` against the chain, waiting up to `wait` for an
/// attempt whose blockhash is still valid.
pub async fn resolve_pending(
    ledger: &dyn Ledger,
    store: &ReportStore,
    chain_seq: u64,
    wait: Duration,
    cancel: &CancellationToken,
) -> Result<Resolution, ResolveError> {
    let Some(pending) = store.load_pending()? else {
        return Ok(Resolution::Clear);
    };
    let attempts: Vec<send_journal::Attempt> = pending
        .attempts
        .iter()
        .filter_map(Attempt::parsed)
        .collect();
    let outcome = if chain_seq >= pending.seq {
        // Once another attestation holds its seq, it could only land as a failure.
        match send_journal::outcome(ledger, &attempts).await? {
            Outcome::MayStillLand => Outcome::CannotLand,
            outcome => outcome,
        }
    } else {
        send_journal::wait_for_outcome(ledger, &attempts, wait, cancel.cancelled()).await?
    };
    match outcome {
        Outcome::Landed(signature) => {
            store.clear_pending()?;
            Ok(Resolution::Landed {
                seq: pending.seq,
                signature,
            })
        }
        Outcome::CannotLand => {
            if chain_seq.checked_add(1) == Some(pending.seq) {
                if let Some((args, signatures)) = signed(&pending) {
                    return Ok(Resolution::Resend { args, signatures });
                }
            }
            store.set_aside_report(pending.seq, "unsent")?;
            store.clear_pending()?;
            Ok(Resolution::Dropped { seq: pending.seq })
        }
        Outcome::MayStillLand => Ok(Resolution::StillPending { seq: pending.seq }),
    }
}

/// The signed attestation `pending` carries, if it carries one whole.
fn signed(pending: &Pending) -> Option<(AttestArgs, Vec<AttestorSignature>)> {
    let attestation = pending.attestation.as_ref()?;
    let report_sha256 = usd1_client::hash_from_hex(&pending.report_sha256)?;
    let signatures = attestation
        .signatures
        .iter()
        .map(|pair| {
            let (attestor, signature) = pair.split_once('=')?;
            Some(AttestorSignature {
                attestor: attestor.parse().ok()?,
                signature: signature.parse().ok()?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let args = AttestArgs {
        seq: pending.seq,
        reserve_amount: attestation.reserve_amount,
        as_of: attestation.as_of,
        report_sha256,
    };
    Some((args, signatures))
}

/// Sends an attestation signed earlier ([`Resolution::Resend`]) again with a
/// fresh blockhash, if the program would still take it at `now` (its as_of
/// within `max_submission_delay`): the signatures cover the digest, not the
/// blockhash, so nobody is asked to sign anything again. `None`, with its
/// report set aside, when the signatures have expired: only then is the seq
/// built anew.
#[allow(clippy::too_many_arguments)]
pub async fn resend(
    usd1: &Usd1<dyn Ledger>,
    store: &ReportStore,
    args: AttestArgs,
    signatures: &[AttestorSignature],
    (now, max_submission_delay): (i64, i64),
    retry: Retry,
    metrics: &Metrics,
    cancel: &CancellationToken,
) -> Result<Option<Signature>, SubmitError> {
    if args.as_of < now.saturating_sub(max_submission_delay) {
        store.set_aside_report(args.seq, "unsent")?;
        store.clear_pending()?;
        return Ok(None);
    }
    match submit(usd1, store, args, signatures, retry, metrics, cancel).await {
        Ok(signature) => Ok(Some(signature)),
        Err(SubmitError::Rejected { failure, logs }) => {
            store.set_aside_report(args.seq, "unsent")?;
            Err(SubmitError::Rejected { failure, logs })
        }
        Err(other) => Err(other),
    }
}

#[derive(Debug, Error)]
pub enum ResolveError {
    #[error(transparent)]
    Chain(#[from] ClientError),
    #[error("cannot read or update pending.json: {0}")]
    Journal(#[from] std::io::Error),
}
