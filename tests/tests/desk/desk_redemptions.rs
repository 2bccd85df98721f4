//! USD1 in, dollars out: a customer's on-chain redemption is paid by a
//! pain.001 to its linked account (the official XSD judges the file), the
//! bank's pain.002 settles it on-chain or rejects it (the tokens refunded),
//! a wire returned after settlement is owed back; what the desk may not pay
//! is held under a case; a payment file is written once, and again only as
//! the very same file.
use solana_sdk::signature::{Keypair, Signer};
use usd1::state::RedemptionStatus;
use usd1_desk::decide::redeem::{Outcome, Stage};
use usd1_desk::ledger::Account;
use usd1_desk::store::redemptions::Requested;
use usd1_desk::store::Held;
use usd1_tests::bank::validates;
use usd1_tests::both_databases;
use usd1_tests::desk_harness::{Desk, CUSTOMER_ACCOUNT, FOUR_EYES_ABOVE};
use usd1_tests::fixture::ONE;

fn dollars(units: u64) -> i128 {
    i128::from(units)
}

async fn a_redemption_is_paid_by_a_bank_file_and_settled_on_chain_once_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let (acme, wallet) = desk.redeeming_customer("Acme Treasury LLC", "250.00").await;
    let id = desk.redeem(&wallet, 100 * ONE).await;

    let pass = desk.payout().await;
    assert_eq!(pass.taken, vec![(id, Stage::PaymentDue)]);
    assert_eq!(pass.files.len(), 1, "{pass:?}");
    let message_id = &pass.files[0];
    let file = std::fs::read_to_string(desk.bank.inbox.join(format!("{message_id}.xml"))).unwrap();
    validates(&file, "pain.001.001.09").expect("the official XSD takes it");
    // 100 less the disclosed 0.25% fee, to the customer's account, named by the redemption.
    assert!(
        file.contains("<InstdAmt Ccy=\"USD\">99.75</InstdAmt>"),
        "{file}"
    );
    assert!(file.contains(&format!("<EndToEndId>USD1-RDM-{id}</EndToEndId>")));
    assert!(file.contains(CUSTOMER_ACCOUNT));
    let r = &desk.store.redemptions(None).await.unwrap()[0];
    assert_eq!((r.stage, r.payout), (Stage::PaymentSent, 99_750_000));
    // Another pass writes no second file.
    assert!(desk.payout().await.files.is_empty());

    let answers = desk.bank_pays().await;
    assert_eq!(
        answers[0].answered[0].outcome,
        Some(Outcome::Moves(Stage::Settling))
    );
    let pass = desk.payout().await;
    assert_eq!(pass.resolved.len(), 1, "{pass:?}");
    assert_eq!(
        desk.f.usd1.redemption(id).await.unwrap().status,
        RedemptionStatus::Settled
    );
    assert_eq!(
        desk.store
            .redemptions(Some(Stage::Paid))
            .await
            .unwrap()
            .len(),
        1
    );
    // The statement's debit of the same payment moves nothing more.
    let statement = desk.statement().await;
    assert_eq!(statement.answered[0].outcome, Some(Outcome::AlreadyKnown));
    assert!(desk.payout().await.resolved.is_empty());

    let books = desk.store.books().await.unwrap();
    assert_eq!(books.total(), 0);
    assert_eq!(books, desk.store.books_from_postings().await.unwrap());
    assert_eq!(books.balance(&Account::BankCash), dollars(150_250_000));
    assert_eq!(
        books.balance(&Account::TokensOutstanding),
        -dollars(150 * ONE)
    );
    assert_eq!(books.balance(&Account::Fees), -dollars(250_000));
    assert_eq!(books.balance(&Account::Customer(acme.id.clone())), 0);
    assert_eq!(books.balance(&Account::PayoutsInTransit), 0);
    let paid: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM events WHERE kind IN ('redemption.payment_sent', 'redemption.paid')",
    )
    .fetch_one(desk.store.pool())
    .await
    .unwrap();
    assert_eq!(paid, 2);
}

