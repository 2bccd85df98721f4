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
//! [`AuditReport::reconcile`] then compares where the replay ends with the
//! chain now: attestor set, threshold, policy, latest attestation, supply
//! (mints − burns − settled redemptions − holders' own burns) and the
//! redemption escrow. [`audit_chain`] does all of it for one mint.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use anchor_lang::{AnchorDeserialize, Discriminator};
use anchor_spl::token_2022::spl_token_2022::instruction::TokenInstruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use usd1::attestation::{ED25519_OFFSETS_LEN, ED25519_OFFSETS_START, ED25519_THIS_INSTRUCTION};
use usd1::constants::{
    DEFAULT_MAX_ATTESTATION_AGE, DEFAULT_MAX_SUBMISSION_DELAY, ED25519_PROGRAM_ID,
    MAX_FUTURE_SKEW_SECS,
};
use usd1::instructions::AttestArgs;
use usd1::state::mintable_ceiling;

use crate::error::ClientError;
use crate::events::Usd1Event;
use crate::issuer::Usd1;
use crate::ledger::{Ledger, RecordedInstruction, RecordedTransaction};

/// The policy a mint is checked under: how old its attestation may be, and
/// the margin kept below the reserve; and how long after its as_of an
/// attestation may be submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// A broken rule, with the transaction that broke it where there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A `ReserveAttested` event without its attest + Ed25519 instructions.
    MissingInstruction {
        signature: Signature,
        seq: u64,
    },
    /// The event does not say what the signed instruction said.
    EventMismatch {
        signature: Signature,
        seq: u64,
    },
    /// A signature's offsets point outside its own Ed25519 instruction.
    OffsetOutsideInstruction {
        signature: Signature,
        seq: u64,
    },
    /// Signed bytes other than this attestation's digest.
    MessageMismatch {
        signature: Signature,
        seq: u64,
    },
    BadSignature {
        signature: Signature,
        seq: u64,
        signer: Pubkey,
    },
    NotAnAttestor {
        signature: Signature,
        seq: u64,
        signer: Pubkey,
    },
    DuplicateSigner {
        signature: Signature,
        seq: u64,
        signer: Pubkey,
    },
    ThresholdNotMet {
        signature: Signature,
        seq: u64,
        signers: usize,
        threshold: u8,
    },
    /// The attestation names an attestor set that was not the one in force.
    AttestorEpochMismatch {
        signature: Signature,
        seq: u64,
        claimed: u32,
        in_force: u32,
    },
    /// Attestations sorted by seq skip or repeat one.
    SeqGap {
        signature: Signature,
        expected: u64,
        found: u64,
    },
    AsOfNotIncreasing {
        signature: Signature,
        seq: u64,
        as_of: i64,
        previous: i64,
    },
    /// A later seq landed before an earlier one (an earlier slot, or earlier
    /// in the same block).
    AttestationOutOfOrder {
        signature: Signature,
        seq: u64,
        slot: u64,
        previous_seq: u64,
        previous_slot: u64,
    },
    /// The as_of lay further ahead of the chain's clock than the program allows.
    AttestationInFuture {
        signature: Signature,
        seq: u64,
        as_of: i64,
        block_time: i64,
    },
    /// The attestation landed later after its as_of than the policy's max submission delay.
    AttestationExpired {
        signature: Signature,
        seq: u64,
        as_of: i64,
        block_time: i64,
        max_delay: i64,
    },
    MintWithoutAttestation {
        signature: Signature,
    },
    /// The mint names an attestation other than the latest one replayed.
    MintAttestationMismatch {
        signature: Signature,
        claimed_seq: u64,
        latest_seq: u64,
    },
    /// The mint rode on an attestation its attestor set's replacement retired.
    MintOnRetiredAttestation {
        signature: Signature,
        seq: u64,
    },
    /// The mint rode on an attestation older than the policy's max age.
    MintOnStaleAttestation {
        signature: Signature,
        seq: u64,
        age: i64,
        max_age: i64,
    },
    MintAboveReserve {
        signature: Signature,
        supply: u64,
        ceiling: u64,
        seq: u64,
    },
    /// The ledger does not say when the mint happened, so its freshness cannot be checked.
    MintTimeUnknown {
        signature: Signature,
    },
    // --- where the replay ends, against the chain now ---
    /// The replay did not reach the attestation the config holds.
    HistoryIncomplete {
        replayed_seq: u64,
        on_chain_seq: u64,
    },
    /// The config's latest attestation is not the one replayed under its seq.
    LatestAttestationMismatch {
        seq: u64,
    },
    AttestorSetMismatch {
        replayed: Vec<Pubkey>,
        on_chain: Vec<Pubkey>,
    },
    ThresholdMismatch {
        replayed: u8,
        on_chain: u8,
    },
    PolicyMismatch {
        replayed: Policy,
        on_chain: Policy,
    },
    /// The config says the latest attestation is (not) retired; the replay says otherwise.
    RetirementMismatch {
        replayed: bool,
        on_chain: bool,
    },
    /// Mints − burns − settled redemptions − holders' own burns ≠ the mint's supply.
    SupplyMismatch {
        replayed: u128,
        on_chain: u64,
    },
    /// The open requests replayed are not the ones the config books.
    OpenRedemptionsMismatch {
        replayed_count: u64,
        replayed_amount: u128,
        on_chain_count: u64,
        on_chain_amount: u64,
    },
    /// The escrow holds less than the open requests.
    EscrowShortfall {
        open: u128,
        escrow: u64,
    },
}

