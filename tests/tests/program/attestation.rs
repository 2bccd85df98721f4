//! Reserve attestations: the M-of-N rule, the message, the Ed25519 instruction,
//! seq / as_of ordering and the history ring (SECURITY.md item 7).
use solana_sdk::instruction::{Instruction, InstructionError};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::TransactionError;
use usd1::constants::HISTORY_LEN;
use usd1::instructions::AttestArgs;
use usd1_client::attestation::{self, attest_instructions, digest, digest_of, sign};
use usd1_client::{instructions, Usd1Error, Usd1Event};
use usd1_tests::*;

/// Sends `ixs` as an attestation transaction and asserts the exact program
/// error and that nothing changed.
async fn refused(f: &Fixture, ixs: &[Instruction], expected: Usd1Error) {
    let before = f.snapshot().await;
    assert_usd1_error(f.send(ixs, &[]).await, expected);
    assert_eq!(
        f.snapshot().await,
        before,
        "state changed on a refused attestation"
    );
}

/// `attest(args)` behind an Ed25519 instruction in which the threshold of
/// attestors signed `digest` (which may not be the digest of `args`).
fn signed_over(f: &Fixture, digest: [u8; 32], args: AttestArgs) -> [Instruction; 2] {
    let sigs: Vec<_> = f.signers(2).iter().map(|k| sign(k, &digest)).collect();
    [
        attestation::ed25519_instruction(&digest, &sigs),
        instructions::attest(&f.mint(), args),
    ]
}

fn signed_by(f: &Fixture, args: AttestArgs, keys: &[&Keypair]) -> [Instruction; 2] {
    let digest = digest_of(&f.mint(), &args);
    let sigs: Vec<_> = keys.iter().map(|k| sign(k, &digest)).collect();
    attest_instructions(&f.mint(), args, &sigs)
}

#[tokio::test]
async fn records_latest_and_history_and_event() {
    let f = Fixture::new(Flavor::Token2022).await;
    let args = f.next_args(500 * ONE).await;
    let done = f.usd1.attest(args, &f.signers(3)).await.unwrap();
    let Usd1Event::ReserveAttested(event) = &done.events[0] else {
        panic!("{:?}", done.events)
    };
    assert_eq!(event.seq, 1);
    assert_eq!(event.signers.len(), 3);
    let config = f.usd1.config().await.unwrap();
    assert_eq!(config.latest.seq, 1);
    assert_eq!(config.latest.reserve_amount, 500 * ONE);
    assert_eq!(config.latest.as_of, args.as_of);
    assert_eq!(config.latest.report_sha256, args.report_sha256);
    assert_eq!(config.latest.signer_bitmap, 0b111);
    assert_eq!(config.latest.signer_count, 3);
    assert_eq!(config.latest.attestor_epoch, 1);
    assert_eq!(f.usd1.history().await.unwrap().records[0], config.latest);
}

#[tokio::test]
async fn history_ring_keeps_the_newest_records() {
    let f = Fixture::new(Flavor::Token2022).await;
    let total = HISTORY_LEN + 3;
    // One second apart, ending now: all within the submission delay.
    let first = f.now().await - total as i64;
    for i in 0..total {
        let mut args = f.next_args(i as u64 * ONE).await;
        args.as_of = first + i as i64;
        f.usd1.attest(args, &f.signers(2)).await.unwrap();
    }
    let history = f.usd1.history().await.unwrap();
    assert_eq!(history.count, total as u64);
    let newest = usd1_client::accounts::history_newest_first(&history);
    assert_eq!(newest.len(), HISTORY_LEN);
    let seqs: Vec<u64> = newest.iter().map(|r| r.seq).collect();
    let expected: Vec<u64> = (4..=total as u64).rev().collect();
    assert_eq!(seqs, expected);
    assert_eq!(newest[0], f.usd1.config().await.unwrap().latest);
}

#[tokio::test]
async fn fails_when_signed_by_a_non_attestor() {
    let f = Fixture::new(Flavor::Token2022).await;
    let outsider = Keypair::new();
    let args = f.next_args(ONE).await;
    refused(
        &f,
        &signed_by(&f, args, &[&f.attestors[0], &outsider]),
        Usd1Error::UnknownAttestor,
    )
    .await;
    // Even with the threshold met by real attestors, a stranger's signature spoils it.
    refused(
        &f,
        &signed_by(&f, args, &[&f.attestors[0], &f.attestors[1], &outsider]),
        Usd1Error::UnknownAttestor,
    )
    .await;
}

