//! The redemption queue (SECURITY.md items 9 and 10): request → settle and
//! request → reject with supply, balances, events and timestamps; the
//! disclosed minimum and fee; pause and freeze; every way to settle or drain
//! out of turn, each asserting its exact error and that nothing changed.
use anchor_lang::error::ErrorCode as AnchorError;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token_2022::spl_token_2022::{error::TokenError, instruction as token_ix};
use solana_sdk::instruction::InstructionError;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::TransactionError;
use usd1::events;
use usd1_client::{
    instructions as ix, pda, sha256, Ledger, RedemptionStatus, Usd1Error, Usd1Event,
};
use usd1_tests::*;

/// Disclosure published; the holder holds 1,000 tokens.
async fn funded_holder(flavor: Flavor) -> Fixture {
    let f = Fixture::with_reserve(flavor, 10_000 * ONE).await;
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    f.fund(&f.holder.pubkey()).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 1_000 * ONE)
        .await
        .unwrap();
    f
}

async fn refused(
    f: &Fixture,
    result: Result<impl std::fmt::Debug, usd1_client::ClientError>,
    expected: Usd1Error,
    before: &std::collections::BTreeMap<solana_sdk::pubkey::Pubkey, Option<Vec<u8>>>,
) {
    assert_usd1_error(result, expected);
    assert_eq!(
        &f.snapshot().await,
        before,
        "state changed on a refused {expected:?}"
    );
}

async fn request_then_settle(flavor: Flavor) {
    let f = funded_holder(flavor).await;
    let holder = f.holder.pubkey();
    let payout_ref = sha256(b"wire to ACME Bank 0042");
    let requested_at = f.now().await;
    let (id, done) = f
        .usd1
        .request_redemption(&f.holder, 400 * ONE, payout_ref)
        .await
        .unwrap();
    assert_eq!(id, 0);
    // 0.25% of 400 = 1 token.
    assert_eq!(
        done.events,
        vec![Usd1Event::RedemptionRequested(
            events::RedemptionRequested {
                mint: f.mint(),
                id,
                holder,
                source: f.usd1.token_account_of(&holder),
                amount: 400 * ONE,
                fee: ONE,
                payout: 399 * ONE,
                fee_bps: 25,
                payout_ref_sha256: payout_ref,
                requested_at,
                escrowed: 400 * ONE,
            }
        )]
    );
    assert_eq!(f.usd1.balance(&holder).await.unwrap(), 600 * ONE);
    let escrow = f
        .usd1
        .token_account(&f.usd1.escrow_address())
        .await
        .unwrap();
    assert_eq!(
        (escrow.amount, escrow.owner),
        (400 * ONE, f.config_address())
    );
    assert_eq!(
        f.supply().await,
        1_000 * ONE,
        "escrow does not change supply"
    );
    let record = f.usd1.redemption(id).await.unwrap();
    assert_eq!(
        (record.status, record.requested_at, record.resolved_at),
        (RedemptionStatus::Pending, requested_at, 0)
    );

    f.advance_clock(3_600).await;
    let settlement_ref = sha256(b"FED-REF-77");
    let done = f
        .usd1
        .settle_redemption(&f.treasurer, id, settlement_ref)
        .await
        .unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::RedemptionSettled(events::RedemptionSettled {
            mint: f.mint(),
            id,
            treasurer: f.treasurer.pubkey(),
            holder,
            amount: 400 * ONE,
            fee: ONE,
            payout: 399 * ONE,
            settlement_ref_sha256: settlement_ref,
            requested_at,
            settled_at: requested_at + 3_600,
            supply: 600 * ONE,
            escrowed: 0,
        })]
    );
    assert_eq!(f.supply().await, 600 * ONE);
    assert_eq!(
        f.usd1
            .token_account(&f.usd1.escrow_address())
            .await
            .unwrap()
            .amount,
        0
    );
    let record = f.usd1.redemption(id).await.unwrap();
    assert_eq!(record.status, RedemptionStatus::Settled);
    assert_eq!(record.resolved_at - record.requested_at, 3_600);
    assert_eq!(record.settlement_ref_sha256, settlement_ref);
    let config = f.usd1.config().await.unwrap();
    assert_eq!(
        (
            config.pending_redemptions,
            config.escrowed_amount,
            config.total_redeemed
        ),
        (0, 0, 400 * ONE)
    );
}

#[tokio::test]
async fn request_then_settle_on_token_2022() {
    request_then_settle(Flavor::Token2022).await;
}

