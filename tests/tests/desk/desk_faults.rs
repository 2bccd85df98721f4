//! The mint journal across a crash: a mint that left but was never recorded
//! as minted is found landed on the chain and recorded, not minted again.
use usd1_client::instructions;
use usd1_client::ledger::Ledger;
use usd1_client::send_journal::Attempt;
use usd1_desk::decide::State;
use usd1_tests::desk_harness::Desk;
use usd1_tests::fixture::ONE;

use solana_sdk::signature::Signer;

#[tokio::test]
async fn a_mint_sent_before_a_crash_is_recorded_from_the_chain_not_sent_again() {
    let mut desk = Desk::new(1_000 * ONE).await;
    let (acme, wallet) = desk.approved_customer("Acme").await;
    desk.wire("75.00", &acme.reference);
    let id = desk.statement().await.deposits[0].0.clone();
    let deposit = desk.store.deposit(&id).await.unwrap().unwrap();

    // What the pass does up to the send, and the send; then the process dies.
    let usd1 = &desk.minter.usd1;
    let key = desk.minter.key.clone();
    let ixs = [
        usd1.create_token_account(&wallet),
        instructions::mint_to(
            &key.pubkey(),
            &usd1.mint(),
            &usd1.token_account_of(&wallet),
            &usd1.token_program(),
            deposit.amount,
        ),
        instructions::memo(&deposit.memo(), &key.pubkey()),
    ];
    let tx = usd1.prepare(&ixs, &[key.as_ref()]).await.unwrap();
    desk.store
        .record_mint_attempt(&id, &wallet.to_string(), &Attempt::of(&tx))
        .await
        .unwrap();
    let landed = usd1.ledger().send_and_confirm_quiet(&tx).await.unwrap();

    // The restarted desk's pass asks the chain, records, mints nothing more.
    let pass = desk.pass().await;
    assert_eq!(pass.minted, vec![(id.clone(), landed.to_string())]);
    assert_eq!(desk.balance(&wallet).await, 75 * ONE);
    let deposit = desk.store.deposit(&id).await.unwrap().unwrap();
    assert_eq!(deposit.state, State::Minted);
    assert_eq!(deposit.mint_signature, Some(landed.to_string()));
    assert!(desk.pass().await.minted.is_empty());
    assert_eq!(desk.balance(&wallet).await, 75 * ONE);
}

#[tokio::test]
async fn a_mint_recorded_but_never_sent_is_signed_again_once_it_cannot_land() {
    let mut desk = Desk::new(1_000 * ONE).await;
    let (acme, wallet) = desk.approved_customer("Acme").await;
    desk.wire("75.00", &acme.reference);
    let id = desk.statement().await.deposits[0].0.clone();
    // Recorded against a blockhash the chain never issued, then the process died.
    let never = Attempt {
        signature: solana_sdk::signature::Signature::from([7u8; 64]),
        blockhash: solana_sdk::hash::Hash::new_from_array([9u8; 32]),
        last_valid_block_height: Some(0),
    };
    desk.store
        .record_mint_attempt(&id, &wallet.to_string(), &never)
        .await
        .unwrap();
    let pass = desk.pass().await;
    assert_eq!(pass.minted.len(), 1, "{pass:?}");
    assert_ne!(pass.minted[0].1, never.signature.to_string());
    assert_eq!(desk.balance(&wallet).await, 75 * ONE);
    assert_eq!(desk.store.mint_attempts(&id).await.unwrap().len(), 2);
}

/// The desk's minter key held in a vault (issue 36): its deposit is minted,
/// the program checking the vault's signature. The vault killed -9, the
/// pass fails by name with nothing claimed; once the vault is back, the
/// waiting deposit is minted, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minter_key_in_a_vault_mints_and_its_outage_leaves_deposits_waiting() {
    use usd1_client::keystore;
    use usd1_tests::keystores::OpenBao;
    let mut desk = Desk::new(1_000 * ONE).await;
    let mut bao = OpenBao::start_persistent().await;
    let source = bao.uri("desk-minter");
    let key = keystore::create(&source).unwrap();
    desk.f.fund(&key).await;
    desk.f
        .usd1
        .configure_minter(&*desk.f.admin, &key, 500 * ONE)
        .await
        .unwrap();
    desk.minter.key = keystore::open(&source).unwrap();
    let (acme, wallet) = desk.approved_customer("Acme").await;
    desk.wire("100.00", &acme.reference);
    desk.statement().await;
    assert_eq!(desk.pass().await.minted.len(), 1);
    assert_eq!(desk.balance(&wallet).await, 100 * ONE);

    bao.kill();
    desk.wire("50.00", &acme.reference);
    desk.statement().await;
    let failed = desk.minter.pass().await.unwrap_err().to_string();
    assert!(
        failed.contains(&format!(
            "{key} did not sign: {source}: the signer is unavailable"
        )),
        "{failed}"
    );
    let waiting = desk.store.deposits(Some(State::Ready)).await.unwrap();
    assert_eq!(waiting.len(), 1, "nothing claimed: {waiting:?}");
    assert_eq!(desk.balance(&wallet).await, 100 * ONE);

    bao.restart().await;
    assert_eq!(desk.pass().await.minted.len(), 1);
    assert_eq!(desk.balance(&wallet).await, 150 * ONE);
    assert!(desk.pass().await.minted.is_empty());
}
