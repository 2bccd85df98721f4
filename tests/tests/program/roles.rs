//! Roles and their powers (SECURITY.md items 1 and 11): every privileged
//! instruction refuses the wrong signer and a missing signature; the admin
//! transfer is two-step; role changes are checked and emit their event.
//! Attestor, policy and minter changes, and what an admin transfer leaves
//! behind, are in `roles_config.rs`.
use anchor_lang::error::ErrorCode as AnchorError;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1::events;
use usd1::instructions::PolicyArgs;
use usd1_client::{instructions as ix, Role, Usd1Error, Usd1Event};
use usd1_tests::*;

/// Who must sign a privileged instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holder {
    Admin,
    PendingAdmin,
    Pauser,
    Freezer,
    Treasurer,
}

/// Each privileged instruction, built for a given signer, with its role and
/// the error any other signer gets.
fn privileged(f: &Fixture, signer: &Pubkey) -> Vec<(&'static str, Instruction, Holder, Usd1Error)> {
    let mint = f.mint();
    let tp = f.flavor.program_id();
    let account = f.usd1.token_account_of(&f.holder.pubkey());
    let other = f.usd1.token_account_of(&f.minter.pubkey());
    let unique = Pubkey::new_unique();
    let policy = PolicyArgs {
        margin_bps: Some(7),
        ..Default::default()
    };
    use Holder::*;
    vec![
        (
            "propose_admin",
            ix::propose_admin(signer, &mint, &unique),
            Admin,
            Usd1Error::NotAdmin,
        ),
        (
            "set_role",
            ix::set_role(signer, &mint, Role::Pauser, &unique),
            Admin,
            Usd1Error::NotAdmin,
        ),
        (
            "configure_minter",
            ix::configure_minter(signer, &mint, &f.minter.pubkey(), allowance(1)),
            Admin,
            Usd1Error::NotAdmin,
        ),
        (
            "remove_minter",
            ix::remove_minter(signer, &mint, &f.minter.pubkey()),
            Admin,
            Usd1Error::NotAdmin,
        ),
        (
            "set_attestors",
            ix::set_attestors(signer, &mint, vec![unique], 1, false),
            Admin,
            Usd1Error::NotAdmin,
        ),
        (
            "set_policy",
            ix::set_policy(signer, &mint, policy),
            Admin,
            Usd1Error::NotAdmin,
        ),
        (
            "set_disclosure",
            ix::set_disclosure(signer, &mint, default_disclosure()),
            Admin,
            Usd1Error::NotAdmin,
        ),
        (
            "seize",
            ix::seize(signer, &mint, &account, &other, &tp, 1, 0.into()),
            Admin,
            Usd1Error::NotAdmin,
        ),
        (
            "pause",
            ix::pause(signer, &mint, &tp),
            Pauser,
            Usd1Error::NotPauser,
        ),
        (
            "unpause",
            ix::unpause(signer, &mint, &tp),
            Pauser,
            Usd1Error::NotPauser,
        ),
        (
            "freeze",
            ix::freeze(signer, &mint, &account, &tp, 0.into()),
            Freezer,
            Usd1Error::NotFreezer,
        ),
        (
            "thaw",
            ix::thaw(signer, &mint, &account, &tp, 0.into()),
            Freezer,
            Usd1Error::NotFreezer,
        ),
        (
            "settle_redemption",
            ix::settle_redemption(signer, &mint, &tp, 0, [0; 32]),
            Treasurer,
            Usd1Error::NotTreasurer,
        ),
        (
            "reject_redemption",
            ix::reject_redemption(signer, &mint, &tp, 0, &f.holder.pubkey(), &account, 1),
            Treasurer,
            Usd1Error::NotTreasurer,
        ),
        (
            "accept_admin",
            ix::accept_admin(signer, &mint),
            PendingAdmin,
            Usd1Error::NotPendingAdmin,
        ),
    ]
}

