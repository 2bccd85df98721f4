//! Auditing USD1 from the chain alone, trusting nothing the program says about
//! itself.
//!
//! [`audit`] replays the transactions that touch the program, in (slot,
//! position in block) order: it re-verifies every attestation's Ed25519
//! signatures against the attestor set of its epoch, checks seq continuity
//! and as_of order (by seq, so that transactions of one slot may come in any
//! order), and checks every mint against the attestation it cites: that it
//! was the latest and not retired, that it was fresh under the policy in
//! force, and that supply stayed under its margin-adjusted reserve. Where the
//! order of one slot's transactions is unknown, a mint passes if it is valid
//! under some order the slot allows.
//!
//! [`Replay`] holds the replay's state between slots, so that a replay may
//! stop after any slot and go on later from a checkpoint of it
//! ([`checkpoint`]): a full replay and any chain of incremental ones over the
//! same history reach the same state.
//!
//! [`AuditReport::reconcile`] then compares where the replay ends with the
//! chain now: attestor set, threshold, policy, latest attestation, supply
//! (mints − burns − settled redemptions − holders' own burns) and the
//! redemption escrow. [`audit_chain`] does all of it for one mint.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_with::{serde_as, DisplayFromStr};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use usd1::constants::{
    DEFAULT_MAX_ATTESTATION_AGE, DEFAULT_MAX_SUBMISSION_DELAY, MAX_FUTURE_SKEW_SECS,
};
use usd1::state::mintable_ceiling;

use crate::events::Usd1Event;
use crate::ledger::RecordedTransaction;

mod end_state;
mod freezes;
pub mod incremental;
mod signatures;
mod violation;
pub use end_state::{
    audit_chain, audit_history, burns_outside_usd1, AuditReport, OnChain, Replayed,
};
pub use freezes::Freezes;
pub use violation::Violation;

/// The policy a mint is checked under: how old its attestation may be, and
/// the margin kept below the reserve; and how long after its as_of an
/// attestation may be submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Seconds.
    pub max_attestation_age: i64,
    pub margin_bps: u16,
    /// Seconds.
    pub max_submission_delay: i64,
}

impl Policy {
    /// The policy a `PolicyChanged` event sets.
    fn set_by(event: &usd1::events::PolicyChanged) -> Self {
        Self {
            max_attestation_age: event.max_attestation_age,
            margin_bps: event.margin_bps,
            max_submission_delay: event.max_submission_delay,
        }
    }
}

impl Default for Policy {
    /// What `initialize` sets.
    fn default() -> Self {
        Self {
            max_attestation_age: DEFAULT_MAX_ATTESTATION_AGE,
            margin_bps: 0,
            max_submission_delay: DEFAULT_MAX_SUBMISSION_DELAY,
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "max age {}s, margin {} bps, max submission delay {}s",
            self.max_attestation_age, self.margin_bps, self.max_submission_delay
        )
    }
}

/// One attestation as replayed.
#[serde_as]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Attested {
    #[serde_as(as = "DisplayFromStr")]
    signature: Signature,
    seq: u64,
    reserve: u64,
    as_of: i64,
    #[serde_as(as = "crate::checkpoint::Hex32")]
    report: [u8; 32],
    slot: u64,
    position: Option<u64>,
}

/// An attestor set and its threshold.
#[serde_as]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Epoch {
    #[serde_as(as = "Vec<DisplayFromStr>")]
    attestors: Vec<Pubkey>,
    threshold: u8,
}

/// The rules in force at a point of the replay. Where a slot's order is
/// unknown, the candidates for what was in force within it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct InForce {
    /// Attestor sets by epoch (epoch 0: none); epochs only ever grow.
    epochs: BTreeMap<u32, Epoch>,
    epoch: u32,
    policies: Vec<Policy>,
    /// Seq of the latest attestation replayed (0: none).
    latest: u64,
    /// Attestations retired with their attestor set.
    retired: BTreeSet<u64>,
}

impl Epoch {
    /// The set an `AttestorsChanged` event puts in force.
    fn set_by(event: &usd1::events::AttestorsChanged) -> Self {
        Self {
            attestors: event.attestors.clone(),
            threshold: event.threshold,
        }
    }
}

/// What may have been in force at some point of an unordered slot.
struct Candidates {
    latest: Vec<u64>,
    epochs: Vec<u32>,
    policies: Vec<Policy>,
    retired: BTreeSet<u64>,
}

