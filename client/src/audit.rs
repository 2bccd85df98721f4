//! Auditing USD1 from the chain alone, trusting nothing the program says about
//! itself: replay the mint's transactions in order, re-verify every
//! attestation's Ed25519 signatures against the attestor set in force at the
//! time, check seq continuity and as_of monotonicity, and check that no mint
//! ever left supply above the margin-adjusted reserve of its attestation.
use std::fmt;

use anchor_lang::{AnchorDeserialize, Discriminator};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use usd1::constants::{BPS_DENOMINATOR, ED25519_PROGRAM_ID};
use usd1::instructions::AttestArgs;

use crate::events::Usd1Event;
use crate::ledger::{RecordedInstruction, RecordedTransaction};

/// A broken rule, with the transaction that broke it.
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
    MintWithoutAttestation {
        signature: Signature,
    },
    /// The mint names an attestation other than the latest one replayed.
    MintAttestationMismatch {
        signature: Signature,
        claimed_seq: u64,
        latest_seq: u64,
    },
    MintAboveReserve {
        signature: Signature,
        supply: u64,
        ceiling: u64,
        seq: u64,
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
            Self::SeqGap { .. } => "SeqGap",
            Self::AsOfNotIncreasing { .. } => "AsOfNotIncreasing",
            Self::MintWithoutAttestation { .. } => "MintWithoutAttestation",
            Self::MintAttestationMismatch { .. } => "MintAttestationMismatch",
            Self::MintAboveReserve { .. } => "MintAboveReserve",
        }
    }
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
            Self::SeqGap { signature, expected, found } => write!(f, "{kind}: expected attestation #{expected}, found #{found} in {signature}"),
            Self::AsOfNotIncreasing { signature, seq, as_of, previous } => write!(f, "{kind}: attestation #{seq} in {signature} is as of {as_of}, not after {previous}"),
            Self::MintWithoutAttestation { signature } => write!(f, "{kind}: mint in {signature} before any attestation"),
            Self::MintAttestationMismatch { signature, claimed_seq, latest_seq } => write!(f, "{kind}: mint in {signature} cites attestation #{claimed_seq}, latest is #{latest_seq}"),
            Self::MintAboveReserve { signature, supply, ceiling, seq } => write!(f, "{kind}: mint in {signature} left supply {supply} above {ceiling} allowed by attestation #{seq}"),
        }
    }
}

/// What the replay found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditReport {
    pub transactions: usize,
    pub attestations: u64,
    pub mints: u64,
    pub latest_seq: u64,
    pub violations: Vec<Violation>,
}

impl AuditReport {
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}

/// The replay's view of the rules in force.
#[derive(Default)]
struct State {
    attestors: Vec<Pubkey>,
    threshold: u8,
    margin_bps: u16,
    /// (seq, reserve_amount, as_of) of the latest attestation replayed.
    latest: Option<(u64, u64, i64)>,
}

/// Replays `history` (oldest first) of `mint`.
pub fn audit(mint: &Pubkey, history: &[RecordedTransaction]) -> AuditReport {
    let mut state = State::default();
    let mut report = AuditReport {
        transactions: history.len(),
        ..AuditReport::default()
    };
    for tx in history {
        for event in &tx.events {
            match event {
                Usd1Event::AttestorsChanged(e) if e.mint == *mint => {
                    state.attestors = e.attestors.clone();
                    state.threshold = e.threshold;
                }
                Usd1Event::PolicyChanged(e) if e.mint == *mint => state.margin_bps = e.margin_bps,
                Usd1Event::ReserveAttested(e) if e.mint == *mint => {
                    report.attestations += 1;
                    check_attestation(mint, tx, e, &mut state, &mut report.violations);
                }
                Usd1Event::Minted(e) if e.mint == *mint => {
                    report.mints += 1;
                    check_mint(tx.signature, e, &state, &mut report.violations);
                }
                _ => {}
            }
        }
    }
    report.latest_seq = state.latest.map_or(0, |(seq, ..)| seq);
    report
}

fn check_mint(
    signature: Signature,
    event: &usd1::events::Minted,
    state: &State,
    out: &mut Vec<Violation>,
) {
    let Some((seq, reserve, _)) = state.latest else {
        out.push(Violation::MintWithoutAttestation { signature });
        return;
    };
    if event.attestation_seq != seq || event.reserve_amount != reserve {
        out.push(Violation::MintAttestationMismatch {
            signature,
            claimed_seq: event.attestation_seq,
            latest_seq: seq,
        });
    }
    let keep = u128::from(BPS_DENOMINATOR.saturating_sub(state.margin_bps));
    let ceiling = (u128::from(reserve) * keep / u128::from(BPS_DENOMINATOR)) as u64;
    if event.supply > ceiling {
        out.push(Violation::MintAboveReserve {
            signature,
            supply: event.supply,
            ceiling,
            seq,
        });
    }
}

fn check_attestation(
    mint: &Pubkey,
    tx: &RecordedTransaction,
    event: &usd1::events::ReserveAttested,
    state: &mut State,
    out: &mut Vec<Violation>,
) {
    let (signature, seq) = (tx.signature, event.seq);
    // Order first: whatever else is wrong, the sequence moves on from here.
    let (expected, previous_as_of) = match state.latest {
        Some((latest, _, as_of)) => (latest + 1, Some(as_of)),
        None => (1, None),
    };
    if seq != expected {
        out.push(Violation::SeqGap {
            signature,
            expected,
            found: seq,
        });
    }
    if let Some(previous) = previous_as_of.filter(|previous| event.as_of <= *previous) {
        out.push(Violation::AsOfNotIncreasing {
            signature,
            seq,
            as_of: event.as_of,
            previous,
        });
    }
    state.latest = Some((seq, event.reserve_amount, event.as_of));

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
    let Some(ed25519) = index
        .checked_sub(1)
        .and_then(|i| tx.instructions.get(i))
        .filter(|ix| ix.program_id == ED25519_PROGRAM_ID)
    else {
        out.push(Violation::MissingInstruction { signature, seq });
        return;
    };
    let digest = crate::attestation::digest_of(mint, &args);
    let own_index = (index - 1) as u16;
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
        } else if !state.attestors.contains(&signer) {
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
    if valid.len() < usize::from(state.threshold) || state.threshold == 0 {
        out.push(Violation::ThresholdNotMet {
            signature,
            seq,
            signers: valid.len(),
            threshold: state.threshold,
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
        let at = 2 + record * 14 + n * 2;
        Some(u16::from_le_bytes([*data.get(at)?, *data.get(at + 1)?]))
    };
    let bytes = |offset: u16, len: usize| data.get(usize::from(offset)..usize::from(offset) + len);
    let mut out = Vec::with_capacity(count);
    for record in 0..count {
        let [sig_offset, sig_ix, key_offset, key_ix, msg_offset, msg_len, msg_ix] =
            [0, 1, 2, 3, 4, 5, 6].map(|n| field(record, n));
        let inside = [sig_ix?, key_ix?, msg_ix?]
            .iter()
            .all(|i| *i == u16::MAX || *i == own_index);
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
