//! Re-verifying one attestation from its transaction alone: the `attest`
//! instruction's arguments against the event, and every signature the
//! Ed25519 instruction before it verifies, against the attestor set.
use anchor_lang::{AnchorDeserialize, Discriminator};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use usd1::attestation::{ED25519_OFFSETS_LEN, ED25519_OFFSETS_START, ED25519_THIS_INSTRUCTION};
use usd1::constants::ED25519_PROGRAM_ID;
use usd1::instructions::AttestArgs;

use super::Violation;
use crate::ledger::{RecordedInstruction, RecordedTransaction};

pub(super) fn check_signatures(
    mint: &Pubkey,
    tx: &RecordedTransaction,
    event: &usd1::events::ReserveAttested,
    attestors: &[Pubkey],
    threshold: u8,
    out: &mut Vec<Violation>,
) {
    let (signature, seq) = (tx.signature, event.seq);
    // The program's rule: a top-level `attest`, its Ed25519 instruction right before it.
    let Some((index, args)) = attest_instruction(&tx.instructions, seq) else {
        if attest_instruction(&tx.inner_instructions, seq).is_some() {
            out.push(Violation::AttestationViaCpi { signature, seq });
        } else {
            out.push(Violation::MissingInstruction { signature, seq });
        }
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

/// The `attest` instruction for `seq` among `instructions`, with its position.
fn attest_instruction(
    instructions: &[RecordedInstruction],
    seq: u64,
) -> Option<(usize, AttestArgs)> {
    instructions.iter().enumerate().find_map(|(i, ix)| {
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
