//! Building a reserve attestation: the digest attestors sign (defined once, in
//! the program crate) and the Ed25519 instruction that carries K signatures.
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use usd1::attestation::{ED25519_OFFSETS_LEN, ED25519_OFFSETS_START, ED25519_THIS_INSTRUCTION};
use usd1::constants::ED25519_PROGRAM_ID;

pub use usd1::attestation::{digest, message, MESSAGE_LEN};
pub use usd1::instructions::AttestArgs;

/// The digest of `args` for `mint` under this program id.
pub fn digest_of(mint: &Pubkey, args: &AttestArgs) -> [u8; 32] {
    digest(
        &usd1::ID,
        mint,
        args.seq,
        args.reserve_amount,
        args.as_of,
        &args.report_sha256,
    )
}

/// One attestor's signature over a digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestorSignature {
    pub attestor: Pubkey,
    pub signature: Signature,
}

/// Signs a digest with any signer (a key in an HSM or a vault); its
/// refusal, or a signature that does not verify, is the signer's error.
pub fn try_sign(
    attestor: &dyn Signer,
    digest: &[u8; 32],
) -> Result<AttestorSignature, solana_sdk::signer::SignerError> {
    let pubkey = attestor.try_pubkey()?;
    let signature = attestor.try_sign_message(digest)?;
    if !signature.verify(pubkey.as_ref(), digest) {
        return Err(solana_sdk::signer::SignerError::Custom(format!(
            "{pubkey}'s signature does not verify over the digest"
        )));
    }
    Ok(AttestorSignature {
        attestor: pubkey,
        signature,
    })
}

/// Signs a digest with an attestor key.
pub fn sign(attestor: &Keypair, digest: &[u8; 32]) -> AttestorSignature {
    AttestorSignature {
        attestor: attestor.pubkey(),
        signature: attestor.sign_message(digest),
    }
}

/// An Ed25519-program instruction verifying every signature over `message`.
///
/// Layout: count, padding, K offset records, then the message once, then each
/// (public key, signature) pair. All offsets point into this instruction, and
/// the message is shared so each extra signature costs 110 bytes.
pub fn ed25519_instruction(message: &[u8; 32], signatures: &[AttestorSignature]) -> Instruction {
    let count = signatures.len();
    let header = ED25519_OFFSETS_START + count * ED25519_OFFSETS_LEN;
    let mut data = Vec::with_capacity(header + 32 + count * 96);
    data.push(u8::try_from(count).expect("an Ed25519 instruction holds at most 255 signatures"));
    data.push(0);
    let message_offset = header;
    let offset = |n: usize| u16::try_from(n).expect("Ed25519 instruction larger than 64 KiB");
    for i in 0..count {
        let key_offset = header + 32 + i * 96;
        let signature_offset = key_offset + 32;
        for field in [
            offset(signature_offset),
            ED25519_THIS_INSTRUCTION,
            offset(key_offset),
            ED25519_THIS_INSTRUCTION,
            offset(message_offset),
            offset(message.len()),
            ED25519_THIS_INSTRUCTION,
        ] {
            data.extend_from_slice(&field.to_le_bytes());
        }
    }
    data.extend_from_slice(message);
    for signed in signatures {
        data.extend_from_slice(signed.attestor.as_ref());
        data.extend_from_slice(signed.signature.as_ref());
    }
    Instruction {
        program_id: ED25519_PROGRAM_ID,
        accounts: vec![],
        data,
    }
}

/// The two instructions of an attestation: Ed25519 verification, then `attest`.
pub fn attest_instructions(
    mint: &Pubkey,
    args: AttestArgs,
    signatures: &[AttestorSignature],
) -> [Instruction; 2] {
    [
        ed25519_instruction(&digest_of(mint, &args), signatures),
        crate::instructions::attest(mint, args),
    ]
}

/// Signs `args` with every attestor key and returns both instructions.
pub fn signed_attest_instructions(
    mint: &Pubkey,
    args: AttestArgs,
    attestors: &[&Keypair],
) -> [Instruction; 2] {
    let digest = digest_of(mint, &args);
    let signatures: Vec<_> = attestors.iter().map(|k| sign(k, &digest)).collect();
    attest_instructions(mint, args, &signatures)
}

