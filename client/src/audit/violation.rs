//! The rules an audit finds broken, each its own named violation.
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_with::{serde_as, DisplayFromStr};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;

use usd1::constants::MAX_FUTURE_SKEW_SECS;

use super::Policy;

/// A broken rule, with the transaction that broke it where there is one.
/// Serialized (in a checkpoint) with keys and signatures in base58 and
/// 128-bit amounts as decimal strings.
#[serde_as]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Violation {
    /// A `ReserveAttested` event without its attest + Ed25519 instructions.
    MissingInstruction {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
    },
    /// The attestation's `attest` ran as a cross-program invocation, which
    /// the program refuses (`AttestationViaCpi`): its Ed25519 instruction
    /// cannot be told from the caller's neighbours.
    AttestationViaCpi {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
    },
    /// The event does not say what the signed instruction said.
    EventMismatch {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
    },
    /// A signature's offsets point outside its own Ed25519 instruction.
    OffsetOutsideInstruction {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
    },
    /// Signed bytes other than this attestation's digest.
    MessageMismatch {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
    },
    BadSignature {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
        #[serde_as(as = "DisplayFromStr")]
        signer: Pubkey,
    },
    NotAnAttestor {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
        #[serde_as(as = "DisplayFromStr")]
        signer: Pubkey,
    },
    DuplicateSigner {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
        #[serde_as(as = "DisplayFromStr")]
        signer: Pubkey,
    },
    ThresholdNotMet {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
        signers: usize,
        threshold: u8,
    },
    /// The attestation names an attestor set that was not the one in force.
    AttestorEpochMismatch {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
        claimed: u32,
        in_force: u32,
    },
    /// Attestations sorted by seq skip or repeat one.
    SeqGap {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        expected: u64,
        found: u64,
    },
    AsOfNotIncreasing {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
        as_of: i64,
        previous: i64,
    },
    /// A later seq landed before an earlier one (an earlier slot, or earlier
    /// in the same block).
    AttestationOutOfOrder {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
        slot: u64,
        previous_seq: u64,
        previous_slot: u64,
    },
    /// The as_of lay further ahead of the chain's clock than the program allows.
    AttestationInFuture {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
        as_of: i64,
        block_time: i64,
    },
    /// The attestation landed later after its as_of than the policy's max submission delay.
    AttestationExpired {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
        as_of: i64,
        block_time: i64,
        max_delay: i64,
    },
    MintWithoutAttestation {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
    },
    /// The mint names an attestation other than the latest one replayed.
    MintAttestationMismatch {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        claimed_seq: u64,
        latest_seq: u64,
    },
    /// The mint rode on an attestation its attestor set's replacement retired.
    MintOnRetiredAttestation {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
    },
    /// The mint rode on an attestation older than the policy's max age.
    MintOnStaleAttestation {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        seq: u64,
        age: i64,
        max_age: i64,
    },
    MintAboveReserve {
        #[serde_as(as = "DisplayFromStr")]
        signature: Signature,
        supply: u64,
        ceiling: u64,
        seq: u64,
    },
    /// The ledger does not say when the mint happened, so its freshness cannot be checked.
    MintTimeUnknown {
        #[serde_as(as = "DisplayFromStr")]
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
        #[serde_as(as = "Vec<DisplayFromStr>")]
        replayed: Vec<Pubkey>,
        #[serde_as(as = "Vec<DisplayFromStr>")]
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
        #[serde_as(as = "DisplayFromStr")]
        replayed: u128,
        on_chain: u64,
    },
    /// The open requests replayed are not the ones the config books.
    OpenRedemptionsMismatch {
        replayed_count: u64,
        #[serde_as(as = "DisplayFromStr")]
        replayed_amount: u128,
        on_chain_count: u64,
        on_chain_amount: u64,
    },
    /// The escrow holds less than the open requests.
    EscrowShortfall {
        #[serde_as(as = "DisplayFromStr")]
        open: u128,
        escrow: u64,
    },
}

impl Violation {
    /// The violation's name, for reports and exit messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MissingInstruction { .. } => "MissingInstruction",
            Self::AttestationViaCpi { .. } => "AttestationViaCpi",
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
            Self::AttestationViaCpi { signature, seq } => write!(f, "{kind}: attestation #{seq} in {signature} was made through a cross-program invocation, not a top-level attest instruction"),
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
