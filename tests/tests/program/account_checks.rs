//! Account validation (SECURITY.md items 2–6, 12, 13): look-alikes, fake PDAs,
//! re-initialization, arbitrary CPI targets, duplicate accounts, stale reads
//! after CPI and unexpected extra accounts. Each asserts the exact error and
//! that nothing changed.
use anchor_lang::error::ErrorCode as AnchorError;
use anchor_lang::Discriminator;
use solana_sdk::account::Account;
use solana_sdk::instruction::{AccountMeta, Instruction, InstructionError};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::TransactionError;
use usd1::constants::{CONFIG_SEED, MINTER_SEED};
use usd1::state::MinterAllowance;
use usd1_client::{instructions as ix, pda, Ledger, Usd1, Usd1Error, Usd1Event};
use usd1_tests::*;

async fn refused_anchor(
    f: &Fixture,
    ixs: &[Instruction],
    signers: &[&Keypair],
    expected: AnchorError,
) {
    let before = f.snapshot().await;
    assert_anchor_error(f.send(ixs, signers).await, expected);
    assert_eq!(f.snapshot().await, before);
}

async fn refused_usd1(f: &Fixture, ixs: &[Instruction], signers: &[&Keypair], expected: Usd1Error) {
    let before = f.snapshot().await;
    assert_usd1_error(f.send(ixs, signers).await, expected);
    assert_eq!(f.snapshot().await, before);
}

fn mint_ix(f: &Fixture, amount: u64) -> Instruction {
    ix::mint_to(
        &f.minter.pubkey(),
        &f.mint(),
        &f.usd1.token_account_of(&f.holder.pubkey()),
        &f.flavor.program_id(),
        amount,
    )
}

/// A ready fixture whose holder already has a token account.
async fn ready() -> Fixture {
    let f = Fixture::with_reserve(Flavor::Token2022, 1_000 * ONE).await;
    f.usd1
        .mint_to(&f.minter, &f.holder.pubkey(), ONE)
        .await
        .unwrap();
    f
}

/// A second USD1 mint in the same runtime, with the fixture's admin and minter.
async fn second_mint(f: &Fixture) -> Usd1<usd1_client::banks::BanksLedger> {
    let mint = Keypair::new();
    let (other, _) = Usd1::initialize(
        f.ledger.clone(),
        f.admin.clone(),
        &mint,
        f.flavor.program_id(),
        default_init_args(),
    )
    .await
    .unwrap();
    other
        .configure_minter(&f.admin, &f.minter.pubkey(), MINTER_ALLOWANCE)
        .await
        .unwrap();
    other
}

// ---- 2. owner and type confusion ----

#[tokio::test]
async fn fails_when_config_is_a_look_alike_owned_by_another_program() {
    let mut f = ready().await;
    let real = f
        .ledger
        .get_account(&f.config_address())
        .await
        .unwrap()
        .unwrap();
    let fake = Pubkey::new_unique();
    let look_alike = Account {
        owner: Pubkey::new_unique(),
        ..real
    };
    f.backend.set_account(&fake, &look_alike.into());
    let mut pause = ix::pause(&f.pauser.pubkey(), &f.mint(), &f.flavor.program_id());
    pause.accounts[1].pubkey = fake;
    refused_anchor(
        &f,
        &[pause],
        &[&f.pauser],
        AnchorError::AccountOwnedByWrongProgram,
    )
    .await;
}