/// Verifies one attestor signature over a digest (for auditors and tests).
pub fn verify(signed: &AttestorSignature, digest: &[u8; 32]) -> bool {
    signed.signature.verify(signed.attestor.as_ref(), digest)
}

/// Why collected signatures would not make an attestation the program accepts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureProblem {
    #[error(
        "BadSignature: the signature given for {0} does not verify over this attestation's digest"
    )]
    BadSignature(Pubkey),
    #[error("NotAnAttestor: {0} is not a registered attestor of this mint")]
    NotAnAttestor(Pubkey),
    #[error("DuplicateSigner: {0} is given twice")]
    DuplicateSigner(Pubkey),
    #[error("ThresholdNotMet: {valid} valid signatures, the threshold is {threshold}")]
    ThresholdNotMet { valid: usize, threshold: u8 },
}

/// Checks signatures collected elsewhere (an offline ceremony, co-signers)
/// before anything is sent: each verifies over `digest`, each is by a
/// distinct registered attestor, and there are at least `threshold`.
pub fn check_signatures(
    signatures: &[AttestorSignature],
    digest: &[u8; 32],
    attestors: &[Pubkey],
    threshold: u8,
) -> Result<(), SignatureProblem> {
    let mut seen: Vec<Pubkey> = Vec::with_capacity(signatures.len());
    for signed in signatures {
        if !verify(signed, digest) {
            return Err(SignatureProblem::BadSignature(signed.attestor));
        }
        if !attestors.contains(&signed.attestor) {
            return Err(SignatureProblem::NotAnAttestor(signed.attestor));
        }
        if seen.contains(&signed.attestor) {
            return Err(SignatureProblem::DuplicateSigner(signed.attestor));
        }
        seen.push(signed.attestor);
    }
    if seen.len() < usize::from(threshold) {
        return Err(SignatureProblem::ThresholdNotMet {
            valid: seen.len(),
            threshold,
        });
    }
    Ok(())
}

/// The seq of the attestation after `latest_seq` (`None` once exhausted).
pub fn next_seq(latest_seq: u64) -> Option<u64> {
    latest_seq.checked_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_layout_is_the_documented_one() {
        let program = Pubkey::new_from_array([1; 32]);
        let mint = Pubkey::new_from_array([2; 32]);
        let bytes = message(&program, &mint, 7, 1_000, -5, &[9; 32]);
        assert_eq!(bytes.len(), 27 + 32 + 32 + 8 + 8 + 8 + 32);
        assert_eq!(&bytes[..27], b"usd1:reserve-attestation:v1");
        assert_eq!(&bytes[27..59], &[1; 32]);
        assert_eq!(&bytes[59..91], &[2; 32]);
        assert_eq!(&bytes[91..99], &7u64.to_le_bytes());
        assert_eq!(&bytes[99..107], &1_000u64.to_le_bytes());
        assert_eq!(&bytes[107..115], &(-5i64).to_le_bytes());
        assert_eq!(&bytes[115..], &[9; 32]);
        let expected = <sha2::Sha256 as sha2::Digest>::digest(bytes);
        assert_eq!(
            digest(&program, &mint, 7, 1_000, -5, &[9; 32]),
            expected.as_slice()
        );
    }

    #[test]
    fn ed25519_instruction_round_trips_through_the_program_reader() {
        let keys: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
        let msg = [7u8; 32];
        let sigs: Vec<_> = keys.iter().map(|k| sign(k, &msg)).collect();
        let ix = ed25519_instruction(&msg, &sigs);
        assert_eq!(ix.data.len(), 2 + 3 * 14 + 32 + 3 * 96);
        let signers = usd1::attestation::signers_of(&ix.data, 0, &msg).expect("reads back");
        let expected: Vec<Pubkey> = keys.iter().map(|k| k.pubkey()).collect();
        assert_eq!(signers, expected);
        assert!(sigs.iter().all(|s| verify(s, &msg)));
        assert!(!verify(&sigs[0], &[8u8; 32]));
    }
}