#[tokio::test]
async fn fails_when_the_same_attestor_signs_twice() {
    let f = Fixture::new(Flavor::Token2022).await;
    let args = f.next_args(ONE).await;
    refused(
        &f,
        &signed_by(&f, args, &[&f.attestors[0], &f.attestors[0]]),
        Usd1Error::DuplicateSignature,
    )
    .await;
}

#[tokio::test]
async fn fails_when_fewer_than_threshold_sign() {
    let f = Fixture::new(Flavor::Token2022).await;
    let args = f.next_args(ONE).await;
    refused(
        &f,
        &signed_by(&f, args, &[&f.attestors[2]]),
        Usd1Error::ThresholdNotMet,
    )
    .await;
}

#[tokio::test]
async fn fails_when_a_valid_signature_covers_other_bytes() {
    let f = Fixture::new(Flavor::Token2022).await;
    let args = f.next_args(ONE).await;
    // The attestors really signed 1 token; the attest instruction claims 1,000,000.
    let genuine = digest_of(&f.mint(), &args);
    let sigs: Vec<_> = f.signers(2).iter().map(|k| sign(k, &genuine)).collect();
    let inflated = AttestArgs {
        reserve_amount: 1_000_000 * ONE,
        ..args
    };
    let ixs = [
        attestation::ed25519_instruction(&genuine, &sigs),
        instructions::attest(&f.mint(), inflated),
    ];
    refused(&f, &ixs, Usd1Error::AttestationMessageMismatch).await;
}

#[tokio::test]
async fn fails_when_signed_for_another_mint() {
    let f = Fixture::new(Flavor::Token2022).await;
    let args = f.next_args(ONE).await;
    let other_mint = Pubkey::new_unique();
    let d = digest(
        &usd1::ID,
        &other_mint,
        args.seq,
        args.reserve_amount,
        args.as_of,
        &args.report_sha256,
    );
    let ixs = signed_over(&f, d, args);
    refused(&f, &ixs, Usd1Error::AttestationMessageMismatch).await;
}

#[tokio::test]
async fn fails_when_signed_for_another_program_id() {
    let f = Fixture::new(Flavor::Token2022).await;
    let args = f.next_args(ONE).await;
    let other_program = Pubkey::new_unique();
    let d = digest(
        &other_program,
        &f.mint(),
        args.seq,
        args.reserve_amount,
        args.as_of,
        &args.report_sha256,
    );
    let ixs = signed_over(&f, d, args);
    refused(&f, &ixs, Usd1Error::AttestationMessageMismatch).await;
}

#[tokio::test]
async fn fails_when_ed25519_offsets_point_into_another_instruction() {
    let f = Fixture::new(Flavor::Token2022).await;
    let args = f.next_args(ONE).await;
    let d = digest_of(&f.mint(), &args);
    let sigs: Vec<_> = f.signers(2).iter().map(|k| sign(k, &d)).collect();
    // Instruction 0 carries the digest bytes (a valid one-signature Ed25519
    // instruction); instruction 1 verifies the attestor signatures against the
    // digest found in instruction 0 rather than in itself.
    let carrier = attestation::ed25519_instruction(&d, &sigs[..1]);
    let carrier_message_offset = 2 + 14;
    let mut pointing = attestation::ed25519_instruction(&d, &sigs);
    for i in 0..sigs.len() {
        let record = 2 + i * 14;
        pointing.data[record + 8..record + 10]
            .copy_from_slice(&(carrier_message_offset as u16).to_le_bytes());
        pointing.data[record + 12..record + 14].copy_from_slice(&0u16.to_le_bytes());
    }
    let ixs = [carrier, pointing, instructions::attest(&f.mint(), args)];
    refused(&f, &ixs, Usd1Error::Ed25519OffsetOutsideInstruction).await;
}