async fn a_payment_the_bank_refuses_is_rejected_on_chain_and_the_tokens_come_back_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let (acme, wallet) = desk.redeeming_customer("Acme", "250.00").await;
    // The customer's account is closed at its bank: AC01.
    desk.bank.external.clear();
    let id = desk.redeem(&wallet, 100 * ONE).await;
    assert_eq!(desk.balance(&wallet.pubkey()).await, 150 * ONE);
    desk.payout().await;
    let answers = desk.bank_pays().await;
    assert_eq!(
        answers[0].answered[0].outcome,
        Some(Outcome::Moves(Stage::Rejecting))
    );
    let pass = desk.payout().await;
    assert_eq!(pass.resolved.len(), 1, "{pass:?}");
    let on_chain = desk.f.usd1.redemption(id).await.unwrap();
    assert_eq!(
        (on_chain.status, on_chain.reason_code),
        (RedemptionStatus::Rejected, 1)
    );
    assert_eq!(desk.balance(&wallet.pubkey()).await, 250 * ONE);
    let books = desk.store.books().await.unwrap();
    assert_eq!(books.total(), 0);
    assert_eq!(books.balance(&Account::BankCash), dollars(250 * ONE));
    assert_eq!(
        books.balance(&Account::TokensOutstanding),
        -dollars(250 * ONE)
    );
    assert_eq!(books.balance(&Account::Customer(acme.id)), 0);
    assert_eq!(books.balance(&Account::Fees), 0);
}

async fn a_redemption_the_desk_may_not_pay_is_held_under_a_case_and_never_paid_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let (_, wallet) = desk.redeeming_customer("Acme", "250.00").await;
    // A stranger holding USD1 (from the customer) redeems.
    let stranger = Keypair::new();
    desk.f.fund(&stranger.pubkey()).await;
    desk.f
        .send(
            &[
                desk.f.create_account_ix(&stranger.pubkey()),
                desk.f
                    .transfer_ix(&wallet.pubkey(), &stranger.pubkey(), 50 * ONE),
            ],
            &[&wallet],
        )
        .await
        .unwrap();
    let id = desk.redeem(&stranger, 50 * ONE).await;
    let pass = desk.payout().await;
    assert_eq!(pass.taken, vec![(id, Stage::Held)]);
    assert!(pass.files.is_empty());
    assert!(desk.bank.process_payments().unwrap().is_empty());
    let held = &desk.store.redemptions(Some(Stage::Held)).await.unwrap()[0];
    assert_eq!(
        held.why.as_deref(),
        Some("from a wallet no customer registered")
    );
    let cases = desk.store.cases(None).await.unwrap();
    assert_eq!(cases[0].subject, stranger.pubkey().to_string());
    desk.store
        .verify_cases_of(&Held)
        .await
        .unwrap()
        .expect("the history verifies");
    assert_eq!(
        desk.f.usd1.redemption(id).await.unwrap().status,
        RedemptionStatus::Pending
    );
}

async fn a_payment_file_is_written_again_only_as_the_same_file_and_a_repeat_moves_nothing_on(
    url: &str,
) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let (_, wallet) = desk.redeeming_customer("Acme", "250.00").await;
    let id = desk.redeem(&wallet, 100 * ONE).await;
    // The desk took the request, recorded the run and died before writing its file.
    let on_chain = desk.f.usd1.redemption(id).await.unwrap();
    let request = Requested {
        id,
        holder: on_chain.holder.to_string(),
        amount: on_chain.amount,
        fee: on_chain.fee,
        requested_at: on_chain.requested_at,
    };
    desk.store
        .take_redemptions(&[request], id + 1)
        .await
        .unwrap();
    let (date, at) = ("2026-12-07", "2026-12-07T17:00:00Z");
    let run = desk
        .store
        .plan_payment_run(&desk.payer.debtor, date, at)
        .await
        .unwrap()
        .expect("a run");
    let message_id = usd1_client::bank::pain001::message_id(&run);
    let pass = desk.payout().await;
    assert_eq!(pass.files, vec![message_id.clone()], "the very same run");
    let written =
        std::fs::read_to_string(desk.bank.inbox.join(format!("{message_id}.xml"))).unwrap();
    assert_eq!(written, usd1_client::bank::pain001::write(&run).unwrap());
    desk.bank_pays().await;
    // The same file delivered again: the bank refuses it (DU01) and nothing moves.
    std::fs::write(desk.bank.inbox.join("again.xml"), &written).unwrap();
    let answers = desk.bank_pays().await;
    assert_eq!(answers[0].answered[0].status, "RJCT DU01");
    assert_eq!(answers[0].answered[0].outcome, Some(Outcome::AlreadyKnown));
    desk.payout().await;
    assert_eq!(
        desk.f.usd1.redemption(id).await.unwrap().status,
        RedemptionStatus::Settled
    );
    assert!(desk.store.cases(None).await.unwrap().is_empty());
}

