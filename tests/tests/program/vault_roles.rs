//! Roles held by a program address (issue 14, item 2): a stand-in multisig
//! vault — a PDA of the test-only `usd1_tests::vault` program, which signs
//! by `invoke_signed` as a Squads vault does — holds admin, pauser and
//! minter, and pauses, sets roles and mints through CPI; the program's
//! checks still refuse the same calls from anyone else, and nothing changes.
use anchor_lang::error::ErrorCode as AnchorError;
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::{instructions as ix, Role, Usd1Error};
use usd1_tests::vault::{self, through_vault};
use usd1_tests::*;

#[tokio::test]
async fn a_program_address_holds_admin_pauser_and_minter() {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    let vault = vault::address();
    let (mint, token_program) = (f.mint(), f.flavor.program_id());
    f.usd1
        .set_role(&f.admin, Role::Pauser, &vault)
        .await
        .unwrap();
    f.usd1
        .configure_minter(&f.admin, &vault, 100 * ONE)
        .await
        .unwrap();

    // Pause and unpause, signed by the vault's program.
    f.send(
        &[through_vault(ix::pause(&vault, &mint, &token_program))],
        &[],
    )
    .await
    .unwrap();
    assert!(f.usd1.config().await.unwrap().is_paused());
    f.send(
        &[through_vault(ix::unpause(&vault, &mint, &token_program))],
        &[],
    )
    .await
    .unwrap();

    // Mint as the vault minter.
    let holder = f.holder.pubkey();
    f.send(&[f.create_account_ix(&holder)], &[]).await.unwrap();
    let destination = f.usd1.token_account_of(&holder);
    let minted = f
        .send(
            &[through_vault(ix::mint_to(
                &vault,
                &mint,
                &destination,
                &token_program,
                40 * ONE,
            ))],
            &[],
        )
        .await
        .unwrap();
    assert!(matches!(
        minted.events.as_slice(),
        [usd1_client::Usd1Event::Minted(m)] if m.minter == vault && m.amount == 40 * ONE
    ));
    assert_eq!(f.usd1.balance(&holder).await.unwrap(), 40 * ONE);

    // The admin role moves to the vault (two steps), which then sets a role.
    f.usd1.propose_admin(&f.admin, &vault).await.unwrap();
    f.send(&[through_vault(ix::accept_admin(&vault, &mint))], &[])
        .await
        .unwrap();
    let config = f.usd1.config().await.unwrap();
    assert_eq!(config.admin, vault);
    let freezer = Keypair::new().pubkey();
    f.send(
        &[through_vault(ix::set_role(
            &vault,
            &mint,
            Role::Freezer,
            &freezer,
        ))],
        &[],
    )
    .await
    .unwrap();
    assert_eq!(f.usd1.config().await.unwrap().freezer, freezer);

    // Nobody else can act for the vault: the old admin, a stranger signing
    // in its own name, or the vault named without its program signing.
    let stranger = f.funded_keypair().await;
    let before = f.snapshot().await;
    assert_usd1_error(
        f.usd1
            .set_role(&f.admin, Role::Pauser, &f.admin.pubkey())
            .await,
        Usd1Error::NotAdmin,
    );
    assert_usd1_error(
        f.send(
            &[ix::pause(&stranger.pubkey(), &mint, &token_program)],
            &[&stranger],
        )
        .await,
        Usd1Error::NotPauser,
    );
    // A stranger has no allowance account to mint against.
    assert_anchor_error(
        f.send(
            &[ix::mint_to(
                &stranger.pubkey(),
                &mint,
                &destination,
                &token_program,
                ONE,
            )],
            &[&stranger],
        )
        .await,
        AnchorError::AccountNotInitialized,
    );
    // The vault's own mint, named but not signed by the vault's program.
    let mut unsigned_mint = ix::mint_to(&vault, &mint, &destination, &token_program, ONE);
    unsigned_mint.accounts[0].is_signer = false;
    assert_anchor_error(
        f.send(&[unsigned_mint], &[]).await,
        AnchorError::AccountNotSigner,
    );
    let mut unsigned = ix::pause(&vault, &mint, &token_program);
    unsigned.accounts[0].is_signer = false;
    assert_anchor_error(
        f.send(&[unsigned], &[]).await,
        AnchorError::AccountNotSigner,
    );
    assert_eq!(f.snapshot().await, before);
}
