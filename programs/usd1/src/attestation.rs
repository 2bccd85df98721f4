//! The canonical reserve-attestation message and the reading of the Ed25519
//! signature instruction that must accompany every `attest`.
//!
//! Attestors sign `SHA-256(domain ‖ program_id ‖ mint ‖ seq ‖ reserve_amount ‖
//! as_of ‖ report_sha256)`, integers little-endian. The client builds the same
//! bytes with [`digest`], so there is exactly one definition of the message.
use anchor_lang::prelude::*;

use crate::constants::ATTESTATION_DOMAIN;
use crate::errors::Usd1Error;

/// Length of the canonical message before hashing.
pub const MESSAGE_LEN: usize = 27 + 32 + 32 + 8 + 8 + 8 + 32;

/// Bytes of one signature's offsets record in an Ed25519 instruction.
pub const ED25519_OFFSETS_LEN: usize = 14;
/// Offsets start after `num_signatures: u8` and one padding byte.
pub const ED25519_OFFSETS_START: usize = 2;
/// An instruction index of `u16::MAX` means "this instruction".
pub const ED25519_THIS_INSTRUCTION: u16 = u16::MAX;

/// The canonical message bytes attestors sign the digest of.
pub fn message(
    program_id: &Pubkey,
    mint: &Pubkey,
    seq: u64,
    reserve_amount: u64,
    as_of: i64,
    report_sha256: &[u8; 32],
) -> [u8; MESSAGE_LEN] {
    let mut out = [0u8; MESSAGE_LEN];
    let parts: [&[u8]; 7] = [
        ATTESTATION_DOMAIN,
        program_id.as_ref(),
        mint.as_ref(),
        &seq.to_le_bytes(),
        &reserve_amount.to_le_bytes(),
        &as_of.to_le_bytes(),
        report_sha256,
    ];
    let mut at = 0usize;
    for part in parts {
        // The parts add up to MESSAGE_LEN exactly, so these slices never leave `out`.
        let end = at.saturating_add(part.len());
        out[at..end].copy_from_slice(part);
        at = end;
    }
    out
}

/// The 32-byte SHA-256 digest attestors sign.
pub fn digest(
    program_id: &Pubkey,
    mint: &Pubkey,
    seq: u64,
    reserve_amount: u64,
    as_of: i64,
    report_sha256: &[u8; 32],
) -> [u8; 32] {
    let bytes = message(program_id, mint, seq, reserve_amount, as_of, report_sha256);
    solana_sha256_hasher::hash(&bytes).to_bytes()
}

/// Reads the signer keys of an Ed25519 instruction whose signatures all cover
/// `expected_message` and whose offsets all point inside that same instruction
/// (`own_index` is its position in the transaction). The runtime has already
/// verified each signature over exactly these bytes, or the transaction would
/// not be executing.
pub fn signers_of(data: &[u8], own_index: u16, expected_message: &[u8; 32]) -> Result<Vec<Pubkey>> {
    let count = usize::from(*data.first().ok_or(Usd1Error::MalformedEd25519Instruction)?);
    require!(count > 0, Usd1Error::MalformedEd25519Instruction);
    let mut signers = Vec::with_capacity(count);
    for i in 0..count {
        let start = i
            .checked_mul(ED25519_OFFSETS_LEN)
            .and_then(|o| o.checked_add(ED25519_OFFSETS_START))
            .ok_or(Usd1Error::MalformedEd25519Instruction)?;
        let record = slice(data, start, ED25519_OFFSETS_LEN)?;
        let mut fields = [0u16; 7];
        for (field, bytes) in fields.iter_mut().zip(record.chunks_exact(2)) {
            *field = u16::from_le_bytes([bytes[0], bytes[1]]);
        }
        let [_sig_offset, sig_ix, key_offset, key_ix, msg_offset, msg_len, msg_ix] = fields;
        for ix in [sig_ix, key_ix, msg_ix] {
            require!(
                ix == ED25519_THIS_INSTRUCTION || ix == own_index,
                Usd1Error::Ed25519OffsetOutsideInstruction
            );
        }
        require!(
            usize::from(msg_len) == expected_message.len(),
            Usd1Error::AttestationMessageMismatch
        );
        let signed = slice(data, usize::from(msg_offset), expected_message.len())?;
        require!(
            signed == expected_message,
            Usd1Error::AttestationMessageMismatch
        );
        let key = slice(data, usize::from(key_offset), 32)?;
        signers.push(Pubkey::try_from(key).map_err(|_| Usd1Error::MalformedEd25519Instruction)?);
    }
    Ok(signers)
}

fn slice(data: &[u8], start: usize, len: usize) -> Result<&[u8]> {
    let end = start
        .checked_add(len)
        .ok_or(Usd1Error::MalformedEd25519Instruction)?;
    data.get(start..end)
        .ok_or_else(|| error!(Usd1Error::MalformedEd25519Instruction))
}