async fn a_wire_returned_after_settlement_is_owed_to_the_customer_with_a_case_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let (acme, wallet) = desk.redeeming_customer("Acme", "250.00").await;
    let id = desk.redeem(&wallet, 100 * ONE).await;
    desk.payout().await;
    desk.bank_pays().await;
    desk.payout().await;
    assert_eq!(
        desk.f.usd1.redemption(id).await.unwrap().status,
        RedemptionStatus::Settled
    );
    desk.bank.return_payment(&format!("USD1-RDM-{id}")).unwrap();
    let statement = desk.statement().await;
    assert_eq!(statement.returned, vec![id]);
    let r = &desk.store.redemptions(Some(Stage::Returned)).await.unwrap()[0];
    assert!(r.why.as_deref().unwrap().contains("owed its dollars"));
    let books = desk.store.books().await.unwrap();
    assert_eq!(books.total(), 0);
    assert_eq!(
        books.balance(&Account::Customer(acme.id)),
        -dollars(99_750_000)
    );
    assert_eq!(books.balance(&Account::BankCash), dollars(250 * ONE));
    let cases = desk.store.cases(None).await.unwrap();
    assert_eq!(cases.len(), 1);
    // A refusal arriving after the payment contradicts it: a case, nothing moves.
    let report = usd1_client::bank::StatusReport {
        message_id: "PSR-LATE".into(),
        original_message_id: r.message_id.clone().unwrap(),
        payments: vec![usd1_client::bank::pain002::PaymentStatus {
            end_to_end_id: r.end_to_end_id.clone(),
            status: "RJCT".into(),
            reason: Some("AC04".into()),
            info: None,
        }],
        ..Default::default()
    };
    let answered = desk.store.apply_status_report(&report).await.unwrap();
    assert_eq!(answered[0].outcome, Some(Outcome::Contradicts));
    // And one for a payment no one made is named, not guessed at.
    let unknown = usd1_client::bank::StatusReport {
        message_id: "PSR-STRAY".into(),
        original_message_id: "USD1-NOSUCHRUN".into(),
        payments: vec![usd1_client::bank::pain002::PaymentStatus {
            end_to_end_id: "USD1-RDM-999".into(),
            status: "ACSC".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let answered = desk.store.apply_status_report(&unknown).await.unwrap();
    assert_eq!((answered[0].redemption, answered[0].outcome), (None, None));
    assert_eq!(
        desk.store
            .redemptions(Some(Stage::Returned))
            .await
            .unwrap()
            .len(),
        1
    );
    // The holder's open case records the contradiction.
    let history = desk.store.case_history(&cases[0].id).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["opened", "bank answer contradicts"]);
    desk.store
        .verify_cases_of(&Held)
        .await
        .unwrap()
        .expect("the history verifies");
}

both_databases!(
    a_redemption_is_paid_by_a_bank_file_and_settled_on_chain_once,
    a_redemption_is_paid_by_a_bank_file_and_settled_on_chain_once_on
);
both_databases!(
    a_payment_the_bank_refuses_is_rejected_on_chain_and_the_tokens_come_back,
    a_payment_the_bank_refuses_is_rejected_on_chain_and_the_tokens_come_back_on
);
both_databases!(
    a_redemption_the_desk_may_not_pay_is_held_under_a_case_and_never_paid,
    a_redemption_the_desk_may_not_pay_is_held_under_a_case_and_never_paid_on
);
both_databases!(
    a_payment_file_is_written_again_only_as_the_same_file_and_a_repeat_moves_nothing,
    a_payment_file_is_written_again_only_as_the_same_file_and_a_repeat_moves_nothing_on
);
both_databases!(
    a_wire_returned_after_settlement_is_owed_to_the_customer_with_a_case,
    a_wire_returned_after_settlement_is_owed_to_the_customer_with_a_case_on
);
