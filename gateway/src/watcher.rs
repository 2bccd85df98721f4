//! Finding payments: the treasury's token account's signature list (and each
//! payable invoice's reference's) is read from the last signature processed,
//! oldest first, at the gateway's commitment; every movement is recorded
//! once, so nothing is missed across a restart and nothing counted twice.
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use usd1_client::ledger::{Ledger, Listed};
use usd1_client::rpc::RpcLedger;

use crate::store::chain::Settlement;
use crate::store::Store;
use crate::Treasury;

/// Signatures asked for per page.
const PAGE: usize = 1000;
/// Transactions fetched at once.
const FETCH_CONCURRENCY: usize = 8;
/// How often every payable invoice's reference is read too…
const REFERENCE_SWEEP: Duration = Duration::from_secs(30);
/// …how many at once…
const SWEEP_CONCURRENCY: usize = 8;
/// …and of invoices made in the last week only.
const SWEEP_AGE_SECS: i64 = 7 * 24 * 3600;

pub struct Watcher {
    pub store: Store,
    pub ledger: Arc<RpcLedger>,
    pub treasury: Treasury,
    pub poll: Duration,
    /// Woken by the PubSub subscription: pass now rather than at the next poll.
    pub wake: Arc<tokio::sync::Notify>,
    /// The sanctions lists every payment's sender is screened against.
    pub lists: Arc<crate::rescreen::Lists>,
    /// Below `finalized`: how long a recorded movement may be unknown to
    /// the chain before it counts as vanished and is reversed (longer than
    /// a blockhash lives, so it can no longer land). `None` at `finalized`.
    pub vanish_after: Option<Duration>,
    /// Where passes are reported (`/ready`, `/metrics`).
    pub health: Arc<crate::health::Health>,
}

/// What one pass found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub recorded: usize,
    /// Program transactions read for attestations and the treasury's redemptions.
    pub program: usize,
    pub expired: usize,
    /// Movements that vanished before they were finalized.
    pub reversed: usize,
}

impl Watcher {
    /// Passes until the task is dropped; a failing pass (node or database
    /// away) is retried from the same cursor, backing off (doubling, to
    /// [`crate::health::MAX_BACKOFF`]) while it lasts. The outage is logged
    /// when it starts and when it ends, once each.
    pub async fn run(self: Arc<Self>) {
        let mut wait = self.poll;
        loop {
            match self.pass().await {
                Ok(_) => {
                    self.health.ok("watcher");
                    wait = self.poll;
                }
                Err(error) => {
                    let database = error
                        .downcast_ref::<crate::store::StoreError>()
                        .is_some_and(crate::store::StoreError::is_unavailable);
                    self.health
                        .failed("watcher", &usd1_client::one_line(error.as_ref()), database);
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(crate::health::MAX_BACKOFF.max(self.poll));
                    continue;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.poll) => {}
                _ = self.wake.notified() => {}
            }
        }
    }

    /// One pass over the treasury account and the payable invoices'
    /// references, then the expiry of open invoices past due.
    pub async fn pass(&self) -> anyhow::Result<Pass> {
        let mut pass = Pass::default();
        // The chain's clock at our commitment, before the scan: every
        // payment landed by it is read below, so an invoice whose deadline
        // it passed can expire without losing an on-time payment.
        let (slot, chain_now) = match self.ledger.clock().await {
            Ok(clock) => {
                self.health.ok("node");
                self.health.node_at(clock.0);
                clock
            }
            Err(error) => {
                self.health.failed("node", &error.to_string(), false);
                return Err(error.into());
            }
        };
        // A new list version is in force at once; a file that cannot be
        // read never stops payments being found: it is read again next pass.
        match self.lists.check(&self.store).await {
            Ok(_) => self.health.ok("lists"),
            Err(error) => {
                self.health
                    .failed("lists", &usd1_client::one_line(error.as_ref()), false)
            }
        }
        pass.recorded += self.scan(&self.treasury.account).await?;
        pass.program += self.scan_program().await?;
        pass.expired = self.store.expire_invoices(chain_now).await?;
        if let Some(vanish_after) = self.vanish_after {
            pass.reversed = self.recheck(vanish_after).await?;
        }
        self.store.anchor_cases().await?;
        self.health.watched(slot);
        Ok(pass)
    }

