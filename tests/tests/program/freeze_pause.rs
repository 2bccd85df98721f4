//! Freeze and pause: what a frozen account and a paused token can and cannot do.
use anchor_spl::token_2022::spl_token_2022::{error::TokenError, instruction as token_ix};
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::Usd1Error;
use usd1_tests::*;

/// A holder and a wallet with 10 tokens each; the holder is frozen.
async fn frozen_holder(flavor: Flavor) -> (Fixture, Keypair) {
    let f = Fixture::with_reserve(flavor, 1_000 * ONE).await;
    let wallet = f.funded_keypair().await;
    f.fund(&f.holder.pubkey()).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 10 * ONE)
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &wallet.pubkey(), 10 * ONE)
        .await
        .unwrap();
    f.usd1
        .freeze(&f.freezer, &f.usd1.token_account_of(&f.holder.pubkey()))
        .await
        .unwrap();
    (f, wallet)
}

async fn frozen_account_cannot_move_tokens(flavor: Flavor) {
    let (f, wallet) = frozen_holder(flavor).await;
    let before = f.snapshot().await;
    // Transfer from a frozen account.
    let out = f.transfer_ix(&f.holder.pubkey(), &wallet.pubkey(), ONE);
    assert_tx_error(
        f.send(&[out], &[&f.holder]).await,
        token_error(0, TokenError::AccountFrozen),
    );
    // Transfer to a frozen account.
    let into = f.transfer_ix(&wallet.pubkey(), &f.holder.pubkey(), ONE);
    assert_tx_error(
        f.send(&[into], &[&wallet]).await,
        token_error(0, TokenError::AccountFrozen),
    );
    // Mint to a frozen account: the token program refuses inside the CPI.
    let mint = usd1_client::instructions::mint_to(
        &f.minter.pubkey(),
        &f.mint(),
        &f.usd1.token_account_of(&f.holder.pubkey()),
        &f.flavor.program_id(),
        ONE,
    );
    assert_tx_error(
        f.send(&[mint], &[&f.minter]).await,
        token_error(0, TokenError::AccountFrozen),
    );
    assert_eq!(f.snapshot().await, before);
    assert_eq!(f.usd1.balance(&wallet.pubkey()).await.unwrap(), 10 * ONE);

    // Thawed, it moves again.
    f.usd1
        .thaw(&f.freezer, &f.usd1.token_account_of(&f.holder.pubkey()))
        .await
        .unwrap();
    let out = f.transfer_ix(&f.holder.pubkey(), &wallet.pubkey(), ONE);
    f.send(&[out], &[&f.holder]).await.unwrap();
    assert_eq!(f.usd1.balance(&wallet.pubkey()).await.unwrap(), 11 * ONE);
}

#[tokio::test]
async fn fails_when_a_frozen_account_moves_tokens_on_token_2022() {
    frozen_account_cannot_move_tokens(Flavor::Token2022).await;
}

#[tokio::test]
async fn fails_when_a_frozen_account_moves_tokens_on_classic_token() {
    frozen_account_cannot_move_tokens(Flavor::Token).await;
}

#[tokio::test]
async fn fails_when_pausing_twice_or_unpausing_a_running_token() {
    let f = Fixture::new(Flavor::Token2022).await;
    let before = f.snapshot().await;
    assert_usd1_error(f.usd1.unpause(&f.pauser).await, Usd1Error::NotPaused);
    assert_eq!(f.snapshot().await, before);
    f.usd1.pause(&f.pauser).await.unwrap();
    let before = f.snapshot().await;
    assert_usd1_error(f.usd1.pause(&f.pauser).await, Usd1Error::AlreadyPaused);
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn holders_can_still_move_and_burn_while_paused() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    f.fund(&f.holder.pubkey()).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 10 * ONE)
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &f.minter.pubkey(), 10 * ONE)
        .await
        .unwrap();
    f.usd1.pause(&f.pauser).await.unwrap();
    // Without the Pausable extension, a pause stops minting only.
    let wallet = f.funded_keypair().await;
    let create = f.create_account_ix(&wallet.pubkey());
    let out = f.transfer_ix(&f.holder.pubkey(), &wallet.pubkey(), ONE);
    f.send(&[create, out], &[&f.holder]).await.unwrap();
    let burn = token_ix::burn_checked(
        &f.flavor.program_id(),
        &f.usd1.token_account_of(&f.holder.pubkey()),
        &f.mint(),
        &f.holder.pubkey(),
        &[],
        ONE,
        DECIMALS,
    )
    .unwrap();
    f.send(&[burn], &[&f.holder]).await.unwrap();
    // A minter's burn through the program is also allowed while paused.
    f.usd1.burn(&f.minter, ONE).await.unwrap();
    assert_eq!(f.supply().await, 18 * ONE);
}

#[tokio::test]
async fn fails_when_burning_zero_or_from_someone_elses_account() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    f.usd1
        .mint_to(&f.minter, &f.minter.pubkey(), 10 * ONE)
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 10 * ONE)
        .await
        .unwrap();
    let before = f.snapshot().await;
    assert_usd1_error(f.usd1.burn(&f.minter, 0).await, Usd1Error::ZeroAmount);
    let steal = usd1_client::instructions::burn(
        &f.minter.pubkey(),
        &f.mint(),
        &f.usd1.token_account_of(&f.holder.pubkey()),
        &f.flavor.program_id(),
        ONE,
    );
    assert_usd1_error(
        f.send(&[steal], &[&f.minter]).await,
        Usd1Error::WrongTokenOwner,
    );
    assert_eq!(f.snapshot().await, before);
    f.usd1
        .remove_minter(&f.admin, &f.minter.pubkey())
        .await
        .unwrap();
    let before_removed = f.snapshot().await;
    assert_usd1_error(f.usd1.burn(&f.minter, ONE).await, Usd1Error::MinterDisabled);
    assert_eq!(f.snapshot().await, before_removed);
}
