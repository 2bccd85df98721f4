//! The admin's configuration changes (SECURITY.md items 1 and 11): the
//! attestor set, the policy and minters, each checked and emitting its event;
//! the old admin keeping no role after a transfer; cancelling a proposal.
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use usd1::events;
use usd1::instructions::PolicyArgs;
use usd1_client::{Role, Usd1Error, Usd1Event};
use usd1_tests::*;

#[tokio::test]
async fn set_attestors_emits_and_bumps_the_epoch() {
    let f = Fixture::new(Flavor::Token2022).await;
    let keys: Vec<Pubkey> = (0..8).map(|_| Pubkey::new_unique()).collect();
    let done = f
        .usd1
        .set_attestors(&f.admin, keys.clone(), 5, false)
        .await
        .unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::AttestorsChanged(events::AttestorsChanged {
            mint: f.mint(),
            admin: f.admin.pubkey(),
            attestors: keys.clone(),
            threshold: 5,
            attestor_epoch: 2,
            keep_latest: false,
            retired_seq: 0,
        })]
    );
    let config = f.usd1.config().await.unwrap();
    assert_eq!(config.attestors(), keys.as_slice());
    assert_eq!((config.threshold, config.attestor_epoch), (5, 2));
    // Shrinking the set clears the slots it no longer uses.
    f.usd1
        .set_attestors(&f.admin, keys[..2].to_vec(), 1, false)
        .await
        .unwrap();
    let config = f.usd1.config().await.unwrap();
    assert_eq!(config.attestor_count, 2);
    assert!(config.attestors[2..]
        .iter()
        .all(|k| *k == Pubkey::default()));
}