impl Violation {
    /// The violation's name, for reports and exit messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MissingInstruction { .. } => "MissingInstruction",
            Self::EventMismatch { .. } => "EventMismatch",
            Self::OffsetOutsideInstruction { .. } => "OffsetOutsideInstruction",
            Self::MessageMismatch { .. } => "MessageMismatch",
            Self::BadSignature { .. } => "BadSignature",
            Self::NotAnAttestor { .. } => "NotAnAttestor",
            Self::DuplicateSigner { .. } => "DuplicateSigner",
            Self::ThresholdNotMet { .. } => "ThresholdNotMet",
            Self::AttestorEpochMismatch { .. } => "AttestorEpochMismatch",
            Self::SeqGap { .. } => "SeqGap",
            Self::AsOfNotIncreasing { .. } => "AsOfNotIncreasing",
            Self::AttestationOutOfOrder { .. } => "AttestationOutOfOrder",
            Self::AttestationInFuture { .. } => "AttestationInFuture",
            Self::AttestationExpired { .. } => "AttestationExpired",
            Self::MintWithoutAttestation { .. } => "MintWithoutAttestation",
            Self::MintAttestationMismatch { .. } => "MintAttestationMismatch",
            Self::MintOnRetiredAttestation { .. } => "MintOnRetiredAttestation",
            Self::MintOnStaleAttestation { .. } => "MintOnStaleAttestation",
            Self::MintAboveReserve { .. } => "MintAboveReserve",
            Self::MintTimeUnknown { .. } => "MintTimeUnknown",
            Self::HistoryIncomplete { .. } => "HistoryIncomplete",
            Self::LatestAttestationMismatch { .. } => "LatestAttestationMismatch",
            Self::AttestorSetMismatch { .. } => "AttestorSetMismatch",
            Self::ThresholdMismatch { .. } => "ThresholdMismatch",
            Self::PolicyMismatch { .. } => "PolicyMismatch",
            Self::RetirementMismatch { .. } => "RetirementMismatch",
            Self::SupplyMismatch { .. } => "SupplyMismatch",
            Self::OpenRedemptionsMismatch { .. } => "OpenRedemptionsMismatch",
            Self::EscrowShortfall { .. } => "EscrowShortfall",
        }
    }
}