#[tokio::test]
async fn fails_when_an_account_of_another_type_has_the_same_size() {
    let mut f = ready().await;
    let real = f
        .ledger
        .get_account(&f.config_address())
        .await
        .unwrap()
        .unwrap();
    // Owned by USD1 and as long as a Config, but typed as a minter allowance.
    let mut data = vec![0u8; real.data.len()];
    data[..8].copy_from_slice(MinterAllowance::DISCRIMINATOR);
    let fake = Pubkey::new_unique();
    f.backend
        .set_account(&fake, &Account { data, ..real }.into());
    let mut pause = ix::pause(&f.pauser.pubkey(), &f.mint(), &f.flavor.program_id());
    pause.accounts[1].pubkey = fake;
    refused_anchor(
        &f,
        &[pause],
        &[&f.pauser],
        AnchorError::AccountDiscriminatorMismatch,
    )
    .await;
    // A real account of another type in the config slot.
    let mut pause = ix::pause(&f.pauser.pubkey(), &f.mint(), &f.flavor.program_id());
    pause.accounts[1].pubkey = pda::minter_allowance(&f.config_address(), &f.minter.pubkey());
    refused_anchor(
        &f,
        &[pause],
        &[&f.pauser],
        AnchorError::AccountDiscriminatorMismatch,
    )
    .await;
}

// ---- 3. fake PDAs ----

#[tokio::test]
async fn fails_when_given_the_config_of_another_mint() {
    let f = ready().await;
    let other = second_mint(&f).await;
    let mut mint = mint_ix(&f, ONE);
    mint.accounts[1].pubkey = other.config_address();
    mint.accounts[2].pubkey = pda::minter_allowance(&other.config_address(), &f.minter.pubkey());
    refused_usd1(&f, &[mint], &[&f.minter], Usd1Error::WrongMint).await;
}

#[tokio::test]
async fn fails_when_given_the_minter_allowance_of_another_mint() {
    let f = ready().await;
    let other = second_mint(&f).await;
    let mut mint = mint_ix(&f, ONE);
    mint.accounts[2].pubkey = pda::minter_allowance(&other.config_address(), &f.minter.pubkey());
    // The allowance names its config (issue 39: checked by `has_one`, not by
    // deriving its address again on every mint).
    refused_usd1(&f, &[mint], &[&f.minter], Usd1Error::WrongConfig).await;
}

#[tokio::test]
async fn fails_when_given_the_history_of_another_mint() {
    let f = ready().await;
    let other = second_mint(&f).await;
    let args = f.next_args(ONE).await;
    let [ed25519, mut attest] =
        usd1_client::attestation::signed_attest_instructions(&f.mint(), args, &f.signers(2));
    attest.accounts[1].pubkey = pda::attestation_history(&other.config_address());
    refused_usd1(&f, &[ed25519, attest], &[], Usd1Error::WrongConfig).await;
}

#[tokio::test]
async fn fails_when_given_a_non_canonical_bump() {
    let f = ready().await;
    // initialize with the config at a non-canonical address.
    let mint = Keypair::new();
    let mut init = ix::initialize(
        &f.admin.pubkey(),
        &mint.pubkey(),
        &f.flavor.program_id(),
        default_init_args(),
    );
    init.accounts[2].pubkey = non_canonical_pda(&[CONFIG_SEED, mint.pubkey().as_ref()]).0;
    refused_anchor(&f, &[init], &[&mint], AnchorError::ConstraintSeeds).await;
    // configure_minter with the allowance at a non-canonical address.
    let minter = Pubkey::new_unique();
    let mut configure = ix::configure_minter(&f.admin.pubkey(), &f.mint(), &minter, allowance(1));
    configure.accounts[3].pubkey =
        non_canonical_pda(&[MINTER_SEED, f.config_address().as_ref(), minter.as_ref()]).0;
    refused_anchor(&f, &[configure], &[], AnchorError::ConstraintSeeds).await;
}

// ---- 4. re-initialization ----

#[tokio::test]
async fn fails_when_initialized_twice() {
    let f = Fixture::bare(Flavor::Token2022).await;
    let mint = Keypair::new();
    let (_, _) = Usd1::initialize(
        f.ledger.clone(),
        f.admin.clone(),
        &mint,
        f.flavor.program_id(),
        default_init_args(),
    )
    .await
    .unwrap();
    let before = f
        .ledger
        .get_account(&pda::config(&mint.pubkey()))
        .await
        .unwrap();
    let again = Usd1::initialize(
        f.ledger.clone(),
        f.admin.clone(),
        &mint,
        f.flavor.program_id(),
        default_init_args(),
    )
    .await;
    // The Config's address is already an account: refused before anything
    // is sent to the system program.
    assert_usd1_error(again.map(|_| ()), Usd1Error::AccountInUse);
    assert_eq!(
        f.ledger
            .get_account(&pda::config(&mint.pubkey()))
            .await
            .unwrap(),
        before
    );
}

