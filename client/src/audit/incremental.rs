//! Auditing from a checkpoint: replay only the history after it, streamed.
//!
//! [`advance`] reads the Config's transactions after the checkpoint's last
//! one ([`HistoryReader`]: a bounded window, in order) and replays them slot
//! by slot. The newest slot may still be filling, so its transactions are
//! replayed into the report but kept out of the state: the checkpoint lists
//! them, and the next replay reads them again with whatever else landed in
//! that slot. A full replay and any chain of incremental ones over the same
//! history therefore reach byte-identical states.
//!
//! A slot's order is asked of the node (`getBlock`) only when it matters to
//! a check: two or more of its transactions attest, mint, or change the
//! attestors or the policy.
use serde::{Deserialize, Serialize};
use serde_with::{serde_as, DisplayFromStr};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;

use super::{burns_outside_usd1, touches_program, AuditReport, OnChain, Replay};
use crate::checkpoint::CheckpointError;
use crate::error::ClientError;
use crate::events::Usd1Event;
use crate::history::{HistoryReader, Progress};
use crate::issuer::Usd1;
use crate::ledger::{Ledger, RecordedTransaction};

/// The `format` of an audit checkpoint.
pub const FORMAT: &str = "usd1-audit-checkpoint";

/// Where a replay stopped: the newest transaction the node listed then.
#[serde_as]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde_as(as = "DisplayFromStr")]
    pub signature: Signature,
    pub slot: u64,
}

/// Holders' own burns, from the mint's history (read once supply first
/// fell below what USD1 recorded, then after every replay).
#[serde_as]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolderBurns {
    pub read: bool,
    /// Base units.
    #[serde_as(as = "DisplayFromStr")]
    pub amount: u128,
    pub last: Option<Cursor>,
}

/// What an audit checkpoint holds.
#[serde_as]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditState {
    /// The replay after every slot but the newest.
    pub replay: Replay,
    /// The newest transaction listed for the Config (failed or not).
    pub last: Option<Cursor>,
    /// The newest slot's transactions that touched the program, in the
    /// order read: in the report, not yet in `replay`.
    #[serde_as(as = "Vec<DisplayFromStr>")]
    pub pending: Vec<Signature>,
    pub holder_burns: HolderBurns,
}

impl AuditState {
    /// The state before the mint's first transaction.
    pub fn new(mint: &Pubkey) -> Self {
        Self {
            replay: Replay::new(mint),
            last: None,
            pending: Vec::new(),
            holder_burns: HolderBurns::default(),
        }
    }
}

/// A replay brought up to the chain's newest transaction.
pub struct Advanced {
    pub state: AuditState,
    /// The newest slot's transactions (listed in `state.pending`).
    pub pending: Vec<RecordedTransaction>,
    /// Transactions read from the node.
    pub read: u64,
}

/// Whether one slot's order changes what a check finds: two or more of its
/// transactions attest, mint, or change the attestors or the policy.
fn order_matters(mint: &Pubkey, block: &[RecordedTransaction]) -> bool {
    let ordered = |tx: &&RecordedTransaction| {
        tx.events.iter().any(|event| match event {
            Usd1Event::ReserveAttested(e) => e.mint == *mint,
            Usd1Event::Minted(e) => e.mint == *mint,
            Usd1Event::AttestorsChanged(e) => e.mint == *mint,
            Usd1Event::PolicyChanged(e) => e.mint == *mint,
            _ => false,
        })
    };
    block.iter().filter(ordered).count() >= 2
}

/// Replays one whole slot into `replay` (and `also`), in its block's order
/// when that matters and the node can say it.
async fn complete<L: Ledger + ?Sized>(
    ledger: &L,
    replay: &mut Replay,
    mut block: Vec<RecordedTransaction>,
    also: &mut (dyn FnMut(&[&RecordedTransaction]) + Send),
) -> Result<(), ClientError> {
    let unknown = block.iter().any(|tx| tx.position.is_none());
    if unknown && order_matters(&replay.mint(), &block) {
        if let Some(order) = ledger.block_order(block[0].slot).await? {
            for tx in &mut block {
                tx.position = order
                    .iter()
                    .position(|s| *s == tx.signature)
                    .map(|p| p as u64);
            }
        }
    }
    // Stable: a slot whose order is unknown keeps the node's.
    block.sort_by_key(|tx| tx.position);
    let refs: Vec<&RecordedTransaction> = block.iter().collect();
    replay.slot(&refs);
    also(&refs);
    Ok(())
}