fn keys(keys: &[Pubkey]) -> String {
    keys.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        match self {
            Self::MissingInstruction { signature, seq } => write!(f, "{kind}: attestation #{seq} in {signature} has no attest + Ed25519 instructions"),
            Self::EventMismatch { signature, seq } => write!(f, "{kind}: attestation #{seq} in {signature} differs from its signed instruction"),
            Self::OffsetOutsideInstruction { signature, seq } => write!(f, "{kind}: attestation #{seq} in {signature} verifies bytes outside its Ed25519 instruction"),
            Self::MessageMismatch { signature, seq } => write!(f, "{kind}: attestation #{seq} in {signature} was signed over other bytes"),
            Self::BadSignature { signature, seq, signer } => write!(f, "{kind}: attestation #{seq} in {signature}: {signer}'s signature does not verify"),
            Self::NotAnAttestor { signature, seq, signer } => write!(f, "{kind}: attestation #{seq} in {signature}: {signer} was not a registered attestor"),
            Self::DuplicateSigner { signature, seq, signer } => write!(f, "{kind}: attestation #{seq} in {signature}: {signer} counted twice"),
            Self::ThresholdNotMet { signature, seq, signers, threshold } => write!(f, "{kind}: attestation #{seq} in {signature} has {signers} valid signatures, threshold {threshold}"),
            Self::AttestorEpochMismatch { signature, seq, claimed, in_force } => write!(f, "{kind}: attestation #{seq} in {signature} names attestor set {claimed}, set {in_force} was in force"),
            Self::SeqGap { signature, expected, found } => write!(f, "{kind}: expected attestation #{expected}, found #{found} in {signature}"),
            Self::AsOfNotIncreasing { signature, seq, as_of, previous } => write!(f, "{kind}: attestation #{seq} in {signature} is as of {as_of}, not after {previous}"),
            Self::AttestationOutOfOrder { signature, seq, slot, previous_seq, previous_slot } => write!(f, "{kind}: attestation #{seq} in {signature} (slot {slot}) landed before #{previous_seq} (slot {previous_slot})"),
            Self::AttestationInFuture { signature, seq, as_of, block_time } => write!(f, "{kind}: attestation #{seq} in {signature} is as of {as_of}, more than {MAX_FUTURE_SKEW_SECS}s after its block's time {block_time}"),
            Self::AttestationExpired { signature, seq, as_of, block_time, max_delay } => write!(f, "{kind}: attestation #{seq} in {signature} is as of {as_of}, more than {max_delay}s before its block's time {block_time}"),
            Self::MintWithoutAttestation { signature } => write!(f, "{kind}: mint in {signature} before any attestation"),
            Self::MintAttestationMismatch { signature, claimed_seq, latest_seq } => write!(f, "{kind}: mint in {signature} cites attestation #{claimed_seq}, latest is #{latest_seq}"),
            Self::MintOnRetiredAttestation { signature, seq } => write!(f, "{kind}: mint in {signature} rode on attestation #{seq}, retired with its attestor set"),
            Self::MintOnStaleAttestation { signature, seq, age, max_age } => write!(f, "{kind}: mint in {signature} rode on attestation #{seq} {age}s old, max age {max_age}s"),
            Self::MintAboveReserve { signature, supply, ceiling, seq } => write!(f, "{kind}: mint in {signature} left supply {supply} above {ceiling} allowed by attestation #{seq}"),
            Self::MintTimeUnknown { signature } => write!(f, "{kind}: the ledger gives no time for the mint in {signature}, so its attestation's age cannot be checked"),
            Self::HistoryIncomplete { replayed_seq, on_chain_seq } => write!(f, "{kind}: the replay reached attestation #{replayed_seq}, the config holds #{on_chain_seq}"),
            Self::LatestAttestationMismatch { seq } => write!(f, "{kind}: the config's attestation #{seq} is not the one replayed"),
            Self::AttestorSetMismatch { replayed, on_chain } => write!(f, "{kind}: the replay ends with attestors [{}], the config holds [{}]", keys(replayed), keys(on_chain)),
            Self::ThresholdMismatch { replayed, on_chain } => write!(f, "{kind}: the replay ends with threshold {replayed}, the config holds {on_chain}"),
            Self::PolicyMismatch { replayed, on_chain } => write!(f, "{kind}: the replay ends with {replayed}, the config holds {on_chain}"),
            Self::RetirementMismatch { replayed, on_chain } => write!(f, "{kind}: the replay says the latest attestation is {}retired, the config says {}retired", if *replayed { "" } else { "not " }, if *on_chain { "" } else { "not " }),
            Self::SupplyMismatch { replayed, on_chain } => write!(f, "{kind}: mints, burns and settled redemptions add up to {replayed}, the mint's supply is {on_chain}"),
            Self::OpenRedemptionsMismatch { replayed_count, replayed_amount, on_chain_count, on_chain_amount } => write!(f, "{kind}: the replay leaves {replayed_count} requests ({replayed_amount}) open, the config books {on_chain_count} ({on_chain_amount})"),
            Self::EscrowShortfall { open, escrow } => write!(f, "{kind}: open requests hold {open}, the escrow holds {escrow}"),
        }
    }
}

