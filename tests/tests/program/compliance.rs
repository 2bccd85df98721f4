//! Token-2022 compliance options chosen at initialize: allowlist mode
//! (default-frozen accounts), seizure through the permanent delegate
//! (SECURITY.md item 14), and pauses that stop transfers (Pausable).
use anchor_lang::error::ErrorCode as AnchorError;
use anchor_spl::token_2022::spl_token_2022::error::TokenError;
use solana_sdk::signature::{Keypair, Signer};
use usd1::events;
use usd1::instructions::InitializeArgs;
use usd1_client::{instructions as ix, Ledger, MintOptions, Usd1, Usd1Error, Usd1Event};
use usd1_tests::*;

#[tokio::test]
async fn fails_when_options_are_asked_of_classic_token() {
    let f = Fixture::bare(Flavor::Token).await;
    for options in [
        MintOptions {
            default_frozen: true,
            ..Default::default()
        },
        MintOptions {
            permanent_delegate: true,
            ..Default::default()
        },
        MintOptions {
            pausable: true,
            ..Default::default()
        },
    ] {
        let mint = Keypair::new();
        let args = InitializeArgs {
            options,
            ..default_init_args()
        };
        let result = Usd1::initialize(
            f.ledger.clone(),
            f.admin.clone(),
            &mint,
            Flavor::Token.program_id(),
            args,
        )
        .await;
        assert_usd1_error(result.map(|_| ()), Usd1Error::OptionsRequireToken2022);
        assert_eq!(f.ledger.get_account(&mint.pubkey()).await.unwrap(), None);
    }
}

#[tokio::test]
async fn allowlist_mode_end_to_end() {
    let options = MintOptions {
        default_frozen: true,
        ..Default::default()
    };
    let f = Fixture::new_with(Flavor::Token2022, options).await;
    let Usd1Event::Initialized(init) = &f.init_events.events[0] else {
        panic!()
    };
    assert_eq!(init.options, options);
    f.attest(10_000 * ONE).await.unwrap();
    let wallet = f.funded_keypair().await;
    let account = f.usd1.token_account_of(&wallet.pubkey());

    // A new wallet account starts frozen: it cannot receive a mint.
    f.send(&[f.create_account_ix(&wallet.pubkey())], &[])
        .await
        .unwrap();
    assert!(f.usd1.token_account(&account).await.unwrap().frozen);
    let before = f.snapshot().await;
    let mint = ix::mint_to(
        &f.minter.pubkey(),
        &f.mint(),
        &account,
        &f.flavor.program_id(),
        ONE,
    );
    assert_tx_error(
        f.send(&[mint], &[&f.minter]).await,
        token_error(0, TokenError::AccountFrozen),
    );
    assert_eq!(f.snapshot().await, before);

    // After KYC the freezer thaws it, and it receives and sends like any account.
    f.usd1.thaw(&f.freezer, &account).await.unwrap();
    f.usd1
        .mint_to(&f.minter, &wallet.pubkey(), 100 * ONE)
        .await
        .unwrap();
    let other = f.funded_keypair().await;
    f.send(&[f.create_account_ix(&other.pubkey())], &[])
        .await
        .unwrap();
    // A transfer to a not-yet-approved wallet fails…
    let to_unapproved = f.transfer_ix(&wallet.pubkey(), &other.pubkey(), ONE);
    assert_tx_error(
        f.send(std::slice::from_ref(&to_unapproved), &[&wallet])
            .await,
        token_error(0, TokenError::AccountFrozen),
    );
    f.usd1
        .thaw(&f.freezer, &f.usd1.token_account_of(&other.pubkey()))
        .await
        .unwrap();
    // …and succeeds once it is approved.
    f.send(&[to_unapproved], &[&wallet]).await.unwrap();
    assert_eq!(f.usd1.balance(&other.pubkey()).await.unwrap(), ONE);

    // The escrow was thawed at initialize, so approved holders can redeem.
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    assert!(
        !f.usd1
            .token_account(&f.usd1.escrow_address())
            .await
            .unwrap()
            .frozen
    );
    f.usd1
        .request_redemption(&wallet, 50 * ONE, [0; 32])
        .await
        .unwrap();
    f.usd1
        .settle_redemption(&f.treasurer, 0, [0; 32])
        .await
        .unwrap();
    assert_eq!(f.supply().await, 50 * ONE);
}

/// A permanent-delegate mint where the holder has 100 tokens and the admin a
/// treasury account.
async fn seizable() -> (Fixture, Keypair) {
    let options = MintOptions {
        permanent_delegate: true,
        ..Default::default()
    };
    let f = Fixture::new_with(Flavor::Token2022, options).await;
    f.attest(10_000 * ONE).await.unwrap();
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 100 * ONE)
        .await
        .unwrap();
    let treasury = f.funded_keypair().await;
    f.send(&[f.create_account_ix(&treasury.pubkey())], &[])
        .await
        .unwrap();
    (f, treasury)
}