#[tokio::test]
async fn fails_when_there_is_no_ed25519_instruction() {
    let f = Fixture::new(Flavor::Token2022).await;
    let args = f.next_args(ONE).await;
    refused(
        &f,
        &[instructions::attest(&f.mint(), args)],
        Usd1Error::MissingEd25519Instruction,
    )
    .await;
    // Something else directly before the attest instruction does not count either.
    let [ed25519, attest] = signed_by(&f, args, &f.signers(2));
    let unrelated = anchor_lang::solana_program::system_instruction::transfer(
        &f.admin.pubkey(),
        &f.holder.pubkey(),
        1_000_000,
    );
    refused(
        &f,
        &[ed25519, unrelated, attest],
        Usd1Error::MissingEd25519Instruction,
    )
    .await;
}

#[tokio::test]
async fn fails_when_a_signature_is_forged() {
    let f = Fixture::new(Flavor::Token2022).await;
    let args = f.next_args(ONE).await;
    let [mut ed25519, attest] = signed_by(&f, args, &f.signers(2));
    let last = ed25519.data.len() - 1;
    ed25519.data[last] ^= 0x01;
    let before = f.snapshot().await;
    // The runtime's Ed25519 verification rejects the transaction before USD1 runs.
    let result = f.send(&[ed25519, attest], &[]).await;
    assert_tx_error(
        result,
        TransactionError::InstructionError(0, InstructionError::Custom(2)),
    );
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn fails_when_seq_is_replayed_or_skipped() {
    let f = Fixture::with_reserve(Flavor::Token2022, ONE).await;
    let next = f.next_args(2 * ONE).await;
    let replay = AttestArgs { seq: 1, ..next };
    refused(
        &f,
        &signed_by(&f, replay, &f.signers(2)),
        Usd1Error::InvalidSequence,
    )
    .await;
    let skip = AttestArgs { seq: 3, ..next };
    refused(
        &f,
        &signed_by(&f, skip, &f.signers(2)),
        Usd1Error::InvalidSequence,
    )
    .await;
}

#[tokio::test]
async fn fails_when_as_of_is_not_newer_or_in_the_future() {
    let f = Fixture::with_reserve(Flavor::Token2022, ONE).await;
    let latest = f.usd1.config().await.unwrap().latest;
    let next = f.next_args(2 * ONE).await;
    let same_time = AttestArgs {
        as_of: latest.as_of,
        ..next
    };
    refused(
        &f,
        &signed_by(&f, same_time, &f.signers(2)),
        Usd1Error::AttestationNotNewer,
    )
    .await;
    let older = AttestArgs {
        as_of: latest.as_of - 1,
        ..next
    };
    refused(
        &f,
        &signed_by(&f, older, &f.signers(2)),
        Usd1Error::AttestationNotNewer,
    )
    .await;
    let now = f.now().await;
    let future = AttestArgs {
        as_of: now + usd1::constants::MAX_FUTURE_SKEW_SECS + 1,
        ..next
    };
    refused(
        &f,
        &signed_by(&f, future, &f.signers(2)),
        Usd1Error::AttestationInFuture,
    )
    .await;
    // Within the skew is accepted.
    let skewed = AttestArgs {
        as_of: now + usd1::constants::MAX_FUTURE_SKEW_SECS,
        ..next
    };
    f.send(&signed_by(&f, skewed, &f.signers(2)), &[])
        .await
        .unwrap();
}

/// SECURITY.md item 15: a signature set that leaked (a dry run, an abandoned
/// send, a co-signer's log) cannot be landed once its as_of is older than
/// the policy's max submission delay.
#[tokio::test]
async fn fails_when_the_signed_attestation_expired() {
    let f = Fixture::with_reserve(Flavor::Token2022, ONE).await;
    let delay = f.usd1.config().await.unwrap().max_submission_delay;
    assert_eq!(delay, usd1::constants::DEFAULT_MAX_SUBMISSION_DELAY);
    let next = f.next_args(2 * ONE).await;

    // Signed now, held back, landed a second after the delay ran out.
    let leaked = signed_by(&f, next, &f.signers(2));
    f.advance_clock(next.as_of - f.now().await + delay + 1)
        .await;
    refused(&f, &leaked, Usd1Error::AttestationExpired).await;

    // A longer delay set by the admin lets the same signatures land (a memo
    // makes it another transaction than the refused one).
    f.usd1
        .set_policy(
            &f.admin,
            usd1::instructions::PolicyArgs {
                max_submission_delay: Some(delay + 60),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let retry = instructions::memo("retry", &f.usd1.payer().pubkey());
    f.send(&[leaked[0].clone(), leaked[1].clone(), retry], &[])
        .await
        .unwrap();
    assert_eq!(f.usd1.config().await.unwrap().latest.seq, next.seq);
}

#[tokio::test]
async fn accepts_an_attestation_exactly_at_the_submission_delay() {
    let f = Fixture::with_reserve(Flavor::Token2022, ONE).await;
    let delay = f.usd1.config().await.unwrap().max_submission_delay;
    let next = f.next_args(2 * ONE).await;
    let signed = signed_by(&f, next, &f.signers(2));
    f.advance_clock(next.as_of - f.now().await + delay).await;
    f.send(&signed, &[]).await.unwrap();
}

#[tokio::test]
async fn fails_when_no_attestors_are_registered() {
    let f = Fixture::bare(Flavor::Token2022).await;
    let args = f.next_args(ONE).await;
    refused(
        &f,
        &signed_by(&f, args, &f.signers(2)),
        Usd1Error::NoAttestors,
    )
    .await;
}

#[tokio::test]
async fn fails_when_given_a_fake_instructions_sysvar() {
    let f = Fixture::new(Flavor::Token2022).await;
    let args = f.next_args(ONE).await;
    let [ed25519, mut attest] = signed_by(&f, args, &f.signers(2));
    attest.accounts[2].pubkey = Pubkey::new_unique();
    refused(&f, &[ed25519, attest], Usd1Error::WrongInstructionsSysvar).await;
}

/// The bridge lesson (Wormhole, February 2022: a signature check that read
/// a look-alike of the instructions sysvar): `attest` handed an account
/// whose data is a well-formed instructions sysvar carrying an Ed25519
/// instruction "signed" by the registered attestors — bytes no runtime ever
/// verified — and no Ed25519 instruction of its own is refused by name, and
/// nothing changes.
#[tokio::test]
#[allow(deprecated)] // the runtime's own serializer of the sysvar, re-exported here
async fn fails_when_given_a_forged_instructions_sysvar_carrying_ed25519_data() {
    use anchor_lang::solana_program::sysvar::instructions::{
        construct_instructions_data, BorrowedAccountMeta, BorrowedInstruction,
    };
    use solana_sdk::account::{Account, AccountSharedData};
    use solana_sdk::signature::Signature;
    use usd1_client::attestation::AttestorSignature;

    let mut f = Fixture::new(Flavor::Token2022).await;
    let args = f.next_args(ONE).await;
    let digest = digest_of(&f.mint(), &args);
    // The attestors' keys, with signatures nobody made.
    let forged: Vec<AttestorSignature> = f
        .signers(usize::from(THRESHOLD))
        .iter()
        .map(|k| AttestorSignature {
            attestor: k.pubkey(),
            signature: Signature::from([7u8; 64]),
        })
        .collect();
    let ed25519 = attestation::ed25519_instruction(&digest, &forged);
    let real_attest = instructions::attest(&f.mint(), args);
    let borrow = |ix: &'static Instruction| BorrowedInstruction {
        program_id: &ix.program_id,
        accounts: ix
            .accounts
            .iter()
            .map(|m| BorrowedAccountMeta {
                pubkey: &m.pubkey,
                is_signer: m.is_signer,
                is_writable: m.is_writable,
            })
            .collect(),
        data: &ix.data,
    };
    let (ed25519, real_attest): (&'static Instruction, &'static Instruction) = (
        Box::leak(Box::new(ed25519)),
        Box::leak(Box::new(real_attest)),
    );
    // What the real sysvar would hold, with `attest` as the current one.
    let mut data = construct_instructions_data(&[borrow(ed25519), borrow(real_attest)]);
    let at = data.len() - 2;
    data[at..].copy_from_slice(&1u16.to_le_bytes());
    let fake = Pubkey::new_unique();
    f.backend.set_account(
        &fake,
        &AccountSharedData::from(Account {
            lamports: 1_000_000_000,
            data,
            owner: solana_sdk::sysvar::ID,
            executable: false,
            rent_epoch: 0,
        }),
    );
    let mut attest = real_attest.clone();
    attest.accounts[2].pubkey = fake;
    refused(&f, &[attest], Usd1Error::WrongInstructionsSysvar).await;
    // With the real sysvar and the forged Ed25519 instruction in the
    // transaction, the runtime itself refuses the signatures.
    let before = f.snapshot().await;
    let error = f
        .send(&[ed25519.clone(), real_attest.clone()], &[])
        .await
        .unwrap_err();
    assert_eq!(
        error.failure().map(|failure| &failure.error),
        Some(&TransactionError::InstructionError(
            0,
            InstructionError::Custom(2) // Ed25519's InvalidSignature
        )),
        "{error}"
    );
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn attestors_of_a_replaced_set_can_no_longer_attest() {
    let f = Fixture::new(Flavor::Token2022).await;
    let fresh: Vec<Keypair> = (0..2).map(|_| Keypair::new()).collect();
    f.usd1
        .set_attestors(
            &f.admin,
            fresh.iter().map(|k| k.pubkey()).collect(),
            2,
            false,
        )
        .await
        .unwrap();
    let args = f.next_args(ONE).await;
    refused(
        &f,
        &signed_by(&f, args, &f.signers(2)),
        Usd1Error::UnknownAttestor,
    )
    .await;
    let done = f
        .usd1
        .attest(args, &fresh.iter().collect::<Vec<_>>())
        .await
        .unwrap();
    let Usd1Event::ReserveAttested(event) = &done.events[0] else {
        panic!()
    };
    assert_eq!(event.attestor_epoch, 2);
}

#[tokio::test]
async fn seven_of_eight_fits_in_one_legacy_transaction_and_is_accepted() {
    use solana_sdk::transaction::Transaction;
    use usd1_client::size::{transaction_size, PACKET_DATA_SIZE};
    let f = Fixture::new(Flavor::Token2022).await;
    let set: Vec<Keypair> = (0..8).map(|_| Keypair::new()).collect();
    f.usd1
        .set_attestors(&f.admin, set.iter().map(|k| k.pubkey()).collect(), 7, false)
        .await
        .unwrap();
    let args = f.next_args(1_000 * ONE).await;
    let signers: Vec<&Keypair> = set.iter().take(7).collect();
    let ixs = usd1_client::attestation::signed_attest_instructions(&f.mint(), args, &signers);
    let blockhash = f.backend.banks_client.get_latest_blockhash().await.unwrap();
    let tx =
        Transaction::new_signed_with_payer(&ixs, Some(&f.admin.pubkey()), &[&*f.admin], blockhash);
    assert!(
        transaction_size(&tx) <= PACKET_DATA_SIZE,
        "{} bytes",
        transaction_size(&tx)
    );
    f.send(&ixs, &[]).await.unwrap();
    assert_eq!(f.usd1.config().await.unwrap().latest.signer_count, 7);
    // Six of them are below the threshold.
    let args = f.next_args(1_000 * ONE).await;
    let six: Vec<&Keypair> = set.iter().skip(2).collect();
    refused(
        &f,
        &usd1_client::attestation::signed_attest_instructions(&f.mint(), args, &six),
        Usd1Error::ThresholdNotMet,
    )
    .await;
}

/// SECURITY.md item 7 (issue 22, item 9): the instructions sysvar names the
/// top-level instruction, so inside a wrapper "the Ed25519 instruction
/// before attest" is the one before the wrapper. Whoever saw a signature
/// set could land it first that way, where the audit does not look.
#[tokio::test]
async fn fails_when_attest_is_reached_through_a_cpi() {
    let f = Fixture::new(Flavor::Token2022).await;
    let args = f.next_args(ONE).await;
    let [ed25519, attest] = signed_by(&f, args, &[&f.attestors[0], &f.attestors[1]]);
    refused(
        &f,
        &[
            ed25519.clone(),
            usd1_tests::vault::through_vault(attest.clone()),
        ],
        Usd1Error::AttestationViaCpi,
    )
    .await;
    // The same signatures, top-level, land.
    f.send(&[ed25519, attest], &[]).await.unwrap();
    assert_eq!(f.usd1.config().await.unwrap().latest.seq, args.seq);
}