/// Reads and replays the Config's history after `state` (all of it with
/// `None`), `concurrency` transactions fetched at once. `also` sees every
/// whole slot replayed, in order (the transparency page's series).
pub async fn advance<L: Ledger + ?Sized>(
    usd1: &Usd1<L>,
    state: Option<AuditState>,
    concurrency: usize,
    progress: &mut (dyn FnMut(Progress) + Send),
    also: &mut (dyn FnMut(&[&RecordedTransaction]) + Send),
) -> Result<Advanced, ClientError> {
    let ledger = usd1.ledger().as_ref();
    let mut state = state.unwrap_or_else(|| AuditState::new(&usd1.mint()));
    if let Some(last) = state.last {
        if !ledger.signature_seen(&last.signature).await? {
            return Err(CheckpointError::UnknownToNode {
                signature: last.signature,
            }
            .into());
        }
    }
    let mut reader = HistoryReader::open(
        ledger,
        &usd1.config_address(),
        state.last.map(|c| c.signature),
        &state.pending,
        concurrency,
        progress,
    )
    .await?;
    let mut block: Vec<RecordedTransaction> = Vec::new();
    while let Some(tx) = reader.next().await? {
        progress(reader.progress());
        if !touches_program(&tx) {
            continue;
        }
        if block.first().is_some_and(|first| first.slot != tx.slot) {
            let whole = std::mem::take(&mut block);
            complete(ledger, &mut state.replay, whole, also).await?;
        }
        block.push(tx);
    }
    if let Some(newest) = reader.newest() {
        state.last = Some(Cursor {
            signature: newest.signature,
            slot: newest.slot,
        });
    }
    state.pending = block.iter().map(|tx| tx.signature).collect();
    Ok(Advanced {
        state,
        pending: block,
        read: reader.progress().read,
    })
}

/// Audits `usd1`'s mint from `state` (from the start with `None`): the
/// report, reconciled with the chain now, and the state to checkpoint.
pub async fn audit_from<L: Ledger + ?Sized>(
    usd1: &Usd1<L>,
    state: Option<AuditState>,
    concurrency: usize,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(AuditReport, AuditState), ClientError> {
    let advanced = advance(usd1, state, concurrency, progress, &mut |_| {}).await?;
    let mut state = advanced.state;
    let report = report_of(usd1, &mut state, &advanced.pending, concurrency).await?;
    Ok((report, state))
}

/// The report of `state` with the newest slot's `pending` transactions,
/// reconciled with the chain now (reading holders' own burns into `state`
/// when supply shows there are some).
pub async fn report_of<L: Ledger + ?Sized>(
    usd1: &Usd1<L>,
    state: &mut AuditState,
    pending: &[RecordedTransaction],
    concurrency: usize,
) -> Result<AuditReport, ClientError> {
    let mut replay = state.replay.clone();
    replay.slot(&pending.iter().collect::<Vec<_>>());
    let mut report = replay.report();
    let config = usd1.config().await?;
    let supply = usd1.mint_info().await?.supply;
    let escrow_balance = usd1.token_account(&usd1.escrow_address()).await?.amount;
    let burns = &mut state.holder_burns;
    if burns.read || u128::from(supply) < report.supply_before_holder_burns() {
        read_holder_burns(usd1, burns, concurrency).await?;
    }
    let frozen_amount =
        super::freezes::frozen_amount(usd1, &report.replayed.freezes.frozen).await?;
    report.reconcile(&OnChain {
        config,
        supply,
        escrow_balance,
        outside_burns: burns.amount,
        frozen_amount,
    });
    Ok(report)
}

/// Adds the holders' burns of the mint's transactions after `burns.last`.
async fn read_holder_burns<L: Ledger + ?Sized>(
    usd1: &Usd1<L>,
    burns: &mut HolderBurns,
    concurrency: usize,
) -> Result<(), ClientError> {
    let mint = usd1.mint();
    let ledger = usd1.ledger().as_ref();
    let until = burns.last.map(|c| c.signature);
    let mut reader =
        HistoryReader::open(ledger, &mint, until, &[], concurrency, &mut |_| {}).await?;
    while let Some(tx) = reader.next().await? {
        burns.amount += burns_outside_usd1(&mint, std::slice::from_ref(&tx));
    }
    if let Some(newest) = reader.newest() {
        burns.last = Some(Cursor {
            signature: newest.signature,
            slot: newest.slot,
        });
    }
    burns.read = true;
    Ok(())
}