/// The replay's state after some slots: the rules in force, every
/// attestation so far (seq order is checked over all of them), and the
/// report's counts and violations.
#[serde_as]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replay {
    #[serde_as(as = "DisplayFromStr")]
    mint: Pubkey,
    report: AuditReport,
    in_force: InForce,
    attestations: BTreeMap<u64, Vec<Attested>>,
}

/// Whether `tx` touched the program (an instruction or a CPI of it).
pub(crate) fn touches_program(tx: &RecordedTransaction) -> bool {
    tx.instructions
        .iter()
        .chain(&tx.inner_instructions)
        .any(|ix| ix.program_id == usd1::ID)
}

/// Replays `history` of `mint` (see the module documentation).
pub fn audit(mint: &Pubkey, history: &[RecordedTransaction]) -> AuditReport {
    let mut relevant: Vec<&RecordedTransaction> =
        history.iter().filter(|tx| touches_program(tx)).collect();
    // Stable: a slot whose positions are unknown keeps the ledger's order.
    relevant.sort_by_key(|tx| (tx.slot, tx.position));
    let mut replay = Replay::new(mint);
    for block in relevant.chunk_by(|a, b| a.slot == b.slot) {
        replay.slot(block);
    }
    replay.report()
}

impl Replay {
    /// The state before the mint's first transaction.
    pub fn new(mint: &Pubkey) -> Self {
        Self {
            mint: *mint,
            report: AuditReport::default(),
            in_force: InForce {
                epochs: BTreeMap::from([(0, Epoch::default())]),
                epoch: 0,
                policies: vec![Policy::default()],
                latest: 0,
                retired: BTreeSet::new(),
            },
            attestations: BTreeMap::new(),
        }
    }

    pub fn mint(&self) -> Pubkey {
        self.mint
    }

    /// Replays one slot's transactions, all of them, in the order of its
    /// block where the ledger knows it (those that did not touch the
    /// program are skipped).
    pub fn slot(&mut self, block: &[&RecordedTransaction]) {
        let mut block: Vec<&RecordedTransaction> = block
            .iter()
            .copied()
            .filter(|tx| touches_program(tx))
            .collect();
        block.sort_by_key(|tx| tx.position);
        self.report.transactions += block.len();
        if block.len() == 1 || block.iter().all(|tx| tx.position.is_some()) {
            for tx in block {
                self.step(tx, None);
            }
        } else {
            self.unordered(&block);
        }
    }

    /// The report as of the slots replayed so far (before reconciling with the chain).
    pub fn report(&self) -> AuditReport {
        self.clone().finish()
    }

    /// One slot whose transactions' order is unknown: every rule a mint or
    /// attestation is checked under may be any that held during the slot.
    fn unordered(&mut self, block: &[&RecordedTransaction]) {
        let mut candidates = Candidates {
            latest: vec![self.in_force.latest],
            epochs: vec![self.in_force.epoch],
            policies: self.in_force.policies.clone(),
            retired: self.in_force.retired.clone(),
        };
        let mut set_policies = Vec::new();
        for event in block.iter().flat_map(|tx| &tx.events) {
            match event {
                Usd1Event::ReserveAttested(e) if e.mint == self.mint => {
                    candidates.latest.push(e.seq)
                }
                Usd1Event::AttestorsChanged(e) if e.mint == self.mint => {
                    candidates.epochs.push(e.attestor_epoch);
                    self.in_force
                        .epochs
                        .insert(e.attestor_epoch, Epoch::set_by(e));
                }
                Usd1Event::PolicyChanged(e) if e.mint == self.mint => {
                    let policy = Policy::set_by(e);
                    candidates.policies.push(policy);
                    set_policies.push(policy);
                }
                _ => {}
            }
        }
        // The slot's attestations first, so a mint citing one finds it
        // whatever order the ledger gave.
        for tx in block {
            for event in &tx.events {
                if let Usd1Event::ReserveAttested(e) = event {
                    if e.mint == self.mint {
                        self.report.attestations += 1;
                        self.attestation(tx, e, Some(&candidates));
                    }
                }
            }
        }
        for tx in block {
            self.step(tx, Some(&candidates));
        }
        // After the slot: epochs and seqs only grow, so the largest is the
        // last; of several policies set in it, any may be the last.
        if !set_policies.is_empty() {
            self.in_force.policies = set_policies;
        }
    }

