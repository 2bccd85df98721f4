//! The redemption queue refusing (SECURITY.md items 9 and 10): below the
//! minimum, before a disclosure, a frozen holder, out of turn, a stranger as
//! treasurer, a foreign refund account, draining the escrow, another mint's
//! record, freezing the escrow — each its exact error, nothing changed.
use anchor_lang::error::ErrorCode as AnchorError;
use anchor_spl::token_2022::spl_token_2022::{error::TokenError, instruction as token_ix};
use solana_sdk::instruction::InstructionError;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::TransactionError;
use usd1_client::{instructions as ix, pda, RedemptionStatus, Usd1Error};
use usd1_tests::*;

use usd1_tests::redemption::{funded_holder, refused, with_pending_request};

#[tokio::test]
async fn fails_when_below_the_disclosed_minimum_or_zero() {
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
async fn fails_when_no_disclosure_is_published() {
    let f = Fixture::with_reserve(Flavor::Token2022, 10_000 * ONE).await;
    f.fund(&f.holder.pubkey()).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 100 * ONE)
        .await
        .unwrap();
    let before = f.snapshot().await;
    // Redemptions have no terms without a disclosure: the account does not
    // exist, so it has no discriminator (the request reads the disclosure
    // field by field, through Anchor's LazyAccount, which checks that first).
    assert_anchor_error(
        f.usd1
            .request_redemption(&f.holder, 50 * ONE, [0; 32])
            .await,
        AnchorError::AccountDiscriminatorNotFound,
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
    let f = with_pending_request(Flavor::Token2022).await;
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
    let f = with_pending_request(Flavor::Token2022).await;
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
    let f = with_pending_request(Flavor::Token2022).await;
    f.usd1
        .mint_to(&f.minter, &f.pauser.pubkey(), ONE)
        .await
        .unwrap();
    let before = f.snapshot().await;
    let thief = f.usd1.token_account_of(&f.pauser.pubkey());
    // Another token account with the real holder named; then another
    // "holder", so that the thief's account passes as its associated one.
    for named in [f.holder.pubkey(), f.pauser.pubkey()] {
        let reject = ix::reject_redemption(
            &f.treasurer.pubkey(),
            &f.mint(),
            &f.flavor.program_id(),
            0,
            &named,
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
}

#[tokio::test]
async fn fails_when_anyone_drains_the_escrow_directly() {
    let f = with_pending_request(Flavor::Token2022).await;
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
async fn fails_when_given_a_redemption_of_another_mint() {
    let f = with_pending_request(Flavor::Token2022).await;
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
    assert_usd1_error(
        f.send(&[settle], &[&f.treasurer]).await,
        Usd1Error::WrongConfig,
    );
    assert_eq!(f.snapshot().await, before);
    assert_eq!(
        other.redemption(0).await.unwrap().status,
        RedemptionStatus::Pending
    );
}

/// The escrow is named by the Config (`has_one = escrow`), not derived again:
/// another token account of the same mint in its place, a decoy the caller
/// controls, is refused by request, settle and reject alike.
#[tokio::test]
async fn fails_when_another_token_account_stands_in_for_the_escrow() {
    for flavor in [Flavor::Token2022, Flavor::Token] {
        let f = with_pending_request(flavor).await;
        f.usd1
            .mint_to(&f.minter, &f.minter.pubkey(), ONE)
            .await
            .unwrap();
        let decoy = f.usd1.token_account_of(&f.minter.pubkey());
        let escrow = f.usd1.escrow_address();
        let with_decoy = |mut ix: solana_sdk::instruction::Instruction| {
            let slot = ix.accounts.iter_mut().find(|a| a.pubkey == escrow);
            slot.expect("the instruction names the escrow").pubkey = decoy;
            ix
        };
        let program = f.flavor.program_id();
        let holder = f.holder.pubkey();
        let source = f.usd1.token_account_of(&holder);
        let before = f.snapshot().await;
        let request =
            ix::request_redemption(&holder, &f.mint(), &source, &program, 1, 50 * ONE, [1; 32]);
        assert_usd1_error(
            f.send(&[with_decoy(request)], &[&f.holder]).await,
            Usd1Error::WrongEscrow,
        );
        let settle = ix::settle_redemption(&f.treasurer.pubkey(), &f.mint(), &program, 0, [2; 32]);
        assert_usd1_error(
            f.send(&[with_decoy(settle)], &[&f.treasurer]).await,
            Usd1Error::WrongEscrow,
        );
        let reject = ix::reject_redemption(
            &f.treasurer.pubkey(),
            &f.mint(),
            &program,
            0,
            &holder,
            &source,
            3,
        );
        assert_usd1_error(
            f.send(&[with_decoy(reject)], &[&f.treasurer]).await,
            Usd1Error::WrongEscrow,
        );
        assert_eq!(f.snapshot().await, before, "{flavor:?}");
        assert_eq!(
            f.usd1.redemption(0).await.unwrap().status,
            RedemptionStatus::Pending
        );
    }
}

// --- Escrow denial (SECURITY.md item 18): nothing the freezer or a holder
// does stops the queue or keeps a rejected request's tokens in escrow. ---

#[tokio::test]
async fn fails_when_the_freezer_freezes_the_escrow() {
    for flavor in [Flavor::Token2022, Flavor::Token] {
        let f = with_pending_request(flavor).await;
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