/// Where the replay ends: what the config, the mint and the escrow should say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    pub attestors: Vec<Pubkey>,
    pub threshold: u8,
    /// The policy in force; several when one slot of unknown order changed it more than once.
    pub policies: Vec<Policy>,
    /// (seq, reserve_amount, as_of, report_sha256) of the latest attestation.
    pub latest: Option<(u64, u64, i64, [u8; 32])>,
    pub latest_retired: bool,
    /// Base units (u128: a replay of a forged history must not overflow).
    pub minted: u128,
    pub burned: u128,
    pub redeemed: u128,
    pub open_requests: u64,
    pub open_amount: u128,
}

/// The chain now, for [`AuditReport::reconcile`].
#[derive(Clone, Debug)]
pub struct OnChain {
    pub config: usd1::state::Config,
    pub supply: u64,
    pub escrow_balance: u64,
    /// Base units holders burned through a token program outside USD1.
    pub outside_burns: u128,
}

/// What the audit found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditReport {
    /// Transactions that touched the program (others naming its accounts are ignored).
    pub transactions: usize,
    pub attestations: u64,
    pub mints: u64,
    pub latest_seq: u64,
    pub replayed: Replayed,
    /// Tokens in the escrow beyond the open requests (anyone may send some
    /// there; a surplus is reported, not a violation).
    pub escrow_surplus: u128,
    pub violations: Vec<Violation>,
}

impl AuditReport {
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    /// Mints − burns − settled redemptions: the supply before holders' own burns.
    pub fn supply_before_holder_burns(&self) -> u128 {
        let r = &self.replayed;
        r.minted.saturating_sub(r.burned).saturating_sub(r.redeemed)
    }

