//! A durable send journal: how a sender that may die between sending a
//! transaction and hearing what became of it never pays, or attests, twice.
//!
//! Three steps, the same for every sender: record each attempt durably
//! *before* it leaves ([`SendJournal::record_sent`], [`send_recorded`]); after a
//! crash, ask the chain what became of the recorded attempts ([`outcome`]);
//! and while one of them could still land, wait for it ([`wait_for_outcome`])
//! rather than send again. `usd1 pay` (one journal line per row) and the
//! oracle (`pending.json`) each keep their own file format behind
//! [`SendJournal`].
use std::future::Future;
use std::time::{Duration, Instant};

use solana_sdk::hash::Hash;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::Transaction;

use crate::error::ClientError;
use crate::ledger::{Executed, Ledger};

/// How often [`wait_for_outcome`] asks the chain again.
const POLL: Duration = Duration::from_millis(500);

/// One send of a payload: what a restart needs to find out whether it landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub signature: Signature,
    /// The blockhash it was signed against: once that expires, it cannot land.
    pub blockhash: Hash,
    /// The last block height it can land in, when the sender knew it (the
    /// node said so with the blockhash): judged against the node's block
    /// height, which a lagging node cannot make look expired.
    pub last_valid_block_height: Option<u64>,
}

impl Attempt {
    /// The attempt `transaction` is (its first signature and its blockhash),
    /// its last valid block height unknown.
    pub fn of(transaction: &Transaction) -> Self {
        Self {
            signature: transaction.signatures.first().copied().unwrap_or_default(),
            blockhash: transaction.message.recent_blockhash,
            last_valid_block_height: None,
        }
    }

    /// The attempt `transaction` is, with the last valid block height
    /// `ledger` gave with its blockhash.
    pub fn sent_through(ledger: &(impl Ledger + ?Sized), transaction: &Transaction) -> Self {
        let attempt = Self::of(transaction);
        Self {
            last_valid_block_height: ledger.last_valid_block_height(&attempt.blockhash),
            ..attempt
        }
    }
}

/// Whether `attempt`, not seen landed, can no longer land: the node's block
/// height is past the attempt's last valid block height, or, where that is
/// not known (an older journal, a blockhash from elsewhere), the node says
/// its blockhash is no longer valid.
pub async fn can_no_longer_land(
    ledger: &(impl Ledger + ?Sized),
    attempt: &Attempt,
) -> Result<bool, ClientError> {
    match attempt.last_valid_block_height {
        Some(last) => Ok(ledger.block_height().await? > last),
        None => Ok(!ledger.is_blockhash_valid(&attempt.blockhash).await?),
    }
}

/// Where a sender keeps its attempts. `record_sent` returns only once the
/// record is on disk (synced): a crash right after it can no longer hide a
/// send.
pub trait SendJournal {
    fn record_sent(&mut self, attempt: &Attempt) -> std::io::Result<()>;
}

/// Why [`send_recorded`] sent nothing, or what sending said.
#[derive(Debug, thiserror::Error)]
pub enum SendRecordedError {
    /// The journal could not record the attempt: nothing was sent.
    #[error("cannot record the send, nothing sent: {0}")]
    Journal(#[from] std::io::Error),
    /// Recorded and sent; the chain refused it, or its outcome is unknown.
    #[error(transparent)]
    Send(#[from] ClientError),
}

/// Records `transaction` in `journal`, then sends it and waits for confirmation.
pub async fn send_recorded(
    ledger: &(impl Ledger + ?Sized),
    journal: &mut impl SendJournal,
    transaction: &Transaction,
) -> Result<Executed, SendRecordedError> {
    journal.record_sent(&Attempt::sent_through(ledger, transaction))?;
    Ok(ledger.send_and_confirm(transaction).await?)
}

/// [`send_recorded`] for a sender that needs no events back (a payout).
pub async fn send_recorded_quiet(
    ledger: &(impl Ledger + ?Sized),
    journal: &mut impl SendJournal,
    transaction: &Transaction,
) -> Result<Signature, SendRecordedError> {
    journal.record_sent(&Attempt::sent_through(ledger, transaction))?;
    Ok(ledger.send_and_confirm_quiet(transaction).await?)
}

/// What became of the recorded attempts at one payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// This one landed successfully.
    Landed(Signature),
    /// None landed, and none can any more: each failed or its blockhash expired.
    CannotLand,
    /// None landed yet, but one could still.
    MayStillLand,
}

/// Asks the ledger once what became of `attempts`.
pub async fn outcome(
    ledger: &(impl Ledger + ?Sized),
    attempts: &[Attempt],
) -> Result<Outcome, ClientError> {
    let mut may_still_land = false;
    for attempt in attempts {
        match ledger.signature_status(&attempt.signature).await? {
            Some(Ok(())) => return Ok(Outcome::Landed(attempt.signature)),
            Some(Err(_)) => {}
            None if !can_no_longer_land(ledger, attempt).await? => may_still_land = true,
            // Expired: nothing new can land now — but it may have landed
            // between the two questions, so ask once more. What is seen
            // only below the commitment has landed in a block, and may
            // still be confirmed.
            None => match ledger.signature_status(&attempt.signature).await? {
                Some(Ok(())) => return Ok(Outcome::Landed(attempt.signature)),
                Some(Err(_)) => {}
                None => may_still_land |= ledger.signature_seen(&attempt.signature).await?,
            },
        }
    }
    Ok(if may_still_land {
        Outcome::MayStillLand
    } else {
        Outcome::CannotLand
    })
}

/// Asks again until the outcome is known, for at most `up_to` or until
/// `stop` resolves; then `MayStillLand` means the caller must not send again
/// yet.
pub async fn wait_for_outcome(
    ledger: &(impl Ledger + ?Sized),
    attempts: &[Attempt],
    up_to: Duration,
    stop: impl Future<Output = ()>,
) -> Result<Outcome, ClientError> {
    let deadline = Instant::now() + up_to;
    tokio::pin!(stop);
    loop {
        let now = outcome(ledger, attempts).await?;
        if now != Outcome::MayStillLand || Instant::now() >= deadline {
            return Ok(now);
        }
        tokio::select! {
            _ = &mut stop => return Ok(Outcome::MayStillLand),
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}