    /// Asks the chain again about what was recorded below `finalized`:
    /// finalized ones are marked so, and ones the chain has not known for
    /// longer than `vanish_after` are reversed. How many were reversed.
    async fn recheck(&self, vanish_after: Duration) -> anyhow::Result<usize> {
        let pending = self.store.unfinalized().await?;
        let mut finalized = Vec::new();
        let mut reversed = 0;
        let now = crate::store::now();
        for chunk in pending.chunks(256) {
            let signatures: Vec<Signature> =
                chunk.iter().filter_map(|(s, _)| s.parse().ok()).collect();
            let statuses = self
                .ledger
                .client()
                .get_signature_statuses_with_history(&signatures)
                .await?
                .value;
            for ((signature, recorded_at), status) in chunk.iter().zip(statuses) {
                let unknown_for =
                    Duration::from_secs(now.saturating_sub(*recorded_at).max(0) as u64);
                match fate(status.as_ref(), unknown_for, vanish_after) {
                    Fate::Finalized => finalized.push(signature.clone()),
                    Fate::Waiting => {}
                    Fate::Vanished => {
                        if self.store.reverse_movement(signature).await?.is_some() {
                            eprintln!(
                                "usd1-gateway: movement {signature} vanished from the chain (a fork that did not last): reversed"
                            );
                            reversed += 1;
                        }
                    }
                }
            }
        }
        self.store.mark_finalized(&finalized).await?;
        Ok(reversed)
    }