#[tokio::test]
async fn fails_when_initializing_a_mint_someone_else_created() {
    let f = Fixture::bare(Flavor::Token2022).await;
    let token_program = f.flavor.program_id();
    let mint = Keypair::new();
    let attacker = f.funded_keypair().await;
    // The mint already exists, with the attacker as its authority.
    let space = 82;
    let lamports = f
        .ledger
        .minimum_balance_for_rent_exemption(space)
        .await
        .unwrap();
    let create = anchor_lang::solana_program::system_instruction::create_account(
        &f.admin.pubkey(),
        &mint.pubkey(),
        lamports,
        space as u64,
        &token_program,
    );
    let init_mint = anchor_spl::token_2022::spl_token_2022::instruction::initialize_mint2(
        &token_program,
        &mint.pubkey(),
        &attacker.pubkey(),
        None,
        6,
    )
    .unwrap();
    f.send(&[create, init_mint], &[&mint]).await.unwrap();
    let before = f.ledger.get_account(&mint.pubkey()).await.unwrap();
    let result = Usd1::initialize(
        f.ledger.clone(),
        f.admin.clone(),
        &mint,
        token_program,
        default_init_args(),
    )
    .await;
    // Refused by name before the system program is asked.
    assert_usd1_error(result.map(|_| ()), Usd1Error::AccountInUse);
    assert_eq!(f.ledger.get_account(&mint.pubkey()).await.unwrap(), before);
    assert_eq!(
        f.ledger
            .get_account(&pda::config(&mint.pubkey()))
            .await
            .unwrap(),
        None
    );

    // Without the mint's signature nobody can initialize it at all.
    let fresh = Keypair::new();
    let mut init = ix::initialize(
        &f.admin.pubkey(),
        &fresh.pubkey(),
        &token_program,
        default_init_args(),
    );
    init.accounts[1].is_signer = false;
    assert_anchor_error(f.send(&[init], &[]).await, AnchorError::AccountNotSigner);
    assert_eq!(f.ledger.get_account(&fresh.pubkey()).await.unwrap(), None);
}

// ---- 5. arbitrary CPI ----

#[tokio::test]
async fn fails_when_given_a_fake_token_program() {
    let f = ready().await;
    for fake in [
        Pubkey::new_unique(),
        anchor_lang::system_program::ID,
        usd1::ID,
    ] {
        let mut mint = mint_ix(&f, ONE);
        mint.accounts[5].pubkey = fake;
        refused_anchor(&f, &[mint], &[&f.minter], AnchorError::InvalidProgramId).await;
    }
    // The other real token program is not this mint's.
    let mut mint = mint_ix(&f, ONE);
    mint.accounts[5].pubkey = usd1_client::TOKEN_PROGRAM_ID;
    refused_usd1(&f, &[mint], &[&f.minter], Usd1Error::WrongTokenProgram).await;
}

#[tokio::test]
async fn fails_when_given_a_token_account_of_another_mint() {
    let f = ready().await;
    let other = second_mint(&f).await;
    let holder_other = other.token_account_of(&f.holder.pubkey());
    let create = ix::create_associated_token_account(
        &f.admin.pubkey(),
        &f.holder.pubkey(),
        &other.mint(),
        &f.flavor.program_id(),
    );
    f.send(&[create], &[]).await.unwrap();
    let mint = ix::mint_to(
        &f.minter.pubkey(),
        &f.mint(),
        &holder_other,
        &f.flavor.program_id(),
        ONE,
    );
    refused_usd1(&f, &[mint], &[&f.minter], Usd1Error::WrongMint).await;
    let freeze = ix::freeze(
        &f.freezer.pubkey(),
        &f.mint(),
        &holder_other,
        &f.flavor.program_id(),
        0.into(),
    );
    refused_usd1(&f, &[freeze], &[&f.freezer], Usd1Error::WrongMint).await;
}