    /// Compares where the replay ends with the chain now; each difference
    /// is its own violation.
    pub fn reconcile(&mut self, chain: &OnChain) {
        let config = &chain.config;
        let r = &self.replayed;
        let mut found = Vec::new();
        let on_chain_seq = config.latest.seq;
        if self.latest_seq != on_chain_seq {
            found.push(Violation::HistoryIncomplete {
                replayed_seq: self.latest_seq,
                on_chain_seq,
            });
        } else if let Some((seq, reserve, as_of, report)) = r.latest {
            let latest = &config.latest;
            if (latest.reserve_amount, latest.as_of, latest.report_sha256)
                != (reserve, as_of, report)
            {
                found.push(Violation::LatestAttestationMismatch { seq });
            }
        }
        if r.latest_retired != config.latest_retired {
            found.push(Violation::RetirementMismatch {
                replayed: r.latest_retired,
                on_chain: config.latest_retired,
            });
        }
        if r.attestors.as_slice() != config.attestors() {
            found.push(Violation::AttestorSetMismatch {
                replayed: r.attestors.clone(),
                on_chain: config.attestors().to_vec(),
            });
        }
        if r.threshold != config.threshold {
            found.push(Violation::ThresholdMismatch {
                replayed: r.threshold,
                on_chain: config.threshold,
            });
        }
        let on_chain_policy = Policy {
            max_attestation_age: config.max_attestation_age,
            margin_bps: config.margin_bps,
            max_submission_delay: config.max_submission_delay,
        };
        if !r.policies.contains(&on_chain_policy) {
            found.push(Violation::PolicyMismatch {
                replayed: r.policies.first().copied().unwrap_or_default(),
                on_chain: on_chain_policy,
            });
        }
        let replayed_supply = self
            .supply_before_holder_burns()
            .saturating_sub(chain.outside_burns);
        if replayed_supply != u128::from(chain.supply) {
            found.push(Violation::SupplyMismatch {
                replayed: replayed_supply,
                on_chain: chain.supply,
            });
        }
        if (r.open_requests, r.open_amount)
            != (
                config.pending_redemptions,
                u128::from(config.escrowed_amount),
            )
        {
            found.push(Violation::OpenRedemptionsMismatch {
                replayed_count: r.open_requests,
                replayed_amount: r.open_amount,
                on_chain_count: config.pending_redemptions,
                on_chain_amount: config.escrowed_amount,
            });
        }
        let escrow = u128::from(chain.escrow_balance);
        if escrow < r.open_amount {
            found.push(Violation::EscrowShortfall {
                open: r.open_amount,
                escrow: chain.escrow_balance,
            });
        }
        self.escrow_surplus = escrow.saturating_sub(r.open_amount);
        self.violations.extend(found);
    }
}

/// One attestation as replayed.
#[derive(Clone, Copy, Debug)]
struct Attested {
    signature: Signature,
    seq: u64,
    reserve: u64,
    as_of: i64,
    report: [u8; 32],
    slot: u64,
    position: Option<u64>,
}

/// The rules in force at a point of the replay. Where a slot's order is
/// unknown, the candidates for what was in force within it.
#[derive(Clone, Debug)]
struct InForce {
    /// Attestor sets by epoch (epoch 0: none); epochs only ever grow.
    epochs: HashMap<u32, (Vec<Pubkey>, u8)>,
    epoch: u32,
    policies: Vec<Policy>,
    /// Seq of the latest attestation replayed (0: none).
    latest: u64,
    /// Attestations retired with their attestor set.
    retired: HashSet<u64>,
}

/// What may have been in force at some point of an unordered slot.
struct Candidates {
    latest: Vec<u64>,
    epochs: Vec<u32>,
    policies: Vec<Policy>,
    retired: HashSet<u64>,
}

struct Replay<'a> {
    mint: Pubkey,
    report: AuditReport,
    in_force: InForce,
    attestations: BTreeMap<u64, Vec<Attested>>,
    history: &'a [&'a RecordedTransaction],
}

/// Whether `tx` touched the program (an instruction or a CPI of it).
fn touches_program(tx: &RecordedTransaction) -> bool {
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
    let mut replay = Replay {
        mint: *mint,
        report: AuditReport {
            transactions: relevant.len(),
            ..AuditReport::default()
        },
        in_force: InForce {
            epochs: HashMap::from([(0, (Vec::new(), 0))]),
            epoch: 0,
            policies: vec![Policy::default()],
            latest: 0,
            retired: HashSet::new(),
        },
        attestations: BTreeMap::new(),
        history: &relevant,
    };
    replay.run();
    replay.finish()
}