#[tokio::test]
async fn seizes_from_a_frozen_account_and_refreezes_it() {
    let (f, treasury) = seizable().await;
    let from = f.usd1.token_account_of(&f.holder.pubkey());
    let to = f.usd1.token_account_of(&treasury.pubkey());
    f.usd1.freeze(&f.freezer, &from).await.unwrap();
    // The seizure cites the court order it carries out.
    let order = usd1_client::sha256(b"court order 26-CV-0042");
    let basis = usd1::instructions::LawfulBasis {
        reason_code: 7,
        order_sha256: order,
    };
    let done = f
        .usd1
        .seize(&f.admin, &from, &to, 60 * ONE, basis)
        .await
        .unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::Seized(events::Seized {
            mint: f.mint(),
            admin: f.admin.pubkey(),
            from,
            to,
            amount: 60 * ONE,
            reason_code: 7,
            order_sha256: order,
            refrozen: true,
        })]
    );
    assert_eq!(f.usd1.balance(&f.holder.pubkey()).await.unwrap(), 40 * ONE);
    assert_eq!(f.usd1.balance(&treasury.pubkey()).await.unwrap(), 60 * ONE);
    assert!(
        f.usd1.token_account(&from).await.unwrap().frozen,
        "the source is frozen again"
    );
    assert_eq!(f.supply().await, 100 * ONE);

    // An unfrozen source stays unfrozen.
    f.usd1.thaw(&f.freezer, &from).await.unwrap();
    let done = f
        .usd1
        .seize(&f.admin, &from, &to, 40 * ONE, 8)
        .await
        .unwrap();
    let Usd1Event::Seized(event) = &done.events[0] else {
        panic!()
    };
    assert!(!event.refrozen);
    assert!(!f.usd1.token_account(&from).await.unwrap().frozen);
}

#[tokio::test]
async fn fails_when_seizing_without_the_option_or_by_a_non_admin() {
    let f = Fixture::with_reserve(Flavor::Token2022, 10_000 * ONE).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 100 * ONE)
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &f.pauser.pubkey(), ONE)
        .await
        .unwrap();
    let from = f.usd1.token_account_of(&f.holder.pubkey());
    let to = f.usd1.token_account_of(&f.pauser.pubkey());
    let before = f.snapshot().await;
    assert_usd1_error(
        f.usd1.seize(&f.admin, &from, &to, ONE, 1).await,
        Usd1Error::SeizeNotEnabled,
    );
    assert_eq!(f.snapshot().await, before);

    let (f, treasury) = seizable().await;
    let from = f.usd1.token_account_of(&f.holder.pubkey());
    let to = f.usd1.token_account_of(&treasury.pubkey());
    let before = f.snapshot().await;
    for impostor in [&f.freezer, &f.pauser, &f.treasurer, &f.holder, &treasury] {
        assert_usd1_error(
            f.usd1.seize(impostor, &from, &to, ONE, 1).await,
            Usd1Error::NotAdmin,
        );
    }
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn fails_when_seizing_from_the_escrow_into_a_frozen_account_or_in_place() {
    let (f, treasury) = seizable().await;
    usd1_tests::redemption::open_to_redemption(&f).await;
    f.usd1
        .request_redemption(&f.holder, 50 * ONE, [0; 32])
        .await
        .unwrap();
    let from = f.usd1.token_account_of(&f.holder.pubkey());
    let to = f.usd1.token_account_of(&treasury.pubkey());
    let before = f.snapshot().await;
    let escrow = f.usd1.escrow_address();
    assert_usd1_error(
        f.usd1.seize(&f.admin, &escrow, &to, ONE, 1).await,
        Usd1Error::EscrowProtected,
    );
    // The same account in both writable slots never reaches the program's checks.
    assert_anchor_error(
        f.usd1.seize(&f.admin, &from, &from, ONE, 1).await,
        AnchorError::ConstraintDuplicateMutableAccount,
    );
    assert_usd1_error(
        f.usd1.seize(&f.admin, &from, &to, 0, 1).await,
        Usd1Error::ZeroAmount,
    );
    assert_eq!(f.snapshot().await, before);
    f.usd1.freeze(&f.freezer, &to).await.unwrap();
    let before = f.snapshot().await;
    assert_usd1_error(
        f.usd1.seize(&f.admin, &from, &to, ONE, 1).await,
        Usd1Error::DestinationFrozen,
    );
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn a_pause_stops_transfers_on_a_pausable_mint() {
    let options = MintOptions {
        pausable: true,
        ..Default::default()
    };
    let f = Fixture::new_with(Flavor::Token2022, options).await;
    f.attest(10_000 * ONE).await.unwrap();
    usd1_tests::redemption::open_to_redemption(&f).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 100 * ONE)
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &f.pauser.pubkey(), ONE)
        .await
        .unwrap();
    let send = f.transfer_ix(&f.holder.pubkey(), &f.pauser.pubkey(), ONE);

    f.usd1.pause(&f.pauser).await.unwrap();
    let before = f.snapshot().await;
    assert_tx_error(
        f.send(std::slice::from_ref(&send), &[&f.holder]).await,
        token_error(0, TokenError::MintPaused),
    );
    // With transfers stopped, a redemption request is refused with a clear error.
    assert_usd1_error(
        f.usd1
            .request_redemption(&f.holder, 50 * ONE, [0; 32])
            .await,
        Usd1Error::TransfersPaused,
    );
    assert_eq!(f.snapshot().await, before);

    f.usd1.unpause(&f.pauser).await.unwrap();
    f.send(&[send], &[&f.holder]).await.unwrap();
    assert_eq!(f.usd1.balance(&f.pauser.pubkey()).await.unwrap(), 2 * ONE);
}