/// A fixture whose admin is not the fee payer, with tokens on two accounts, a
/// pending redemption (id 0) and a pending admin proposal (to the treasurer).
async fn fixture_with_separate_admin() -> (Fixture, Keypair) {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    usd1_tests::redemption::open_to_redemption(&f).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), 100 * ONE)
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &f.minter.pubkey(), ONE)
        .await
        .unwrap();
    f.usd1
        .request_redemption(&f.holder, 10 * ONE, [0; 32])
        .await
        .unwrap();
    let admin = f.funded_keypair().await;
    f.usd1
        .propose_admin(&f.admin, &admin.pubkey())
        .await
        .unwrap();
    f.usd1.accept_admin(&admin).await.unwrap();
    f.usd1
        .propose_admin(&admin, &f.treasurer.pubkey())
        .await
        .unwrap();
    (f, admin)
}

fn holder_key(f: &Fixture, admin: &Keypair, holder: Holder) -> Pubkey {
    match holder {
        Holder::Admin => admin.pubkey(),
        Holder::PendingAdmin | Holder::Treasurer => f.treasurer.pubkey(),
        Holder::Pauser => f.pauser.pubkey(),
        Holder::Freezer => f.freezer.pubkey(),
    }
}

#[tokio::test]
async fn fails_when_signed_by_the_wrong_role() {
    let (f, admin) = fixture_with_separate_admin().await;
    // Strangers, and holders of the other roles, are all refused.
    let stranger = f.funded_keypair().await;
    for wrong in [
        &stranger,
        &f.pauser,
        &f.freezer,
        &f.minter,
        &f.treasurer,
        &f.holder,
        &admin,
    ] {
        for (name, instruction, holder, expected) in privileged(&f, &wrong.pubkey()) {
            if holder_key(&f, &admin, holder) == wrong.pubkey() {
                continue;
            }
            let before = f.snapshot().await;
            let result = f.send(&[instruction], &[wrong]).await;
            assert!(result.is_err(), "{name} accepted a wrong signer");
            assert_usd1_error(result, expected);
            assert_eq!(f.snapshot().await, before, "{name} changed state");
        }
    }
}

#[tokio::test]
async fn fails_when_the_role_did_not_sign() {
    let (f, admin) = fixture_with_separate_admin().await;
    for (name, _, holder, _) in privileged(&f, &Pubkey::default()) {
        let key = holder_key(&f, &admin, holder);
        let (_, mut instruction, _, _) = privileged(&f, &key)
            .into_iter()
            .find(|(n, ..)| *n == name)
            .unwrap();
        // The holder's key is named but its signature is left off.
        instruction.accounts[0].is_signer = false;
        let before = f.snapshot().await;
        assert_anchor_error(
            f.send(&[instruction], &[]).await,
            AnchorError::AccountNotSigner,
        );
        assert_eq!(f.snapshot().await, before, "{name} changed state");
    }
    // The minter too.
    let mut mint = ix::mint_to(
        &f.minter.pubkey(),
        &f.mint(),
        &f.usd1.token_account_of(&f.holder.pubkey()),
        &f.flavor.program_id(),
        ONE,
    );
    mint.accounts[0].is_signer = false;
    let before = f.snapshot().await;
    assert_anchor_error(f.send(&[mint], &[]).await, AnchorError::AccountNotSigner);
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn fails_when_a_non_minter_mints_or_burns() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    f.usd1
        .mint_to(&f.minter, &f.pauser.pubkey(), ONE)
        .await
        .unwrap();
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), ONE)
        .await
        .unwrap();
    let before = f.snapshot().await;
    // No allowance account exists for the pauser.
    assert_anchor_error(
        f.usd1.mint_to(&f.pauser, &f.holder.pubkey(), ONE).await,
        AnchorError::AccountNotInitialized,
    );
    assert_anchor_error(
        f.usd1.burn(&f.pauser, ONE).await,
        AnchorError::AccountNotInitialized,
    );
    // Signing with one's own key while pointing at the real minter's allowance.
    let mut stolen = ix::mint_to(
        &f.pauser.pubkey(),
        &f.mint(),
        &f.usd1.token_account_of(&f.holder.pubkey()),
        &f.flavor.program_id(),
        ONE,
    );
    stolen.accounts[2].pubkey =
        usd1_client::pda::minter_allowance(&f.config_address(), &f.minter.pubkey());
    assert_usd1_error(f.send(&[stolen], &[&f.pauser]).await, Usd1Error::NotMinter);
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn admin_transfer_is_two_step_and_the_old_admin_loses_power() {
    let f = Fixture::new(Flavor::Token2022).await;
    let mint = f.mint();
    let next = f.funded_keypair().await;
    let done = f
        .usd1
        .propose_admin(&f.admin, &next.pubkey())
        .await
        .unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::AdminProposed(events::AdminProposed {
            mint,
            admin: f.admin.pubkey(),
            proposed: next.pubkey()
        })]
    );
    // Proposing changes nothing yet; a wrong key cannot accept.
    assert_eq!(f.usd1.config().await.unwrap().admin, f.admin.pubkey());
    let before = f.snapshot().await;
    assert_usd1_error(
        f.usd1.accept_admin(&f.pauser).await,
        Usd1Error::NotPendingAdmin,
    );
    assert_eq!(f.snapshot().await, before);

    let done = f.usd1.accept_admin(&next).await.unwrap();
    assert_eq!(
        done.events,
        vec![Usd1Event::AdminAccepted(events::AdminAccepted {
            mint,
            previous: f.admin.pubkey(),
            admin: next.pubkey()
        })]
    );
    let config = f.usd1.config().await.unwrap();
    assert_eq!(config.admin, next.pubkey());
    assert_eq!(config.pending_admin, Pubkey::default());

    // The old admin can do nothing any more; the new one can; acceptance cannot be replayed.
    let before = f.snapshot().await;
    assert_usd1_error(
        f.usd1
            .set_role(&f.admin, Role::Pauser, &Pubkey::new_unique())
            .await,
        Usd1Error::NotAdmin,
    );
    assert_usd1_error(
        f.usd1
            .configure_minter(&f.admin, &f.minter.pubkey(), 5)
            .await,
        Usd1Error::NotAdmin,
    );
    assert_usd1_error(f.usd1.accept_admin(&next).await, Usd1Error::NotPendingAdmin);
    assert_eq!(f.snapshot().await, before);
    f.usd1
        .configure_minter(&next, &f.minter.pubkey(), 5)
        .await
        .unwrap();
}