impl Replay<'_> {
    fn run(&mut self) {
        let history = self.history;
        let mut start = 0;
        while start < history.len() {
            let slot = history[start].slot;
            let end = history[start..]
                .iter()
                .position(|tx| tx.slot != slot)
                .map_or(history.len(), |n| start + n);
            let block = &history[start..end];
            if block.len() == 1 || block.iter().all(|tx| tx.position.is_some()) {
                for tx in block {
                    self.step(tx, None);
                }
            } else {
                self.unordered(block);
            }
            start = end;
        }
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
                        .insert(e.attestor_epoch, (e.attestors.clone(), e.threshold));
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
                    in_force
                        .epochs
                        .insert(e.attestor_epoch, (e.attestors.clone(), e.threshold));
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
                _ => {}
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
        let (attestors, threshold) = self
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
        check_signatures(
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
        let (attestors, threshold) = in_force
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

fn check_signatures(
    mint: &Pubkey,
    tx: &RecordedTransaction,
    event: &usd1::events::ReserveAttested,
    attestors: &[Pubkey],
    threshold: u8,
    out: &mut Vec<Violation>,
) {
    let (signature, seq) = (tx.signature, event.seq);
    let Some((index, args)) = attest_instruction(tx, seq) else {
        out.push(Violation::MissingInstruction { signature, seq });
        return;
    };
    if args.reserve_amount != event.reserve_amount
        || args.as_of != event.as_of
        || args.report_sha256 != event.report_sha256
    {
        out.push(Violation::EventMismatch { signature, seq });
    }
    let Some((own_index, ed25519)) = index
        .checked_sub(1)
        .and_then(|i| Some((u16::try_from(i).ok()?, tx.instructions.get(i)?)))
        .filter(|(_, ix)| ix.program_id == ED25519_PROGRAM_ID)
    else {
        out.push(Violation::MissingInstruction { signature, seq });
        return;
    };
    let digest = crate::attestation::digest_of(mint, &args);
    let Some(signed) = ed25519_signatures(ed25519, own_index) else {
        out.push(Violation::OffsetOutsideInstruction { signature, seq });
        return;
    };
    let mut valid: Vec<Pubkey> = Vec::new();
    for (signer, sig, message) in signed {
        if message.as_slice() != digest.as_slice() {
            out.push(Violation::MessageMismatch { signature, seq });
        } else if !sig.verify(signer.as_ref(), &message) {
            out.push(Violation::BadSignature {
                signature,
                seq,
                signer,
            });
        } else if !attestors.contains(&signer) {
            out.push(Violation::NotAnAttestor {
                signature,
                seq,
                signer,
            });
        } else if valid.contains(&signer) {
            out.push(Violation::DuplicateSigner {
                signature,
                seq,
                signer,
            });
        } else {
            valid.push(signer);
        }
    }
    if valid.len() < usize::from(threshold) || threshold == 0 {
        out.push(Violation::ThresholdNotMet {
            signature,
            seq,
            signers: valid.len(),
            threshold,
        });
    }
}

/// The `attest` instruction for `seq` in `tx`, with its position.
fn attest_instruction(tx: &RecordedTransaction, seq: u64) -> Option<(usize, AttestArgs)> {
    tx.instructions.iter().enumerate().find_map(|(i, ix)| {
        if ix.program_id != usd1::ID {
            return None;
        }
        let mut body = ix
            .data
            .strip_prefix(usd1::instruction::Attest::DISCRIMINATOR)?;
        let args = AttestArgs::deserialize(&mut body).ok()?;
        (args.seq == seq).then_some((i, args))
    })
}

/// Every (key, signature, message) an Ed25519 instruction verifies, or `None`
/// if any offset points outside it or past its end.
fn ed25519_signatures(
    ix: &RecordedInstruction,
    own_index: u16,
) -> Option<Vec<(Pubkey, Signature, Vec<u8>)>> {
    let data = &ix.data;
    let count = usize::from(*data.first()?);
    let field = |record: usize, n: usize| -> Option<u16> {
        let at = ED25519_OFFSETS_START + record * ED25519_OFFSETS_LEN + n * 2;
        Some(u16::from_le_bytes([*data.get(at)?, *data.get(at + 1)?]))
    };
    let bytes = |offset: u16, len: usize| data.get(usize::from(offset)..usize::from(offset) + len);
    let mut out = Vec::with_capacity(count);
    for record in 0..count {
        let [sig_offset, sig_ix, key_offset, key_ix, msg_offset, msg_len, msg_ix] =
            [0, 1, 2, 3, 4, 5, 6].map(|n| field(record, n));
        let inside = [sig_ix?, key_ix?, msg_ix?]
            .iter()
            .all(|i| *i == ED25519_THIS_INSTRUCTION || *i == own_index);
        if !inside {
            return None;
        }
        let key = Pubkey::try_from(bytes(key_offset?, 32)?).ok()?;
        let sig = Signature::try_from(bytes(sig_offset?, 64)?).ok()?;
        let message = bytes(msg_offset?, usize::from(msg_len?))?.to_vec();
        out.push((key, sig, message));
    }
    Some(out)
}

/// Base units burned through a token program from accounts of `mint` outside
/// USD1 (holders' own burns), from the mint's `history`: every token burn of
/// the mint, top-level or by CPI, less the burns USD1 itself recorded.
pub fn burns_outside_usd1(mint: &Pubkey, history: &[RecordedTransaction]) -> u128 {
    let token_programs = [crate::TOKEN_PROGRAM_ID, crate::TOKEN_2022_PROGRAM_ID];
    history
        .iter()
        .map(|tx| {
            let burned: u128 = tx
                .instructions
                .iter()
                .chain(&tx.inner_instructions)
                .filter(|ix| token_programs.contains(&ix.program_id))
                .filter(|ix| ix.accounts.get(1) == Some(mint))
                .filter_map(|ix| match TokenInstruction::unpack(&ix.data).ok()? {
                    TokenInstruction::Burn { amount } => Some(u128::from(amount)),
                    TokenInstruction::BurnChecked { amount, .. } => Some(u128::from(amount)),
                    _ => None,
                })
                .sum();
            let by_usd1: u128 = tx
                .events
                .iter()
                .map(|event| match event {
                    Usd1Event::Burned(e) if e.mint == *mint => u128::from(e.amount),
                    Usd1Event::RedemptionSettled(e) if e.mint == *mint => u128::from(e.amount),
                    _ => 0,
                })
                .sum();
            burned.saturating_sub(by_usd1)
        })
        .sum()
}

/// Audits `usd1`'s mint from its ledger: replays the Config's history, reads
/// the chain now, and — only when supply is below what USD1 minted, burned
/// and redeemed — reads the mint's history for holders' own burns.
pub async fn audit_chain<L: Ledger + ?Sized>(usd1: &Usd1<L>) -> Result<AuditReport, ClientError> {
    let history = usd1.ledger().history(&usd1.config_address()).await?;
    audit_history(usd1, &history).await
}

/// [`audit_chain`] over the Config's `history`, already read.
pub async fn audit_history<L: Ledger + ?Sized>(
    usd1: &Usd1<L>,
    history: &[RecordedTransaction],
) -> Result<AuditReport, ClientError> {
    let ledger = usd1.ledger();
    let config = usd1.config().await?;
    let mut report = audit(&usd1.mint(), history);
    let supply = usd1.mint_info().await?.supply;
    let escrow_balance = usd1.token_account(&usd1.escrow_address()).await?.amount;
    let outside_burns = if u128::from(supply) < report.supply_before_holder_burns() {
        burns_outside_usd1(&usd1.mint(), &ledger.history(&usd1.mint()).await?)
    } else {
        0
    };
    report.reconcile(&OnChain {
        config,
        supply,
        escrow_balance,
        outside_burns,
    });
    Ok(report)
}