    /// Replays one transaction's events, in order (`candidates`: the slot's
    /// order is unknown).
    fn step(&mut self, tx: &RecordedTransaction, candidates: Option<&Candidates>) {
        for event in &tx.events {
            match event {
                Usd1Event::AttestorsChanged(e) if e.mint == self.mint => {
                    let in_force = &mut self.in_force;
                    in_force.epochs.insert(e.attestor_epoch, Epoch::set_by(e));
                    in_force.epoch = in_force.epoch.max(e.attestor_epoch);
                    if e.retired_seq > 0 {
                        in_force.retired.insert(e.retired_seq);
                    }
                }
                Usd1Event::PolicyChanged(e) if e.mint == self.mint && candidates.is_none() => {
                    self.in_force.policies = vec![Policy::set_by(e)];
                }
                // An unordered slot's attestations were replayed before its other events.
                Usd1Event::ReserveAttested(e) if e.mint == self.mint && candidates.is_none() => {
                    self.report.attestations += 1;
                    self.attestation(tx, e, None);
                }
                Usd1Event::Minted(e) if e.mint == self.mint => {
                    self.report.mints += 1;
                    self.report.replayed.minted += u128::from(e.amount);
                    self.check_mint(tx, e, candidates);
                }
                Usd1Event::Burned(e) if e.mint == self.mint => {
                    self.report.replayed.burned += u128::from(e.amount);
                }
                Usd1Event::RedemptionRequested(e) if e.mint == self.mint => {
                    let r = &mut self.report.replayed;
                    r.open_requests += 1;
                    r.open_amount += u128::from(e.amount);
                }
                Usd1Event::RedemptionSettled(e) if e.mint == self.mint => {
                    let r = &mut self.report.replayed;
                    r.redeemed += u128::from(e.amount);
                    r.open_requests = r.open_requests.saturating_sub(1);
                    r.open_amount = r.open_amount.saturating_sub(u128::from(e.amount));
                }
                Usd1Event::RedemptionRejected(e) if e.mint == self.mint => {
                    let r = &mut self.report.replayed;
                    r.open_requests = r.open_requests.saturating_sub(1);
                    r.open_amount = r.open_amount.saturating_sub(u128::from(e.amount));
                }
                other => self.report.replayed.freezes.record(&self.mint, other),
            }
        }
    }

    fn attestation(
        &mut self,
        tx: &RecordedTransaction,
        event: &usd1::events::ReserveAttested,
        candidates: Option<&Candidates>,
    ) {
        let (signature, seq) = (tx.signature, event.seq);
        let in_force = self.in_force.epoch;
        let allowed = match candidates {
            Some(c) => c.epochs.contains(&event.attestor_epoch),
            None => event.attestor_epoch == in_force,
        };
        if !allowed {
            self.report
                .violations
                .push(Violation::AttestorEpochMismatch {
                    signature,
                    seq,
                    claimed: event.attestor_epoch,
                    in_force,
                });
        }
        let epoch = if allowed {
            event.attestor_epoch
        } else {
            in_force
        };
        let Epoch {
            attestors,
            threshold,
        } = self
            .in_force
            .epochs
            .get(&epoch)
            .cloned()
            .unwrap_or_default();
        if let Some(block_time) = tx.block_time {
            let policies = candidates.map_or(&self.in_force.policies, |c| &c.policies);
            let fresh =
                |p: &Policy| event.as_of >= block_time.saturating_sub(p.max_submission_delay);
            if !policies.iter().any(fresh) {
                let max_delay = policies
                    .first()
                    .copied()
                    .unwrap_or_default()
                    .max_submission_delay;
                self.report.violations.push(Violation::AttestationExpired {
                    signature,
                    seq,
                    as_of: event.as_of,
                    block_time,
                    max_delay,
                });
            }
            if event.as_of > block_time.saturating_add(MAX_FUTURE_SKEW_SECS) {
                self.report.violations.push(Violation::AttestationInFuture {
                    signature,
                    seq,
                    as_of: event.as_of,
                    block_time,
                });
            }
        }
        signatures::check_signatures(
            &self.mint,
            tx,
            event,
            &attestors,
            threshold,
            &mut self.report.violations,
        );
        self.attestations.entry(seq).or_default().push(Attested {
            signature,
            seq,
            reserve: event.reserve_amount,
            as_of: event.as_of,
            report: event.report_sha256,
            slot: tx.slot,
            position: tx.position,
        });
        self.in_force.latest = self.in_force.latest.max(seq);
    }

