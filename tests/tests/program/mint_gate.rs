//! The mint gate (SECURITY.md item 8): every refusal asserts its exact error
//! and that supply, balances, allowances and config did not change.
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1::events;
use usd1::instructions::PolicyArgs;
use usd1_client::{Usd1Error, Usd1Event};
use usd1_tests::*;

async fn refused_mint(f: &Fixture, amount: u64, expected: Usd1Error) {
    let before = f.snapshot().await;
    assert_usd1_error(
        f.usd1.mint_to(&f.minter, &f.holder.pubkey(), amount).await,
        expected,
    );
    assert_eq!(
        f.snapshot().await,
        before,
        "state changed on a refused mint"
    );
}

#[tokio::test]
async fn mints_exactly_up_to_the_margin_adjusted_reserve() {
    let f = Fixture::new(Flavor::Token2022).await;
    f.usd1
        .set_policy(
            &f.admin,
            PolicyArgs {
                margin_bps: Some(250),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    f.attest(1_000 * ONE).await.unwrap();
    // 1,000 × (10,000 − 250) / 10,000 = 975.
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 900 * ONE)
        .await
        .unwrap();
    let done = f
        .usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 75 * ONE)
        .await
        .unwrap();
    let Usd1Event::Minted(event) = &done.events[0] else {
        panic!("{:?}", done.events)
    };
    assert_eq!(event.supply, 975 * ONE);
    assert_eq!(event.margin_bps, 250);
    assert_eq!(f.supply().await, 975 * ONE);
}

#[tokio::test]
async fn fails_when_above_the_reserve_after_margin() {
    let f = Fixture::new(Flavor::Token2022).await;
    f.usd1
        .set_policy(
            &f.admin,
            PolicyArgs {
                margin_bps: Some(250),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    f.attest(1_000 * ONE).await.unwrap();
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 975 * ONE)
        .await
        .unwrap();
    refused_mint(&f, 1, Usd1Error::ReserveExceeded).await;
}

#[tokio::test]
async fn rounds_the_ceiling_down() {
    let f = Fixture::new(Flavor::Token2022).await;
    f.usd1
        .set_policy(
            &f.admin,
            PolicyArgs {
                margin_bps: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // 3 × 9,999 / 10,000 = 2.9997 → 2 base units.
    f.attest(3).await.unwrap();
    refused_mint(&f, 3, Usd1Error::ReserveExceeded).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 2)
        .await
        .unwrap();
}

#[tokio::test]
async fn fails_when_above_the_reserve_on_classic_token() {
    let f = Fixture::with_reserve(Flavor::Token, 10 * ONE).await;
    refused_mint(&f, 10 * ONE + 1, Usd1Error::ReserveExceeded).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 10 * ONE)
        .await
        .unwrap();
}

#[tokio::test]
async fn fails_when_the_attestation_is_stale() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    let config = f.usd1.config().await.unwrap();
    let age_now = f.now().await - config.latest.as_of;
    // Exactly at the maximum age is still fresh.
    f.advance_clock(config.max_attestation_age - age_now).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), ONE)
        .await
        .unwrap();
    f.advance_clock(1).await;
    refused_mint(&f, ONE, Usd1Error::StaleAttestation).await;
    // A fresh attestation opens the gate again.
    f.attest(1_000 * ONE).await.unwrap();
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), ONE)
        .await
        .unwrap();
}

#[tokio::test]
async fn fails_when_a_shorter_max_age_makes_the_attestation_stale() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    f.advance_clock(120).await;
    f.usd1
        .set_policy(
            &f.admin,
            PolicyArgs {
                max_attestation_age: Some(60),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    refused_mint(&f, ONE, Usd1Error::StaleAttestation).await;
}

#[tokio::test]
async fn fails_when_there_is_no_attestation_yet() {
    let f = Fixture::new(Flavor::Token2022).await;
    refused_mint(&f, ONE, Usd1Error::NoAttestation).await;
}

#[tokio::test]
async fn fails_when_paused() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    f.usd1.pause(&f.pauser).await.unwrap();
    refused_mint(&f, ONE, Usd1Error::Paused).await;
    f.usd1.unpause(&f.pauser).await.unwrap();
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), ONE)
        .await
        .unwrap();
}

#[tokio::test]
async fn fails_when_the_allowance_is_exceeded() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    f.usd1
        .configure_minter(&f.admin, &f.minter.pubkey(), 10 * ONE)
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 6 * ONE)
        .await
        .unwrap();
    refused_mint(&f, 4 * ONE + 1, Usd1Error::AllowanceExceeded).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 4 * ONE)
        .await
        .unwrap();
    assert_eq!(f.allowance().await, 0);
    refused_mint(&f, 1, Usd1Error::AllowanceExceeded).await;
}

