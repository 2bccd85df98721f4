//! Two desk instances on one PostgreSQL database, each running its passes
//! at the same moments: every deposit is minted once, every redemption is
//! taken once and goes in one payment file once.
use std::collections::BTreeSet;

use solana_sdk::signature::Signer;
use usd1_desk::decide::redeem::Stage;
use usd1_desk::decide::State;
use usd1_tests::desk_harness::{Desk, FOUR_EYES_ABOVE};
use usd1_tests::fixture::ONE;
use usd1_tests::postgres::Postgres;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_desks_on_one_postgres_mint_and_pay_each_once() {
    let pg = Postgres::start();
    let url = pg.database("desk_two");
    let mut desk = Desk::on(Some(url.clone()), 100_000 * ONE, FOUR_EYES_ABOVE).await;
    let (other_minter, other_payer) = desk.another_instance(&url).await;

    let mut wallets = Vec::new();
    for n in 0..6u64 {
        let (customer, wallet) = desk.approved_customer(&format!("Customer {n}")).await;
        desk.wire(&format!("{}.00", 100 + n), &customer.reference);
        wallets.push((wallet, (100 + n) * ONE));
    }
    assert_eq!(desk.statement().await.deposits.len(), 6);
    let supply = desk.f.supply().await;
    for _ in 0..3 {
        let (a, b) = tokio::join!(desk.minter.pass(), other_minter.pass());
        a.unwrap();
        b.unwrap();
    }
    for (wallet, amount) in &wallets {
        assert_eq!(desk.balance(wallet).await, *amount, "{wallet}");
    }
    let minted: u64 = wallets.iter().map(|(_, a)| a).sum();
    assert_eq!(desk.f.supply().await, supply + minted);
    assert_eq!(
        desk.store
            .deposits(Some(State::Minted))
            .await
            .unwrap()
            .len(),
        6
    );
    let attempts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mint_attempts")
        .fetch_one(desk.store.pool())
        .await
        .unwrap();
    assert_eq!(attempts, 6, "one mint transaction per deposit");

    // Redemptions: three customers redeem; both desks take and pay at once.
    let mut redeemers = Vec::new();
    for n in 0..3 {
        let (_, wallet) = desk
            .redeeming_customer(&format!("Redeemer {n}"), "50.00")
            .await;
        redeemers.push(desk.redeem(&wallet, 20 * ONE).await);
        assert_eq!(desk.balance(&wallet.pubkey()).await, 30 * ONE);
    }
    let (a, b) = tokio::join!(desk.payer.pass(), other_payer.pass());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.taken.len() + b.taken.len(), 3, "{a:?} {b:?}");
    let (c, d) = tokio::join!(desk.payer.pass(), other_payer.pass());
    c.unwrap();
    d.unwrap();
    let sent = desk
        .store
        .redemptions(Some(Stage::PaymentSent))
        .await
        .unwrap();
    assert_eq!(sent.len(), 3);
    let files: BTreeSet<String> = sent.iter().filter_map(|r| r.message_id.clone()).collect();
    let in_files: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(payments), 0) AS BIGINT) FROM payment_files")
            .fetch_one(desk.store.pool())
            .await
            .unwrap();
    assert_eq!(in_files, 3, "each redemption in one file: {files:?}");
    let books = desk.store.books().await.unwrap();
    assert_eq!(books.total(), 0);
    assert_eq!(
        books,
        desk.store.books_from_postings().await.unwrap(),
        "kept balances = the postings' sums"
    );
}
