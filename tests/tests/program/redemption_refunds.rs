//! A rejected redemption always refunds: to a closed source's new associated
//! account, to a frozen source (kept frozen), to one that requires memos, and
//! on an allowlist mint.
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token_2022::spl_token_2022::{error::TokenError, instruction as token_ix};
use solana_sdk::signature::{Keypair, Signer};
use usd1::events;
use usd1_client::{instructions as ix, Ledger, Usd1Error, Usd1Event};
use usd1_tests::*;

use usd1_tests::redemption::{funded_holder, refused};

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

        let treasurer_lamports = f.backend.banks_client.get_balance(f.treasurer.pubkey());
        let treasurer_lamports = treasurer_lamports.await.unwrap();
        let event = rejected_to(&f, 0).await;
        assert_eq!(event.refunded_to, source, "recreated at the same address");
        assert_eq!(f.usd1.balance(&holder).await.unwrap(), 1_000 * ONE);
        assert!(
            f.backend
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
    usd1_tests::redemption::open_to_redemption(&f).await;
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