/// Issue 11's choice, item 11: on a pausable mint, Token-2022 refuses a
/// holder's own burn while paused too (the program cannot exempt holders
/// without lifting the pause for everyone); the disclosure says so, in the
/// program's words, and the burn works again after the pause.
#[tokio::test]
async fn on_a_pausable_mint_a_pause_stops_holder_burns_and_the_disclosure_says_so() {
    use anchor_spl::token_2022::spl_token_2022::instruction::burn_checked;
    let options = MintOptions {
        pausable: true,
        ..Default::default()
    };
    let f = Fixture::new_with(Flavor::Token2022, options).await;
    f.attest(10_000 * ONE).await.unwrap();
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    assert_eq!(
        f.usd1.disclosure().await.unwrap().pause_statement,
        usd1::constants::PAUSE_STATEMENT_PAUSABLE
    );
    f.fund(&f.holder.pubkey()).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 100 * ONE)
        .await
        .unwrap();
    let holder = f.holder.pubkey();
    let burn = burn_checked(
        &f.flavor.program_id(),
        &f.usd1.token_account_of(&holder),
        &f.mint(),
        &holder,
        &[],
        ONE,
        DECIMALS,
    )
    .unwrap();

    f.usd1.pause(&f.pauser).await.unwrap();
    let before = f.snapshot().await;
    let refused = f.send(std::slice::from_ref(&burn), &[&f.holder]).await;
    assert_tx_error(refused, token_error(0, TokenError::MintPaused));
    assert_eq!(f.snapshot().await, before);

    f.usd1.unpause(&f.pauser).await.unwrap();
    f.send(&[burn], &[&f.holder]).await.unwrap();
    assert_eq!(f.usd1.balance(&holder).await.unwrap(), 99 * ONE);
    assert_eq!(f.supply().await, 99 * ONE);
}

#[tokio::test]
async fn without_the_extension_the_disclosure_promises_transfers_and_burns_during_a_pause() {
    let f = Fixture::new(Flavor::Token2022).await;
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    assert_eq!(
        f.usd1.disclosure().await.unwrap().pause_statement,
        usd1::constants::PAUSE_STATEMENT_DEFAULT
    );
}

#[tokio::test]
async fn a_pause_leaves_transfers_alone_without_the_extension() {
    let f = Fixture::with_reserve(Flavor::Token2022, 10_000 * ONE).await;
    f.fund(&f.holder.pubkey()).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 100 * ONE)
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &f.pauser.pubkey(), ONE)
        .await
        .unwrap();
    f.usd1.pause(&f.pauser).await.unwrap();
    f.send(
        &[f.transfer_ix(&f.holder.pubkey(), &f.pauser.pubkey(), ONE)],
        &[&f.holder],
    )
    .await
    .unwrap();
    assert_eq!(f.usd1.balance(&f.pauser.pubkey()).await.unwrap(), 2 * ONE);
}

#[tokio::test]
async fn all_options_together() {
    let options = MintOptions {
        default_frozen: true,
        permanent_delegate: true,
        pausable: true,
    };
    let f = Fixture::new_with(Flavor::Token2022, options).await;
    assert_eq!(f.usd1.config().await.unwrap().options(), options);
    f.attest(10_000 * ONE).await.unwrap();
    let account = f.usd1.token_account_of(&f.holder.pubkey());
    f.send(&[f.create_account_ix(&f.holder.pubkey())], &[])
        .await
        .unwrap();
    f.usd1.thaw(&f.freezer, &account).await.unwrap();
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 10 * ONE)
        .await
        .unwrap();
    f.usd1.freeze(&f.freezer, &account).await.unwrap();
    let treasury = f.funded_keypair().await;
    f.send(&[f.create_account_ix(&treasury.pubkey())], &[])
        .await
        .unwrap();
    let to = f.usd1.token_account_of(&treasury.pubkey());
    f.usd1.thaw(&f.freezer, &to).await.unwrap();
    f.usd1
        .seize(&f.admin, &account, &to, 10 * ONE, 3)
        .await
        .unwrap();
    assert_eq!(f.usd1.balance(&treasury.pubkey()).await.unwrap(), 10 * ONE);
    f.usd1.thaw(&f.freezer, &account).await.unwrap();
    f.usd1.pause(&f.pauser).await.unwrap();
    let before = f.snapshot().await;
    assert_usd1_error(
        f.usd1.seize(&f.admin, &to, &account, ONE, 3).await,
        Usd1Error::TransfersPaused,
    );
    assert_eq!(f.snapshot().await, before);
}
