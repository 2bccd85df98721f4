//! The accounts the program makes: after `initialize` (a minter's allowance,
//! the disclosure, a redemption record) at the bump their caller passes
//! (SECURITY.md items 3 and 19): a bump that does not derive the address, or
//! derives it but is not the canonical one, is refused with nothing changed;
//! an address someone funded first is still made into the account (those of
//! `initialize`: `happy_path.rs`); the system program's instructions as
//! `pda::make` writes them.
use anchor_lang::error::ErrorCode as AnchorError;
use anchor_lang::solana_program::system_instruction;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::rent::Rent;
use solana_sdk::signature::{Keypair, Signer};
use usd1::constants::{DISCLOSURE_SEED, MINTER_SEED, REDEMPTION_SEED};
use usd1_client::{instructions as ix, pda, Ledger, RedemptionStatus, Usd1Error};
use usd1_tests::redemption::funded_holder;
use usd1_tests::*;

/// `instruction` with the account at `canonical` moved to `address`, and the
/// bump (its data's last byte, the handler's last argument) set to `bump`.
fn with_bump(
    mut instruction: Instruction,
    canonical: &Pubkey,
    address: Pubkey,
    bump: u8,
) -> Instruction {
    let meta = instruction
        .accounts
        .iter_mut()
        .find(|meta| meta.pubkey == *canonical)
        .expect("the account being created");
    meta.pubkey = address;
    *instruction.data.last_mut().expect("data") = bump;
    instruction
}

/// Sends `instruction`, expects `expected`, and checks that nothing the
/// fixture watches changed and that nothing was made at `address`.
async fn refused_at(
    f: &Fixture,
    instruction: Instruction,
    signers: &[&Keypair],
    address: &Pubkey,
    expected: Result<Usd1Error, AnchorError>,
) {
    let before = f.snapshot().await;
    let result = f.send(&[instruction], signers).await;
    match expected {
        Ok(error) => assert_usd1_error(result, error),
        Err(error) => assert_anchor_error(result, error),
    }
    assert_eq!(f.snapshot().await, before);
    assert_eq!(f.ledger.get_account(address).await.unwrap(), None);
}

/// `instruction`, which makes the account of `seeds` at its canonical
/// address, sent instead with a lower bump that derives another address and
/// that address: refused as `NonCanonicalBump`, nothing made. Returns that
/// bump.
async fn refused_below_canonical(
    f: &Fixture,
    instruction: Instruction,
    signers: &[&Keypair],
    seeds: &[&[u8]],
) -> u8 {
    let (canonical, _) = Pubkey::find_program_address(seeds, &usd1::ID);
    let (address, bump) = non_canonical_pda(seeds);
    let expected = Ok(Usd1Error::NonCanonicalBump);
    let sent = with_bump(instruction, &canonical, address, bump);
    refused_at(f, sent, signers, &address, expected).await;
    bump
}

#[tokio::test]
async fn fails_when_a_new_account_is_given_a_bump_other_than_the_canonical_one() {
    let f = funded_holder(Flavor::Token2022).await;
    let config = f.config_address();

    // A new minter's allowance.
    let minter = Pubkey::new_unique();
    let seeds: [&[u8]; 3] = [MINTER_SEED, config.as_ref(), minter.as_ref()];
    let (canonical, canonical_bump) = pda::minter_allowance_and_bump(&config, &minter);
    let configure = ix::configure_minter(&f.admin.pubkey(), &f.mint(), &minter, allowance(ONE));
    let lower = refused_below_canonical(&f, configure.clone(), &[], &seeds).await;
    // A bump that does not derive the address given.
    assert_ne!(lower, canonical_bump);
    let wrong_bump = with_bump(configure, &canonical, canonical, lower);
    let expected = Err(AnchorError::ConstraintSeeds);
    refused_at(&f, wrong_bump, &[], &canonical, expected).await;

    // The next redemption record.
    let id = f.usd1.config().await.unwrap().next_redemption_id;
    let id_bytes = id.to_le_bytes();
    let seeds: [&[u8]; 3] = [REDEMPTION_SEED, config.as_ref(), &id_bytes];
    let request = ix::request_redemption(
        &f.holder.pubkey(),
        &f.mint(),
        &f.usd1.token_account_of(&f.holder.pubkey()),
        &f.flavor.program_id(),
        id,
        10 * ONE,
        [0; 32],
    );
    refused_below_canonical(&f, request, &[&f.holder], &seeds).await;

    // The disclosure, on a mint that has none yet.
    let f = Fixture::with_reserve(Flavor::Token2022, 10_000 * ONE).await;
    let config = f.config_address();
    let seeds: [&[u8]; 2] = [DISCLOSURE_SEED, config.as_ref()];
    let publish = ix::set_disclosure(&f.admin.pubkey(), &f.mint(), default_disclosure());
    refused_below_canonical(&f, publish, &[], &seeds).await;
}