// ---- 6. duplicate mutable accounts ----

#[tokio::test]
async fn fails_when_one_mutable_account_fills_two_slots() {
    let f = ready().await;
    // The mint named again as the destination: it does not unpack as a token account.
    let mut mint = mint_ix(&f, ONE);
    mint.accounts[4].pubkey = f.mint();
    let before = f.snapshot().await;
    let result = f.send(&[mint], &[&f.minter]).await;
    assert_tx_error(
        result,
        TransactionError::InstructionError(0, InstructionError::InvalidAccountData),
    );
    assert_eq!(f.snapshot().await, before);
    // One token account named as both source and destination of a seizure:
    // Anchor's duplicate-writable check refuses it before any program rule.
    let holder_account = f.usd1.token_account_of(&f.holder.pubkey());
    let seize = ix::seize(
        &f.admin.pubkey(),
        &f.mint(),
        &holder_account,
        &holder_account,
        &f.flavor.program_id(),
        ONE,
        0.into(),
    );
    refused_anchor(
        &f,
        &[seize],
        &[],
        AnchorError::ConstraintDuplicateMutableAccount,
    )
    .await;
    // The config named again as the minter allowance.
    let mut mint = mint_ix(&f, ONE);
    mint.accounts[2].pubkey = f.config_address();
    refused_anchor(
        &f,
        &[mint],
        &[&f.minter],
        AnchorError::AccountDiscriminatorMismatch,
    )
    .await;
}

// ---- 12. stale data after CPI ----

#[tokio::test]
async fn supply_after_mint_reflects_the_cpi() {
    let f = ready().await;
    for amount in [3 * ONE, 7 * ONE] {
        let done = f
            .usd1
            .mint_to(&f.minter, &f.holder.pubkey(), amount)
            .await
            .unwrap();
        let Usd1Event::Minted(event) = &done.events[0] else {
            panic!()
        };
        assert_eq!(event.supply, f.supply().await);
    }
    assert_eq!(f.supply().await, 11 * ONE);
    let done = f
        .usd1
        .mint_to(&f.minter, &f.minter.pubkey(), ONE)
        .await
        .unwrap();
    let Usd1Event::Minted(minted) = &done.events[0] else {
        panic!()
    };
    let done = f.usd1.burn(&f.minter, ONE).await.unwrap();
    let Usd1Event::Burned(burned) = &done.events[0] else {
        panic!()
    };
    assert_eq!(burned.supply, minted.supply - ONE);
    assert_eq!(burned.supply, f.supply().await);
}

// ---- 13. remaining accounts ----

#[tokio::test]
async fn fails_when_given_unexpected_remaining_accounts() {
    let f = ready().await;
    let extra = AccountMeta::new(Pubkey::new_unique(), false);
    let mut mint = mint_ix(&f, ONE);
    mint.accounts.push(extra.clone());
    refused_usd1(
        &f,
        &[mint],
        &[&f.minter],
        Usd1Error::UnexpectedRemainingAccounts,
    )
    .await;
    let mut pause = ix::pause(&f.pauser.pubkey(), &f.mint(), &f.flavor.program_id());
    pause.accounts.push(extra.clone());
    refused_usd1(
        &f,
        &[pause],
        &[&f.pauser],
        Usd1Error::UnexpectedRemainingAccounts,
    )
    .await;
    let args = f.next_args(ONE).await;
    let [ed25519, mut attest] =
        usd1_client::attestation::signed_attest_instructions(&f.mint(), args, &f.signers(2));
    attest.accounts.push(extra);
    refused_usd1(
        &f,
        &[ed25519, attest],
        &[],
        Usd1Error::UnexpectedRemainingAccounts,
    )
    .await;
}