#[tokio::test]
async fn request_then_settle_on_classic_token() {
    request_then_settle(Flavor::Token).await;
}

#[tokio::test]
async fn request_then_reject_refunds_the_holder() {
    let f = funded_holder(Flavor::Token2022).await;
    let holder = f.holder.pubkey();
    let (id, _) = f
        .usd1
        .request_redemption(&f.holder, 250 * ONE, [7; 32])
        .await
        .unwrap();
    let requested_at = f.usd1.redemption(id).await.unwrap().requested_at;
    f.advance_clock(60).await;
    let done = f
        .usd1
        .reject_redemption(&f.treasurer, id, 42)
        .await
        .unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::RedemptionRejected(events::RedemptionRejected {
            mint: f.mint(),
            id,
            treasurer: f.treasurer.pubkey(),
            holder,
            refunded_to: f.usd1.token_account_of(&holder),
            amount: 250 * ONE,
            reason_code: 42,
            requested_at,
            rejected_at: requested_at + 60,
            escrowed: 0,
        })]
    );
    assert_eq!(f.usd1.balance(&holder).await.unwrap(), 1_000 * ONE);
    assert_eq!(f.supply().await, 1_000 * ONE);
    let record = f.usd1.redemption(id).await.unwrap();
    assert_eq!(
        (record.status, record.reason_code),
        (RedemptionStatus::Rejected, 42)
    );
    let config = f.usd1.config().await.unwrap();
    assert_eq!(
        (
            config.pending_redemptions,
            config.escrowed_amount,
            config.total_redeemed
        ),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn the_fee_is_exact_and_rounds_down() {
    let f = funded_holder(Flavor::Token2022).await;
    // 10.000039 × 0.25% = 0.0250000975 → 25,000 base units.
    let (_, done) = f
        .usd1
        .request_redemption(&f.holder, 10_000_039, [0; 32])
        .await
        .unwrap();
    let Usd1Event::RedemptionRequested(event) = &done.events[0] else {
        panic!()
    };
    assert_eq!((event.fee, event.payout), (25_000, 10_000_039 - 25_000));
    assert_eq!(f.usd1.redemption(0).await.unwrap().fee, 25_000);
}

#[tokio::test]
async fn ids_are_dense_and_listed_by_status() {
    let f = funded_holder(Flavor::Token2022).await;
    for amount in [10, 20, 30, 40] {
        f.usd1
            .request_redemption(&f.holder, amount * ONE, [0; 32])
            .await
            .unwrap();
    }
    f.usd1
        .settle_redemption(&f.treasurer, 1, [1; 32])
        .await
        .unwrap();
    f.usd1.reject_redemption(&f.treasurer, 2, 9).await.unwrap();
    let ids =
        |list: Vec<usd1_client::Redemption>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(f.usd1.redemptions(None).await.unwrap()),
        vec![0, 1, 2, 3]
    );
    assert_eq!(
        ids(f
            .usd1
            .redemptions(Some(RedemptionStatus::Pending))
            .await
            .unwrap()),
        vec![0, 3]
    );
    assert_eq!(
        ids(f
            .usd1
            .redemptions(Some(RedemptionStatus::Settled))
            .await
            .unwrap()),
        vec![1]
    );
    assert_eq!(
        ids(f
            .usd1
            .redemptions(Some(RedemptionStatus::Rejected))
            .await
            .unwrap()),
        vec![2]
    );
    let config = f.usd1.config().await.unwrap();
    assert_eq!(
        (config.pending_redemptions, config.escrowed_amount),
        (2, 50 * ONE)
    );
    assert_eq!(
        f.usd1
            .token_account(&f.usd1.escrow_address())
            .await
            .unwrap()
            .amount,
        50 * ONE
    );
}

#[tokio::test]
async fn a_pause_never_traps_holders() {
    let f = funded_holder(Flavor::Token2022).await;
    f.usd1
        .request_redemption(&f.holder, 100 * ONE, [0; 32])
        .await
        .unwrap();
    f.usd1.pause(&f.pauser).await.unwrap();
    // Requests and rejections go on; settlement (a supply change) waits.
    f.usd1
        .request_redemption(&f.holder, 100 * ONE, [0; 32])
        .await
        .unwrap();
    let before = f.snapshot().await;
    refused(
        &f,
        f.usd1.settle_redemption(&f.treasurer, 0, [0; 32]).await,
        Usd1Error::Paused,
        &before,
    )
    .await;
    f.usd1.reject_redemption(&f.treasurer, 1, 1).await.unwrap();
    f.usd1.unpause(&f.pauser).await.unwrap();
    f.usd1
        .settle_redemption(&f.treasurer, 0, [0; 32])
        .await
        .unwrap();
}