/// Sends `lamports` from the admin to `address`, as anyone could.
async fn prefund(f: &Fixture, address: &Pubkey, lamports: u64) {
    let transfer = system_instruction::transfer(&f.admin.pubkey(), address, lamports);
    f.send(&[transfer], &[]).await.expect("prefund");
}

#[tokio::test]
async fn succeeds_when_the_new_accounts_address_was_funded_first() {
    // Anchor's `init` would ask agave 3.1 for `CreateAccountAllowPrefund`,
    // which it refuses: one transfer to the next record's address would have
    // blocked every redemption after it.
    let rent_of_nothing = Rent::default().minimum_balance(0);
    for flavor in [Flavor::Token2022, Flavor::Token] {
        let f = funded_holder(flavor).await;
        let config = f.config_address();
        let id = f.usd1.config().await.unwrap().next_redemption_id;
        let record = pda::redemption(&config, id);
        // Less than the record's rent: the program tops it up.
        prefund(&f, &record, rent_of_nothing).await;
        let (requested, _) = f
            .usd1
            .request_redemption(&f.holder, 10 * ONE, [0; 32])
            .await
            .expect("a request at a funded address");
        assert_eq!(requested, id);
        let redemption = f.usd1.redemption(id).await.unwrap();
        assert_eq!(redemption.amount, 10 * ONE);
        assert_eq!(redemption.status, RedemptionStatus::Pending);
        let account = f.ledger.get_account(&record).await.unwrap().unwrap();
        assert_eq!(account.owner, usd1::ID);
        assert!(Rent::default().is_exempt(account.lamports, account.data.len()));
    }

    // More than the rent: nothing to top up.
    let f = Fixture::with_reserve(Flavor::Token2022, 10_000 * ONE).await;
    let config = f.config_address();
    let minter = Keypair::new();
    prefund(
        &f,
        &pda::minter_allowance(&config, &minter.pubkey()),
        10 * rent_of_nothing,
    )
    .await;
    f.usd1
        .configure_minter(&f.admin, &minter.pubkey(), ONE)
        .await
        .expect("a minter at a funded address");
    assert_eq!(
        f.usd1
            .minter_allowance(&minter.pubkey())
            .await
            .unwrap()
            .allowance,
        ONE
    );
    prefund(&f, &pda::disclosure(&config), rent_of_nothing).await;
    f.usd1
        .set_disclosure(&f.admin, default_disclosure())
        .await
        .expect("a disclosure at a funded address");
    assert_eq!(f.usd1.disclosure().await.unwrap().version, 1);
}

#[test]
fn encodes_the_system_programs_instructions_as_its_own_builders_do() {
    // `pda::make` writes the system program's instruction data by hand; the
    // system program's own builders (bincode) are the judge.
    use usd1::pda::system;
    let (from, to, owner) = (Pubkey::new_unique(), Pubkey::new_unique(), usd1::ID);
    let (lamports, space) = (1_461_600u64, 165u64);
    let cases = [
        (
            system::data(
                system::CREATE_ACCOUNT,
                &[
                    &lamports.to_le_bytes(),
                    &space.to_le_bytes(),
                    owner.as_ref(),
                ],
            ),
            system_instruction::create_account(&from, &to, lamports, space, &owner),
        ),
        (
            system::data(system::TRANSFER, &[&lamports.to_le_bytes()]),
            system_instruction::transfer(&from, &to, lamports),
        ),
        (
            system::data(system::ALLOCATE, &[&space.to_le_bytes()]),
            system_instruction::allocate(&to, space),
        ),
        (
            system::data(system::ASSIGN, &[owner.as_ref()]),
            system_instruction::assign(&to, &owner),
        ),
    ];
    for (ours, theirs) in cases {
        assert_eq!(ours, theirs.data);
    }
}