    /// Screens what new list versions added against the mint's holders and
    /// the unsettled payers, on a task of its own: it may fail (a node that
    /// refuses `getProgramAccounts`) and is tried again, while the new
    /// versions already screen payments.
    pub async fn rescreen(self: Arc<Self>) {
        loop {
            if let Ok(Some(done)) = self
                .lists
                .rescreen(&self.store, self.ledger.as_ref(), &self.treasury)
                .await
            {
                eprintln!(
                    "usd1-gateway: re-screened for {}: {} holder(s) and payer(s), {} case(s) opened",
                    done.versions.join("; "),
                    done.screened,
                    done.opened.len()
                );
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// The references: a second look, in case the treasury's list missed a
    /// payment (a node that pruned or lagged). Off the watcher's path, every
    /// 30 s, a few references at once, and only invoices still payable and
    /// younger than a week: a key's many invoices never delay the next
    /// payment's detection.
    pub async fn sweep(self: Arc<Self>) {
        loop {
            tokio::time::sleep(REFERENCE_SWEEP).await;
            if let Err(error) = self.sweep_once().await {
                eprintln!(
                    "usd1-gateway: reference sweep: {}",
                    usd1_client::one_line(error.as_ref())
                );
            }
        }
    }

    /// One sweep: how many movements it recorded.
    pub async fn sweep_once(&self) -> anyhow::Result<usize> {
        let young = crate::store::now().saturating_sub(SWEEP_AGE_SECS);
        let references: Vec<Pubkey> = self
            .store
            .payable_invoices_since(young)
            .await?
            .iter()
            .filter_map(|invoice| invoice.reference.parse().ok())
            .collect();
        let scans = references
            .into_iter()
            .map(|reference| async move { self.scan(&reference).await });
        let mut scans = futures::stream::iter(scans).buffer_unordered(SWEEP_CONCURRENCY);
        let mut recorded = 0;
        while let Some(scanned) = scans.next().await {
            recorded += scanned?;
        }
        Ok(recorded)
    }

    /// `address`'s signatures newer than `until`, newest first, every page.
    async fn newer(
        &self,
        address: &Pubkey,
        until: Option<&Signature>,
    ) -> anyhow::Result<Vec<Listed>> {
        let mut newest_first: Vec<Listed> = Vec::new();
        loop {
            let before = newest_first.last().map(|l| l.signature);
            let page = self
                .ledger
                .signatures(address, before.as_ref(), until, PAGE)
                .await?;
            let full = page.len() == PAGE;
            newest_first.extend(page);
            if !full {
                return Ok(newest_first);
            }
        }
    }

    /// The program's transactions (its config account's list) since the
    /// last read, turned into `attestation.published` and the treasury's
    /// `redemption.*` events. A gateway's first pass starts from the newest:
    /// it announces what happens after it began watching.
    async fn scan_program(&self) -> anyhow::Result<usize> {
        let config = usd1_client::pda::config(&self.treasury.mint);
        let key = format!("program:{config}");
        let Some(until) = self.store.cursor(&key).await? else {
            let newest = self.ledger.signatures(&config, None, None, 1).await?;
            if let Some(newest) = newest.first() {
                let signature = newest.signature.to_string();
                self.store.set_cursor(&key, &signature, newest.slot).await?;
            }
            return Ok(0);
        };
        let until: Option<Signature> = until.parse().ok();
        let mut read = 0;
        for listed in self.newer(&config, until.as_ref()).await?.iter().rev() {
            let signature = listed.signature.to_string();
            if !listed.failed && !self.store.known_program_transaction(&signature).await? {
                let recorded = self.ledger.recorded(&config, &listed.signature).await?;
                // A freeze citing an approved case's order closes the case.
                for event in &recorded.events {
                    if let usd1_client::Usd1Event::Frozen(e) = event {
                        if e.order_sha256 != [0; 32] {
                            let (mint, program) = (self.treasury.mint, self.treasury.token_program);
                            self.store
                                .record_frozen(
                                    &usd1_client::hex(&e.order_sha256),
                                    &e.token_account.to_string(),
                                    &signature,
                                    |subject| {
                                        let wallet = subject.parse().ok()?;
                                        Some(
                                            usd1_client::pda::associated_token_account(
                                                &wallet, &mint, &program,
                                            )
                                            .to_string(),
                                        )
                                    },
                                )
                                .await?;
                        }
                    }
                }
                let events: Vec<(&str, serde_json::Value)> = recorded
                    .events
                    .iter()
                    .filter_map(|e| {
                        crate::store::payload::program_event(e, &self.treasury.wallet, &signature)
                    })
                    .collect();
                let settled = recorded.events.iter().find_map(|event| match event {
                    usd1_client::Usd1Event::RedemptionSettled(e)
                        if e.holder == self.treasury.wallet =>
                    {
                        Some(Settlement {
                            treasurer: e.treasurer.to_string(),
                            block_time: recorded.block_time,
                            memo: format!(
                                "redemption #{} settled: {} paid out",
                                e.id,
                                usd1_client::format_amount(
                                    e.payout,
                                    crate::store::payload::DECIMALS
                                )
                            ),
                        })
                    }
                    _ => None,
                });
                self.store
                    .record_program_transaction(&signature, listed.slot, &events, settled.as_ref())
                    .await?;
                read += 1;
            }
            self.store.set_cursor(&key, &signature, listed.slot).await?;
        }
        Ok(read)
    }

    /// Records the movements of the treasury account among `address`'s
    /// transactions newer than its cursor, oldest first, moving the cursor
    /// after each.
    async fn scan(&self, address: &Pubkey) -> anyhow::Result<usize> {
        let key = address.to_string();
        let until: Option<Signature> = self.store.cursor(&key).await?.and_then(|s| s.parse().ok());
        let newest_first = self.newer(address, until.as_ref()).await?;
        let mut recorded = 0;
        let mut new: Vec<(Listed, bool)> = Vec::new();
        for listed in newest_first.iter().rev() {
            let known = self
                .store
                .known_movement(&listed.signature.to_string())
                .await?;
            new.push((*listed, listed.failed || known));
        }
        // Fetched a few at once, recorded in order, the cursor after each.
        let account = self.treasury.account;
        let fetches = new.into_iter().map(|(listed, skip)| {
            let ledger = self.ledger.clone();
            async move {
                let movement = match skip {
                    true => None,
                    false => ledger.movement(&listed.signature, &account).await?,
                };
                anyhow::Ok((listed, movement))
            }
        });
        let mut fetched = futures::stream::iter(fetches).buffered(FETCH_CONCURRENCY);
        // A skipped signature's cursor waits for the next write (or the end).
        let mut unsaved: Option<Listed> = None;
        while let Some(next) = fetched.next().await {
            let (listed, movement) = next?;
            match movement {
                Some(movement) => {
                    // Every sender is screened, its wallet and its token
                    // account, whatever else the transaction did.
                    let screener = self.lists.screener();
                    let hits: Vec<_> = movement
                        .senders
                        .iter()
                        .flat_map(|sender| screener.screen_owner(&sender.owner, &sender.account))
                        .collect();
                    self.store
                        .record_movement_at(&self.treasury.mint, &movement, Some(&key), &hits)
                        .await?;
                    recorded += 1;
                    unsaved = None;
                }
                None => unsaved = Some(listed),
            }
        }
        if let Some(listed) = unsaved {
            let signature = listed.signature.to_string();
            self.store.set_cursor(&key, &signature, listed.slot).await?;
        }
        Ok(recorded)
    }
}

/// What the chain's word on a recorded movement means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Final: no fork can drop it.
    Finalized,
    /// Known below `finalized`, or unknown for too short a while to tell.
    Waiting,
    /// Unknown for longer than `vanish_after`: dropped with its fork, and it
    /// can no longer land.
    Vanished,
}

/// The fate of a movement with `status` (none: the node knows nothing of
/// it), recorded `recorded_for` ago.
pub fn fate(
    status: Option<&solana_transaction_status_client_types::TransactionStatus>,
    recorded_for: Duration,
    vanish_after: Duration,
) -> Fate {
    match status {
        Some(status)
            if status
                .satisfies_commitment(solana_commitment_config::CommitmentConfig::finalized()) =>
        {
            Fate::Finalized
        }
        Some(_) => Fate::Waiting,
        None if recorded_for > vanish_after => Fate::Vanished,
        None => Fate::Waiting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_transaction_status_client_types::{
        TransactionConfirmationStatus, TransactionStatus,
    };

    fn status(confirmation: TransactionConfirmationStatus) -> TransactionStatus {
        TransactionStatus {
            slot: 7,
            confirmations: (confirmation != TransactionConfirmationStatus::Finalized).then_some(3),
            status: Ok(()),
            err: None,
            confirmation_status: Some(confirmation),
        }
    }

    /// Issue 33, item 20: a movement is final only when finalized, and
    /// vanished only once unknown for longer than the wait.
    #[test]
    fn a_movement_is_final_when_finalized_and_vanished_only_after_the_wait() {
        let (short, long, wait) = (
            Duration::from_secs(10),
            Duration::from_secs(120),
            Duration::from_secs(90),
        );
        let finalized = status(TransactionConfirmationStatus::Finalized);
        let confirmed = status(TransactionConfirmationStatus::Confirmed);
        assert_eq!(fate(Some(&finalized), long, wait), Fate::Finalized);
        assert_eq!(fate(Some(&confirmed), long, wait), Fate::Waiting);
        assert_eq!(fate(None, short, wait), Fate::Waiting);
        assert_eq!(fate(None, long, wait), Fate::Vanished);
    }
}