#[tokio::test]
async fn fails_below_the_disclosed_minimum_or_at_zero() {
    let f = funded_holder(Flavor::Token2022).await;
    let before = f.snapshot().await;
    refused(
        &f,
        f.usd1
            .request_redemption(&f.holder, 10 * ONE - 1, [0; 32])
            .await,
        Usd1Error::BelowMinimumRedemption,
        &before,
    )
    .await;
    refused(
        &f,
        f.usd1.request_redemption(&f.holder, 0, [0; 32]).await,
        Usd1Error::ZeroAmount,
        &before,
    )
    .await;
    f.usd1
        .request_redemption(&f.holder, 10 * ONE, [0; 32])
        .await
        .unwrap();
}

#[tokio::test]
async fn fails_before_any_disclosure_is_published() {
    let f = Fixture::with_reserve(Flavor::Token2022, 10_000 * ONE).await;
    f.fund(&f.holder.pubkey()).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 100 * ONE)
        .await
        .unwrap();
    let before = f.snapshot().await;
    // Redemptions have no terms without a disclosure: the account does not exist.
    assert_anchor_error(
        f.usd1
            .request_redemption(&f.holder, 50 * ONE, [0; 32])
            .await,
        AnchorError::AccountNotInitialized,
    );
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn fails_when_the_holder_is_frozen() {
    let f = funded_holder(Flavor::Token2022).await;
    f.usd1
        .freeze(&f.freezer, &f.usd1.token_account_of(&f.holder.pubkey()))
        .await
        .unwrap();
    let before = f.snapshot().await;
    refused(
        &f,
        f.usd1
            .request_redemption(&f.holder, 50 * ONE, [0; 32])
            .await,
        Usd1Error::HolderFrozen,
        &before,
    )
    .await;
}

#[tokio::test]
async fn fails_when_settled_twice_or_resolved_out_of_turn() {
    let f = funded_holder(Flavor::Token2022).await;
    f.usd1
        .request_redemption(&f.holder, 100 * ONE, [0; 32])
        .await
        .unwrap();
    f.usd1
        .request_redemption(&f.holder, 100 * ONE, [0; 32])
        .await
        .unwrap();
    f.usd1
        .settle_redemption(&f.treasurer, 0, [1; 32])
        .await
        .unwrap();
    f.usd1.reject_redemption(&f.treasurer, 1, 5).await.unwrap();
    let before = f.snapshot().await;
    // Settle twice; reject after settle; settle a rejected one; reject twice.
    for id in [0, 1] {
        let settle = f.usd1.settle_redemption(&f.treasurer, id, [2; 32]).await;
        refused(&f, settle, Usd1Error::RedemptionNotPending, &before).await;
        let reject = f.usd1.reject_redemption(&f.treasurer, id, 6).await;
        refused(&f, reject, Usd1Error::RedemptionNotPending, &before).await;
    }
}

#[tokio::test]
async fn fails_when_someone_else_plays_treasurer() {
    let f = funded_holder(Flavor::Token2022).await;
    f.usd1
        .request_redemption(&f.holder, 100 * ONE, [0; 32])
        .await
        .unwrap();
    let before = f.snapshot().await;
    for impostor in [&*f.admin, &f.holder, &f.minter, &f.pauser, &f.freezer] {
        refused(
            &f,
            f.usd1.settle_redemption(impostor, 0, [0; 32]).await,
            Usd1Error::NotTreasurer,
            &before,
        )
        .await;
        refused(
            &f,
            f.usd1.reject_redemption(impostor, 0, 1).await,
            Usd1Error::NotTreasurer,
            &before,
        )
        .await;
    }
    // The treasurer's key named without its signature.
    let mut settle = ix::settle_redemption(
        &f.treasurer.pubkey(),
        &f.mint(),
        &f.flavor.program_id(),
        0,
        [0; 32],
    );
    settle.accounts[0].is_signer = false;
    assert_anchor_error(f.send(&[settle], &[]).await, AnchorError::AccountNotSigner);
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn fails_when_a_rejection_refunds_another_account() {
    let f = funded_holder(Flavor::Token2022).await;
    f.usd1
        .request_redemption(&f.holder, 100 * ONE, [0; 32])
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &f.pauser.pubkey(), ONE)
        .await
        .unwrap();
    let before = f.snapshot().await;
    let thief = f.usd1.token_account_of(&f.pauser.pubkey());
    // Another token account, with the real holder named.
    let reject = ix::reject_redemption(
        &f.treasurer.pubkey(),
        &f.mint(),
        &f.flavor.program_id(),
        0,
        &f.holder.pubkey(),
        &thief,
        1,
    );
    refused(
        &f,
        f.send(&[reject], &[&f.treasurer]).await,
        Usd1Error::WrongRefundAccount,
        &before,
    )
    .await;
    // Another "holder", so that the thief's account passes as its associated one.
    let reject = ix::reject_redemption(
        &f.treasurer.pubkey(),
        &f.mint(),
        &f.flavor.program_id(),
        0,
        &f.pauser.pubkey(),
        &thief,
        1,
    );
    refused(
        &f,
        f.send(&[reject], &[&f.treasurer]).await,
        Usd1Error::WrongRefundAccount,
        &before,
    )
    .await;
}