#[tokio::test]
async fn fails_when_proposing_the_default_key_or_the_current_admin() {
    let f = Fixture::new(Flavor::Token2022).await;
    let before = f.snapshot().await;
    assert_usd1_error(
        f.usd1.propose_admin(&f.admin, &Pubkey::default()).await,
        Usd1Error::DefaultPubkey,
    );
    assert_usd1_error(
        f.usd1.propose_admin(&f.admin, &f.admin.pubkey()).await,
        Usd1Error::NoChange,
    );
    assert_eq!(f.snapshot().await, before);
}

#[tokio::test]
async fn set_role_changes_the_holder_and_emits() {
    let f = Fixture::new(Flavor::Token2022).await;
    for role in [Role::Pauser, Role::Freezer, Role::Treasurer] {
        let holder = Pubkey::new_unique();
        let previous = f.usd1.config().await.unwrap().role_holder(role);
        let done = f.usd1.set_role(&f.admin, role, &holder).await.unwrap();
        assert_eq!(
            done.events,
            vec![Usd1Event::RoleChanged(events::RoleChanged {
                mint: f.mint(),
                admin: f.admin.pubkey(),
                role,
                previous,
                holder,
            })]
        );
        assert_eq!(f.usd1.config().await.unwrap().role_holder(role), holder);
    }
}

#[tokio::test]
async fn fails_when_a_role_is_set_to_the_default_key_or_unchanged() {
    let f = Fixture::new(Flavor::Token2022).await;
    let before = f.snapshot().await;
    for role in [Role::Pauser, Role::Freezer, Role::Treasurer] {
        assert_usd1_error(
            f.usd1.set_role(&f.admin, role, &Pubkey::default()).await,
            Usd1Error::DefaultPubkey,
        );
    }
    assert_usd1_error(
        f.usd1
            .set_role(&f.admin, Role::Pauser, &f.pauser.pubkey())
            .await,
        Usd1Error::NoChange,
    );
    assert_eq!(f.snapshot().await, before);
}