#[tokio::test]
async fn fails_when_the_amount_is_zero() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    refused_mint(&f, 0, Usd1Error::ZeroAmount).await;
}

#[tokio::test]
async fn fails_when_the_amount_is_u64_max() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    refused_mint(&f, u64::MAX, Usd1Error::AllowanceExceeded).await;
    f.usd1
        .configure_minter(&f.admin, &f.minter.pubkey(), u64::MAX)
        .await
        .unwrap();
    refused_mint(&f, u64::MAX, Usd1Error::ReserveExceeded).await;
}

#[tokio::test]
async fn fails_when_supply_plus_amount_overflows() {
    let f = Fixture::with_reserve(Flavor::Token2022, u64::MAX).await;
    f.usd1
        .configure_minter(&f.admin, &f.minter.pubkey(), u64::MAX)
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), ONE)
        .await
        .unwrap();
    f.usd1
        .configure_minter(&f.admin, &f.minter.pubkey(), u64::MAX)
        .await
        .unwrap();
    refused_mint(&f, u64::MAX, Usd1Error::Overflow).await;
    refused_mint(&f, u64::MAX - ONE + 1, Usd1Error::Overflow).await;
}

#[tokio::test]
async fn fails_when_the_minter_was_removed() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    f.usd1
        .remove_minter(&f.admin, &f.minter.pubkey())
        .await
        .unwrap();
    refused_mint(&f, ONE, Usd1Error::MinterDisabled).await;
}

#[tokio::test]
async fn a_lower_reserve_blocks_further_mints() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 800 * ONE)
        .await
        .unwrap();
    f.attest(700 * ONE).await.unwrap();
    refused_mint(&f, 1, Usd1Error::ReserveExceeded).await;
    // A higher reserve reopens exactly the room above the supply.
    f.attest(900 * ONE).await.unwrap();
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 100 * ONE)
        .await
        .unwrap();
    refused_mint(&f, 1, Usd1Error::ReserveExceeded).await;
}

/// The attestors signed of the set in force: replacing the set retires the
/// live attestation, so no mint rides on a figure the new set never signed.
#[tokio::test]
async fn fails_when_the_attestor_set_was_replaced_until_the_new_set_attests() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    let fresh: Vec<Keypair> = (0..2).map(|_| Keypair::new()).collect();
    let keys: Vec<Pubkey> = fresh.iter().map(|k| k.pubkey()).collect();
    let done = f
        .usd1
        .set_attestors(&f.admin, keys.clone(), 2, false)
        .await
        .unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::AttestorsChanged(events::AttestorsChanged {
            mint: f.mint(),
            admin: f.admin.pubkey(),
            attestors: keys.clone(),
            threshold: 2,
            attestor_epoch: 2,
            keep_latest: false,
            retired_seq: 1,
        })]
    );
    assert!(f.usd1.config().await.unwrap().is_latest_retired());
    refused_mint(&f, ONE, Usd1Error::AttestationRetired).await;

    // A second change while retired retires nothing new.
    let done = f
        .usd1
        .set_attestors(&f.admin, keys[..1].to_vec(), 1, false)
        .await
        .unwrap();
    let Usd1Event::AttestorsChanged(event) = &done.events[0] else {
        panic!("{:?}", done.events)
    };
    assert_eq!(event.retired_seq, 0);
    refused_mint(&f, ONE, Usd1Error::AttestationRetired).await;

    // The new set's first attestation brings minting back.
    let args = f.next_args(1_000 * ONE).await;
    f.usd1.attest(args, &[&fresh[0]]).await.unwrap();
    assert!(!f.usd1.config().await.unwrap().is_latest_retired());
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), ONE)
        .await
        .unwrap();
}

#[tokio::test]
async fn keep_latest_keeps_the_live_attestation_in_service() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    let mut keys: Vec<Pubkey> = f.attestors.iter().map(|k| k.pubkey()).collect();
    keys.push(Pubkey::new_unique());
    let done = f
        .usd1
        .set_attestors(&f.admin, keys.clone(), 2, true)
        .await
        .unwrap();
    let Usd1Event::AttestorsChanged(event) = &done.events[0] else {
        panic!("{:?}", done.events)
    };
    assert_eq!((event.keep_latest, event.retired_seq), (true, 0));
    assert!(!f.usd1.config().await.unwrap().is_latest_retired());
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), ONE)
        .await
        .unwrap();
}
