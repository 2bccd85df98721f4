//! The treasurer's key used outside the desk: a redemption the chain shows
//! settled or rejected by someone else is never paid by the desk. It is
//! recorded as the chain has it, its booking reversed if the tokens came
//! back, and a case opens on the holder when a person must look (the desk
//! was still to pay it, or the bank did the opposite of what the chain
//! shows).
use solana_sdk::signature::Signer;
use usd1::state::RedemptionStatus;
use usd1_desk::decide::redeem::Stage;
use usd1_desk::decide::Kyb;
use usd1_desk::ledger::Account;
use usd1_desk::store::Held;
use usd1_tests::both_databases;
use usd1_tests::desk_harness::{Desk, FOUR_EYES_ABOVE};
use usd1_tests::fixture::ONE;

/// The open case on `holder` whose reason says `what`.
async fn case_saying(desk: &Desk, holder: &str, what: &str) -> bool {
    let cases = desk.store.cases(None).await.unwrap();
    cases
        .iter()
        .any(|c| c.subject == holder && !c.status.is_closed() && c.reason.contains(what))
}

/// Held (its customer suspended), then resolved on-chain by the treasurer
/// outside the desk, then its case released: the desk pays nothing.
async fn due_but_resolved_outside(url: &str, settle: bool) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let (acme, wallet) = desk.redeeming_customer("Acme", "250.00").await;
    desk.store
        .set_kyb(&acme.id, Kyb::Suspended, "alice", "under review")
        .await
        .unwrap();
    let id = desk.redeem(&wallet, 100 * ONE).await;
    assert_eq!(desk.payout().await.taken, vec![(id, Stage::Held)]);
    let owed = Account::Customer(acme.id.clone());
    let owed_before = desk.store.books().await.unwrap().balance(&owed);

    let treasurer = desk.f.treasurer.insecure_clone();
    if settle {
        desk.f
            .usd1
            .settle_redemption(&treasurer, id, [1; 32])
            .await
            .unwrap();
    } else {
        desk.f
            .usd1
            .reject_redemption(&treasurer, id, 9)
            .await
            .unwrap();
    }
    desk.store
        .set_kyb(&acme.id, Kyb::Approved, "alice", "review closed")
        .await
        .unwrap();
    let held = desk.store.redemptions(Some(Stage::Held)).await.unwrap();
    let case = held[0].case_id.clone().unwrap();
    desk.release_case(&case).await;

    let pass = desk.payout().await;
    let (stage, status) = match settle {
        true => (Stage::Paid, RedemptionStatus::Settled),
        false => (Stage::Rejected, RedemptionStatus::Rejected),
    };
    assert_eq!(pass.resolved_outside, vec![(id, stage)]);
    assert!(pass.files.is_empty(), "{pass:?}");
    assert!(
        desk.bank.process_payments().unwrap().is_empty(),
        "nothing paid"
    );
    assert_eq!(desk.f.usd1.redemption(id).await.unwrap().status, status);
    let redemption = &desk.store.redemptions(Some(stage)).await.unwrap()[0];
    let holder = wallet.pubkey().to_string();
    let said = if settle {
        "settled on-chain outside the desk"
    } else {
        "rejected on-chain outside the desk"
    };
    assert!(
        redemption.why.as_deref().unwrap().starts_with(said),
        "{redemption:?}"
    );
    assert!(case_saying(&desk, &holder, said).await);
    let books = desk.store.books().await.unwrap();
    if settle {
        // Burned, and not paid by the desk: still owed on its books.
        assert_eq!(books.balance(&owed), owed_before);
        assert_eq!(desk.balance(&wallet.pubkey()).await, 150 * ONE);
    } else {
        // The tokens are back: nothing is owed.
        assert_eq!(books.balance(&owed), 0);
        assert_eq!(desk.balance(&wallet.pubkey()).await, 250 * ONE);
    }
    // Another pass does nothing more.
    let again = desk.payout().await;
    assert!(
        again.resolved_outside.is_empty() && again.files.is_empty(),
        "{again:?}"
    );
    desk.store
        .verify_cases_of(&Held)
        .await
        .unwrap()
        .expect("the history verifies");
}

async fn rejected_outside_while_due_on(url: &str) {
    due_but_resolved_outside(url, false).await;
}

async fn settled_outside_while_due_on(url: &str) {
    due_but_resolved_outside(url, true).await;
}

both_databases!(
    a_due_redemption_rejected_outside_the_desk_is_never_paid,
    rejected_outside_while_due_on
);
both_databases!(
    a_due_redemption_settled_outside_the_desk_is_not_paid_and_still_owed,
    settled_outside_while_due_on
);

/// The bank paid it, and meanwhile the treasurer's key rejected it
/// on-chain outside the desk: the customer holds both; a case says so.
async fn paid_by_the_bank_and_rejected_outside_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let (acme, wallet) = desk.redeeming_customer("Acme", "250.00").await;
    let id = desk.redeem(&wallet, 100 * ONE).await;
    assert_eq!(desk.payout().await.files.len(), 1);
    let treasurer = desk.f.treasurer.insecure_clone();
    desk.f
        .usd1
        .reject_redemption(&treasurer, id, 9)
        .await
        .unwrap();
    desk.bank_pays().await;

    let pass = desk.payout().await;
    assert_eq!(pass.resolved_outside, vec![(id, Stage::Rejected)]);
    assert!(pass.resolved.is_empty(), "nothing sent on-chain: {pass:?}");
    assert_eq!(desk.balance(&wallet.pubkey()).await, 250 * ONE);
    let holder = wallet.pubkey().to_string();
    assert!(case_saying(&desk, &holder, "holds both the dollars and the tokens").await);
    // Paid out and the tokens back: the customer owes the desk the payout.
    let books = desk.store.books().await.unwrap();
    assert!(books.balance(&Account::Customer(acme.id)) > 0, "{books:?}");
    assert_eq!(books.total(), 0);
}

both_databases!(
    a_payment_the_bank_made_for_a_redemption_rejected_outside_opens_a_case,
    paid_by_the_bank_and_rejected_outside_on
);