#[tokio::test]
async fn fails_when_anyone_drains_the_escrow_directly() {
    let f = funded_holder(Flavor::Token2022).await;
    f.usd1
        .request_redemption(&f.holder, 100 * ONE, [0; 32])
        .await
        .unwrap();
    let before = f.snapshot().await;
    // The holder signs a plain token transfer out of the escrow it paid into.
    let drain = token_ix::transfer_checked(
        &f.flavor.program_id(),
        &f.usd1.escrow_address(),
        &f.mint(),
        &f.usd1.token_account_of(&f.holder.pubkey()),
        &f.holder.pubkey(),
        &[],
        100 * ONE,
        DECIMALS,
    )
    .unwrap();
    let owner_mismatch = TransactionError::InstructionError(
        0,
        InstructionError::Custom(TokenError::OwnerMismatch as u32),
    );
    assert_tx_error(f.send(&[drain], &[&f.holder]).await, owner_mismatch.clone());
    // Nor can the admin burn it with its own key.
    let burn = token_ix::burn_checked(
        &f.flavor.program_id(),
        &f.usd1.escrow_address(),
        &f.mint(),
        &f.admin.pubkey(),
        &[],
        ONE,
        DECIMALS,
    )
    .unwrap();
    assert_tx_error(f.send(&[burn], &[]).await, owner_mismatch);
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn fails_with_a_redemption_of_another_mint() {
    let f = funded_holder(Flavor::Token2022).await;
    f.usd1
        .request_redemption(&f.holder, 100 * ONE, [0; 32])
        .await
        .unwrap();
    // A second mint whose holder has a pending request 0 of its own.
    let other_mint = Keypair::new();
    let (other, _) = usd1_client::Usd1::initialize(
        f.ledger.clone(),
        f.admin.clone(),
        &other_mint,
        f.flavor.program_id(),
        default_init_args(),
    )
    .await
    .unwrap();
    other
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    other
        .set_attestors(&f.admin, vec![f.attestors[0].pubkey()], 1, false)
        .await
        .unwrap();
    other
        .configure_minter(&f.admin, &f.minter.pubkey(), MINTER_ALLOWANCE)
        .await
        .unwrap();
    let args = other
        .next_attestation(1_000 * ONE, f.now().await, [0; 32])
        .await
        .unwrap();
    other.attest(args, &[&f.attestors[0]]).await.unwrap();
    other
        .mint_to(&f.minter, &f.holder.pubkey(), 100 * ONE)
        .await
        .unwrap();
    other
        .request_redemption(&f.holder, 100 * ONE, [0; 32])
        .await
        .unwrap();

    let before = f.snapshot().await;
    let mut settle = ix::settle_redemption(
        &f.treasurer.pubkey(),
        &f.mint(),
        &f.flavor.program_id(),
        0,
        [0; 32],
    );
    settle.accounts[4].pubkey = pda::redemption(&other.config_address(), 0);
    assert_anchor_error(
        f.send(&[settle], &[&f.treasurer]).await,
        AnchorError::ConstraintSeeds,
    );
    assert_eq!(f.snapshot().await, before);
    assert_eq!(
        other.redemption(0).await.unwrap().status,
        RedemptionStatus::Pending
    );
}

// --- Escrow denial (SECURITY.md item 18): nothing the freezer or a holder
// does stops the queue or keeps a rejected request's tokens in escrow. ---

#[tokio::test]
async fn fails_when_the_freezer_freezes_the_escrow() {
    for flavor in [Flavor::Token2022, Flavor::Token] {
        let f = funded_holder(flavor).await;
        f.usd1
            .request_redemption(&f.holder, 100 * ONE, [0; 32])
            .await
            .unwrap();
        let before = f.snapshot().await;
        refused(
            &f,
            f.usd1.freeze(&f.freezer, &f.usd1.escrow_address()).await,
            Usd1Error::EscrowNotFreezable,
            &before,
        )
        .await;
        // The queue still moves both ways.
        f.usd1
            .request_redemption(&f.holder, 100 * ONE, [1; 32])
            .await
            .unwrap();
        f.usd1
            .settle_redemption(&f.treasurer, 0, [2; 32])
            .await
            .unwrap();
        f.usd1.reject_redemption(&f.treasurer, 1, 3).await.unwrap();
        assert_eq!(f.usd1.balance(&f.holder.pubkey()).await.unwrap(), 900 * ONE);
    }
}

/// The holder's request `id` of `amount`, rejected: the event, and where the tokens went.
async fn rejected_to(f: &Fixture, id: u64) -> events::RedemptionRejected {
    let done = f.usd1.reject_redemption(&f.treasurer, id, 7).await.unwrap();
    match done.events.as_slice() {
        [Usd1Event::RedemptionRejected(event)] => event.clone(),
        other => panic!("expected one RedemptionRejected, got {other:?}"),
    }
}

#[tokio::test]
async fn a_holder_who_closes_the_source_is_refunded_to_a_new_associated_account() {
    for flavor in [Flavor::Token2022, Flavor::Token] {
        let f = funded_holder(flavor).await;
        f.fund(&f.treasurer.pubkey()).await;
        let holder = f.holder.pubkey();
        let source = f.usd1.token_account_of(&holder);
        // Everything into escrow, then the emptied account is closed.
        f.usd1
            .request_redemption(&f.holder, 1_000 * ONE, [0; 32])
            .await
            .unwrap();
        let close = token_ix::close_account(&f.flavor.program_id(), &source, &holder, &holder, &[])
            .unwrap();
        f.send(&[close], &[&f.holder]).await.unwrap();
        assert!(f.ledger.get_account(&source).await.unwrap().is_none());

        let treasurer_lamports = f.context.banks_client.get_balance(f.treasurer.pubkey());
        let treasurer_lamports = treasurer_lamports.await.unwrap();
        let event = rejected_to(&f, 0).await;
        assert_eq!(event.refunded_to, source, "recreated at the same address");
        assert_eq!(f.usd1.balance(&holder).await.unwrap(), 1_000 * ONE);
        assert!(
            f.context
                .banks_client
                .get_balance(f.treasurer.pubkey())
                .await
                .unwrap()
                < treasurer_lamports,
            "the treasurer paid for the new account"
        );
        let config = f.usd1.config().await.unwrap();
        assert_eq!((config.pending_redemptions, config.escrowed_amount), (0, 0));
    }
}

#[tokio::test]
async fn a_closed_source_other_than_the_associated_account_refunds_the_associated_one() {
    let f = funded_holder(Flavor::Token2022).await;
    f.fund(&f.treasurer.pubkey()).await;
    let holder = f.holder.pubkey();
    let program = f.flavor.program_id();
    // The holder redeems from a second token account of its own, then closes it.
    let side = Keypair::new();
    let len = anchor_spl::token_2022::spl_token_2022::state::Account::LEN;
    let rent = f
        .ledger
        .minimum_balance_for_rent_exemption(len)
        .await
        .unwrap();
    let create = anchor_lang::solana_program::system_instruction::create_account(
        &f.admin.pubkey(),
        &side.pubkey(),
        rent,
        len as u64,
        &program,
    );
    let init = token_ix::initialize_account3(&program, &side.pubkey(), &f.mint(), &holder).unwrap();
    let move_in = token_ix::transfer_checked(
        &program,
        &f.usd1.token_account_of(&holder),
        &f.mint(),
        &side.pubkey(),
        &holder,
        &[],
        100 * ONE,
        DECIMALS,
    )
    .unwrap();
    f.send(&[create, init, move_in], &[&side, &f.holder])
        .await
        .unwrap();
    let request = ix::request_redemption(
        &holder,
        &f.mint(),
        &side.pubkey(),
        &program,
        0,
        100 * ONE,
        [0; 32],
    );
    f.send(&[request], &[&f.holder]).await.unwrap();
    let close = token_ix::close_account(&program, &side.pubkey(), &holder, &holder, &[]).unwrap();
    f.send(&[close], &[&f.holder]).await.unwrap();

    // Naming the closed account itself is refused, and changes nothing.
    let before = f.snapshot().await;
    let to_closed = ix::reject_redemption(
        &f.treasurer.pubkey(),
        &f.mint(),
        &program,
        0,
        &holder,
        &side.pubkey(),
        1,
    );
    refused(
        &f,
        f.send(&[to_closed], &[&f.treasurer]).await,
        Usd1Error::RefundAccountUnusable,
        &before,
    )
    .await;
    // The client sends it to the associated account instead.
    let event = rejected_to(&f, 0).await;
    assert_eq!(event.refunded_to, f.usd1.token_account_of(&holder));
    assert_eq!(f.usd1.balance(&holder).await.unwrap(), 1_000 * ONE);
}

#[tokio::test]
async fn a_frozen_source_gets_its_refund_and_stays_frozen() {
    for flavor in [Flavor::Token2022, Flavor::Token] {
        let f = funded_holder(flavor).await;
        let holder = f.holder.pubkey();
        let source = f.usd1.token_account_of(&holder);
        f.usd1
            .request_redemption(&f.holder, 300 * ONE, [0; 32])
            .await
            .unwrap();
        f.usd1.freeze(&f.freezer, &source).await.unwrap();
        let event = rejected_to(&f, 0).await;
        assert_eq!(event.refunded_to, source);
        let account = f.usd1.token_account(&source).await.unwrap();
        assert_eq!((account.amount, account.frozen), (1_000 * ONE, true));
    }
}

#[tokio::test]
async fn a_source_that_requires_memos_still_gets_its_refund() {
    use anchor_spl::token_2022::spl_token_2022::extension::{
        memo_transfer::instruction::enable_required_transfer_memos, ExtensionType,
    };
    let f = funded_holder(Flavor::Token2022).await;
    let holder = f.holder.pubkey();
    let program = f.flavor.program_id();
    let source = f.usd1.token_account_of(&holder);
    f.usd1
        .request_redemption(&f.holder, 300 * ONE, [0; 32])
        .await
        .unwrap();
    let grow = token_ix::reallocate(
        &program,
        &source,
        &f.admin.pubkey(),
        &holder,
        &[],
        &[ExtensionType::MemoTransfer],
    )
    .unwrap();
    let require_memos = enable_required_transfer_memos(&program, &source, &holder, &[]).unwrap();
    f.send(&[grow, require_memos], &[&f.holder]).await.unwrap();
    // A plain transfer into it is now refused without a memo…
    let plain = f.transfer_ix(&f.minter.pubkey(), &holder, 1);
    f.usd1
        .mint_to(&f.minter, &f.minter.pubkey(), ONE)
        .await
        .unwrap();
    assert_tx_error(
        f.send(&[plain], &[&f.minter]).await,
        token_error(0, TokenError::NoMemo),
    );
    // …but the refund carries one.
    let event = rejected_to(&f, 0).await;
    assert_eq!(event.refunded_to, source);
    assert_eq!(f.usd1.balance(&holder).await.unwrap(), 1_000 * ONE);
}

#[tokio::test]
async fn on_an_allowlist_mint_a_recreated_account_starts_frozen_and_keeps_the_refund() {
    let options = usd1_client::MintOptions {
        default_frozen: true,
        ..Default::default()
    };
    let f = Fixture::new_with(Flavor::Token2022, options).await;
    f.attest(10_000 * ONE).await.unwrap();
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    f.fund(&f.holder.pubkey()).await;
    f.fund(&f.treasurer.pubkey()).await;
    let holder = f.holder.pubkey();
    let source = f.usd1.token_account_of(&holder);
    f.send(&[f.create_account_ix(&holder)], &[]).await.unwrap();
    f.usd1.thaw(&f.freezer, &source).await.unwrap();
    f.usd1.mint_to(&f.minter, &holder, 50 * ONE).await.unwrap();
    f.usd1
        .request_redemption(&f.holder, 50 * ONE, [0; 32])
        .await
        .unwrap();
    let close =
        token_ix::close_account(&f.flavor.program_id(), &source, &holder, &holder, &[]).unwrap();
    f.send(&[close], &[&f.holder]).await.unwrap();

    let event = rejected_to(&f, 0).await;
    assert_eq!(event.refunded_to, source);
    let account = f.usd1.token_account(&source).await.unwrap();
    assert_eq!((account.amount, account.frozen), (50 * ONE, true));
}