#[tokio::test]
async fn fails_when_the_attestor_set_is_invalid() {
    let f = Fixture::new(Flavor::Token2022).await;
    let keys: Vec<Pubkey> = f.attestors.iter().map(|k| k.pubkey()).collect();
    let before = f.snapshot().await;
    let cases: Vec<(Vec<Pubkey>, u8, Usd1Error)> = vec![
        // Removing attestors below the threshold M.
        (keys[..1].to_vec(), 2, Usd1Error::InvalidThreshold),
        (keys.clone(), 4, Usd1Error::InvalidThreshold),
        (keys.clone(), 0, Usd1Error::InvalidThreshold),
        (vec![], 1, Usd1Error::InvalidAttestorCount),
        (
            (0..9).map(|_| Pubkey::new_unique()).collect(),
            1,
            Usd1Error::InvalidAttestorCount,
        ),
        (
            vec![keys[0], keys[1], keys[0]],
            2,
            Usd1Error::DuplicateAttestor,
        ),
        (
            vec![keys[0], Pubkey::default()],
            1,
            Usd1Error::DefaultPubkey,
        ),
        (keys.clone(), THRESHOLD, Usd1Error::NoChange),
    ];
    for (set, threshold, expected) in cases {
        assert_usd1_error(
            f.usd1.set_attestors(&f.admin, set, threshold, false).await,
            expected,
        );
    }
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn set_policy_emits_and_validates() {
    let f = Fixture::new(Flavor::Token2022).await;
    let done = f
        .usd1
        .set_policy(
            &f.admin,
            PolicyArgs {
                max_attestation_age: Some(3_600),
                margin_bps: Some(100),
                max_submission_delay: Some(600),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::PolicyChanged(events::PolicyChanged {
            mint: f.mint(),
            admin: f.admin.pubkey(),
            max_attestation_age: 3_600,
            margin_bps: 100,
            max_submission_delay: 600,
        })]
    );
    let before = f.snapshot().await;
    let limit = usd1::constants::MAX_ATTESTATION_AGE_LIMIT;
    let cases = [
        (
            PolicyArgs {
                max_attestation_age: Some(0),
                margin_bps: None,
                max_submission_delay: None,
            },
            Usd1Error::InvalidMaxAge,
        ),
        (
            PolicyArgs {
                max_attestation_age: Some(-5),
                margin_bps: None,
                max_submission_delay: None,
            },
            Usd1Error::InvalidMaxAge,
        ),
        (
            PolicyArgs {
                max_attestation_age: Some(limit + 1),
                margin_bps: None,
                max_submission_delay: None,
            },
            Usd1Error::InvalidMaxAge,
        ),
        (
            PolicyArgs {
                max_attestation_age: None,
                margin_bps: Some(10_001),
                max_submission_delay: None,
            },
            Usd1Error::InvalidMargin,
        ),
        (
            PolicyArgs {
                max_attestation_age: None,
                margin_bps: None,
                max_submission_delay: None,
            },
            Usd1Error::NoChange,
        ),
        (
            PolicyArgs {
                max_attestation_age: Some(3_600),
                margin_bps: Some(100),
                max_submission_delay: Some(600),
            },
            Usd1Error::NoChange,
        ),
        (
            PolicyArgs {
                max_submission_delay: Some(0),
                ..PolicyArgs::default()
            },
            Usd1Error::InvalidSubmissionDelay,
        ),
        (
            PolicyArgs {
                max_submission_delay: Some(usd1::constants::MAX_SUBMISSION_DELAY_LIMIT + 1),
                ..PolicyArgs::default()
            },
            Usd1Error::InvalidSubmissionDelay,
        ),
    ];
    for (args, expected) in cases {
        assert_usd1_error(f.usd1.set_policy(&f.admin, args).await, expected);
    }
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn minters_are_configured_and_removed_with_events() {
    let f = Fixture::new(Flavor::Token2022).await;
    let mint = f.mint();
    let second = Pubkey::new_unique();
    let done = f
        .usd1
        .configure_minter(&f.admin, &second, 50 * ONE)
        .await
        .unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::MinterConfigured(events::MinterConfigured {
            mint,
            admin: f.admin.pubkey(),
            minter: second,
            previous_allowance: 0,
            allowance: 50 * ONE,
            window_secs: 0,
            window_cap: 0,
        })]
    );
    let done = f
        .usd1
        .configure_minter(&f.admin, &second, 20 * ONE)
        .await
        .unwrap();
    let Usd1Event::MinterConfigured(event) = &done.events[0] else {
        panic!()
    };
    assert_eq!(
        (event.previous_allowance, event.allowance),
        (50 * ONE, 20 * ONE)
    );

    let done = f.usd1.remove_minter(&f.admin, &second).await.unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::MinterRemoved(events::MinterRemoved {
            mint,
            admin: f.admin.pubkey(),
            minter: second,
            forfeited_allowance: 20 * ONE,
        })]
    );
    let record = f.usd1.minter_allowance(&second).await.unwrap();
    assert!(!record.is_enabled());
    assert_eq!(record.allowance, 0);

    let before = f.snapshot().await;
    assert_usd1_error(
        f.usd1.remove_minter(&f.admin, &second).await,
        Usd1Error::NoChange,
    );
    assert_usd1_error(
        f.usd1
            .configure_minter(&f.admin, &f.minter.pubkey(), MINTER_ALLOWANCE)
            .await,
        Usd1Error::NoChange,
    );
    assert_usd1_error(
        f.usd1
            .configure_minter(&f.admin, &Pubkey::default(), 1)
            .await,
        Usd1Error::DefaultPubkey,
    );
    assert_eq!(f.snapshot().await, before);
    // A removed minter can be enabled again.
    f.usd1.configure_minter(&f.admin, &second, 1).await.unwrap();
    assert!(f.usd1.minter_allowance(&second).await.unwrap().is_enabled());
}