    fn check_mint(
        &mut self,
        tx: &RecordedTransaction,
        event: &usd1::events::Minted,
        candidates: Option<&Candidates>,
    ) {
        let signature = tx.signature;
        let out = &mut self.report.violations;
        let in_force = &self.in_force;
        let (latest, policies, retired) = match candidates {
            Some(c) => (c.latest.clone(), c.policies.clone(), &c.retired),
            None => (
                vec![in_force.latest],
                in_force.policies.clone(),
                &in_force.retired,
            ),
        };
        let newest = latest.iter().copied().max().unwrap_or(0);
        if newest == 0 {
            out.push(Violation::MintWithoutAttestation { signature });
            return;
        }
        let claimed = event.attestation_seq;
        let cited = self
            .attestations
            .get(&claimed)
            .and_then(|all| all.last())
            .filter(|_| latest.contains(&claimed));
        let Some(cited) = cited else {
            out.push(Violation::MintAttestationMismatch {
                signature,
                claimed_seq: claimed,
                latest_seq: newest,
            });
            return;
        };
        if event.reserve_amount != cited.reserve {
            out.push(Violation::MintAttestationMismatch {
                signature,
                claimed_seq: claimed,
                latest_seq: cited.seq,
            });
        }
        if retired.contains(&cited.seq) {
            out.push(Violation::MintOnRetiredAttestation {
                signature,
                seq: cited.seq,
            });
        }
        let age = tx.block_time.map(|now| now.saturating_sub(cited.as_of));
        if age.is_none() {
            out.push(Violation::MintTimeUnknown { signature });
        }
        let ceiling =
            |policy: &Policy| mintable_ceiling(cited.reserve, policy.margin_bps).unwrap_or(0);
        let fresh = |policy: &Policy| age.is_none_or(|age| age <= policy.max_attestation_age);
        if policies
            .iter()
            .any(|policy| fresh(policy) && event.supply <= ceiling(policy))
        {
            return;
        }
        // No policy of the moment allows it: say why under the one in force.
        let policy = policies.first().copied().unwrap_or_default();
        if let Some(age) = age.filter(|_| !fresh(&policy)) {
            out.push(Violation::MintOnStaleAttestation {
                signature,
                seq: cited.seq,
                age,
                max_age: policy.max_attestation_age,
            });
        }
        if event.supply > ceiling(&policy) {
            out.push(Violation::MintAboveReserve {
                signature,
                supply: event.supply,
                ceiling: ceiling(&policy),
                seq: cited.seq,
            });
        }
    }

    /// Seq continuity and as_of order, by seq: a slot's transactions may come
    /// in any order, but seq k+1 must never land before seq k.
    fn finish(mut self) -> AuditReport {
        let all: Vec<Attested> = self.attestations.values().flatten().copied().collect();
        let out = &mut self.report.violations;
        let mut previous: Option<Attested> = None;
        for attested in &all {
            let expected = previous.map_or(1, |p| p.seq + 1);
            if attested.seq != expected {
                out.push(Violation::SeqGap {
                    signature: attested.signature,
                    expected,
                    found: attested.seq,
                });
            }
            if let Some(p) = previous {
                if attested.as_of <= p.as_of {
                    out.push(Violation::AsOfNotIncreasing {
                        signature: attested.signature,
                        seq: attested.seq,
                        as_of: attested.as_of,
                        previous: p.as_of,
                    });
                }
                let earlier_in_block = attested.slot == p.slot
                    && matches!((attested.position, p.position), (Some(a), Some(b)) if a < b);
                if attested.seq > p.seq && (attested.slot < p.slot || earlier_in_block) {
                    out.push(Violation::AttestationOutOfOrder {
                        signature: attested.signature,
                        seq: attested.seq,
                        slot: attested.slot,
                        previous_seq: p.seq,
                        previous_slot: p.slot,
                    });
                }
            }
            previous = Some(*attested);
        }
        let in_force = &self.in_force;
        let Epoch {
            attestors,
            threshold,
        } = in_force
            .epochs
            .get(&in_force.epoch)
            .cloned()
            .unwrap_or_default();
        let latest = all.last().copied();
        let replayed = &mut self.report.replayed;
        replayed.attestors = attestors;
        replayed.threshold = threshold;
        replayed.policies = in_force.policies.clone();
        replayed.latest = latest.map(|a| (a.seq, a.reserve, a.as_of, a.report));
        replayed.latest_retired = latest.is_some_and(|a| in_force.retired.contains(&a.seq));
        self.report.latest_seq = latest.map_or(0, |a| a.seq);
        self.report
    }
}