/// SECURITY.md item 17: `init` gives the admin every role; after a two-step
/// transfer the old admin keeps none of them.
#[tokio::test]
async fn the_old_admin_keeps_no_role_after_an_admin_transfer() {
    let f = Fixture::bare(Flavor::Token2022).await;
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .unwrap();
    f.usd1
        .set_attestors(&f.admin, vec![f.attestors[0].pubkey()], 1, false)
        .await
        .unwrap();
    f.usd1
        .configure_minter(&f.admin, &f.minter.pubkey(), MINTER_ALLOWANCE)
        .await
        .unwrap();
    let args = f.next_args(1_000 * ONE).await;
    f.usd1.attest(args, &f.signers(1)).await.unwrap();
    f.fund(&f.holder.pubkey()).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 100 * ONE)
        .await
        .unwrap();
    f.usd1
        .request_redemption(&f.holder, 10 * ONE, [0; 32])
        .await
        .unwrap();
    // The admin passed the pauser role on earlier; freezer and treasurer it still holds.
    let pauser = f.pauser.pubkey();
    f.usd1
        .set_role(&f.admin, Role::Pauser, &pauser)
        .await
        .unwrap();

    let old = f.admin.pubkey();
    let next = f.funded_keypair().await;
    f.usd1
        .propose_admin(&f.admin, &next.pubkey())
        .await
        .unwrap();
    let done = f.usd1.accept_admin(&next).await.unwrap();
    let mint = f.mint();
    let changed = |role| {
        Usd1Event::RoleChanged(events::RoleChanged {
            mint,
            admin: next.pubkey(),
            role,
            previous: old,
            holder: next.pubkey(),
        })
    };
    assert_eq!(
        done.events,
        vec![
            Usd1Event::AdminAccepted(events::AdminAccepted {
                mint,
                previous: old,
                admin: next.pubkey()
            }),
            changed(Role::Freezer),
            changed(Role::Treasurer),
        ]
    );
    let config = f.usd1.config().await.unwrap();
    assert_eq!(
        (
            config.admin,
            config.pauser,
            config.freezer,
            config.treasurer
        ),
        (next.pubkey(), pauser, next.pubkey(), next.pubkey())
    );

    // The old admin can no longer freeze, settle or reject; nothing changes when it tries.
    let before = f.snapshot().await;
    let holder_account = f.usd1.token_account_of(&f.holder.pubkey());
    assert_usd1_error(
        f.usd1.freeze(&f.admin, &holder_account).await,
        Usd1Error::NotFreezer,
    );
    assert_usd1_error(
        f.usd1.settle_redemption(&f.admin, 0, [0; 32]).await,
        Usd1Error::NotTreasurer,
    );
    assert_usd1_error(
        f.usd1.reject_redemption(&f.admin, 0, 1).await,
        Usd1Error::NotTreasurer,
    );
    assert_usd1_error(f.usd1.pause(&f.admin).await, Usd1Error::NotPauser);
    assert_eq!(f.snapshot().await, before);
    // The new admin holds them.
    f.usd1.freeze(&next, &holder_account).await.unwrap();
    f.usd1.reject_redemption(&next, 0, 1).await.unwrap();
}

/// Issue 14, item 4: the admin withdraws a pending proposal; the proposed key
/// can then no longer accept, and nothing is left to cancel.
#[tokio::test]
async fn the_admin_cancels_a_pending_admin_proposal() {
    let f = Fixture::new(Flavor::Token2022).await;
    let proposed = f.funded_keypair().await;
    f.usd1
        .propose_admin(&f.admin, &proposed.pubkey())
        .await
        .unwrap();
    let before = f.snapshot().await;
    assert_usd1_error(
        f.usd1.cancel_admin_proposal(&proposed).await,
        Usd1Error::NotAdmin,
    );
    assert_eq!(f.snapshot().await, before);
    let done = f.usd1.cancel_admin_proposal(&f.admin).await.unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::AdminProposalCancelled(
            events::AdminProposalCancelled {
                mint: f.mint(),
                admin: f.admin.pubkey(),
                cancelled: proposed.pubkey(),
            }
        )]
    );
    assert_eq!(
        f.usd1.config().await.unwrap().pending_admin,
        Pubkey::default()
    );
    let before = f.snapshot().await;
    assert_usd1_error(
        f.usd1.accept_admin(&proposed).await,
        Usd1Error::NotPendingAdmin,
    );
    assert_usd1_error(
        f.usd1.cancel_admin_proposal(&f.admin).await,
        Usd1Error::NoAdminProposal,
    );
    assert_eq!(f.snapshot().await, before);
}
