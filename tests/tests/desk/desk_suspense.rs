//! A wire whose remittance names no customer waits in suspense under a case
//! until an operator names the customer it belongs to: the dollars become
//! what the desk owes that customer, the case's history says who named whom,
//! and the case's release by two operators lets it be minted, once. Every
//! refusal is named and changes nothing; an owner changed behind the
//! history's back is found. A deposit a case let go and that is held
//! again (its customer listed since) is held under a case of its own.
use serde_json::Value;
use sqlx::Row;
use usd1_desk::decide::State;
use usd1_desk::ledger::{Account, Books};
use usd1_desk::store::deposits::Deposit;
use usd1_desk::store::suspense::OwnerError;
use usd1_desk::store::Held;
use usd1_service::cases::{Actor, Approved, CaseError, Decided, Decision};
use usd1_tests::both_databases;
use usd1_tests::desk_harness::{listing, Desk, FOUR_EYES_ABOVE, ISSUER_ACCOUNT};
use usd1_tests::fixture::ONE;
use usd1_tests::tour::{binary, build_binaries};

/// A desk with one wire of $75 in suspense: the desk, the deposit, its
/// case, and the wire's bank reference.
async fn in_suspense(url: Option<String>) -> (Desk, Deposit, String, String) {
    let mut desk = Desk::on(url, 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let wire = desk.wire("75.00", "INVOICE 4411 THANK YOU");
    assert_eq!(desk.statement().await.deposits[0].1, State::Suspense);
    let deposit = desk.store.deposits(None).await.unwrap().remove(0);
    let case = deposit.case_id.clone().expect("a case holds it");
    (desk, deposit, case, wire)
}

/// The deposit's events, in order.
async fn kinds(desk: &Desk, deposit: &str) -> Vec<String> {
    sqlx::query("SELECT kind FROM events WHERE stream_id = $1 ORDER BY stream_seq")
        .bind(deposit)
        .fetch_all(desk.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("kind").unwrap())
        .collect()
}

/// What a refusal must leave as it was: the books, every deposit, the history.
async fn snapshot(desk: &Desk) -> (Books, Vec<Deposit>, usize) {
    let history = sqlx::query("SELECT seq FROM case_history")
        .fetch_all(desk.store.pool())
        .await
        .unwrap();
    (
        desk.store.books().await.unwrap(),
        desk.store.deposits(None).await.unwrap(),
        history.len(),
    )
}

async fn named_and_released_by_two_operators_is_minted_once_on(url: &str) {
    let (desk, deposit, case, _) = in_suspense(Some(url.into())).await;
    let (acme, wallet) = desk.approved_customer("Acme").await;
    let (alice, bob) = (desk.operator("alice").await.0, desk.operator("bob").await.0);
    let kit = desk.store.kit();

    // Released to no one: refused, nothing proposed.
    let before = snapshot(&desk).await;
    let refused = kit
        .decide_case_seen(&Held, &case, Decision::Release, &alice, "x", None)
        .await;
    assert!(
        matches!(&refused, Err(CaseError::NotReleasable { id, why })
            if *id == case && why.contains(&deposit.id)),
        "{refused:?}"
    );
    assert_eq!(snapshot(&desk).await, before);
    assert!(desk
        .store
        .case(&case)
        .await
        .unwrap()
        .unwrap()
        .release
        .is_none());

    let named = desk
        .store
        .name_owner(
            &case,
            &deposit.id,
            &acme.id,
            &alice,
            "Acme's treasurer sent the wire's confirmation",
        )
        .await
        .unwrap();
    assert_eq!(
        (named.state, named.customer_id.as_deref()),
        (State::Suspense, Some(acme.id.as_str()))
    );
    let owed = Account::Customer(acme.id.clone());
    let books = desk.store.books().await.unwrap();
    assert_eq!(books.balance(&Account::Suspense), 0);
    assert_eq!(books.balance(&owed), -i128::from(75 * ONE));
    // Still held by its case: not minted before the release.
    assert!(desk.pass().await.minted.is_empty());

    assert_eq!(
        kit.decide_case_seen(&Held, &case, Decision::Release, &alice, "owner named", None)
            .await
            .unwrap(),
        Decided::ReleaseProposed
    );
    assert_eq!(
        kit.approve_case_seen(&Held, &case, &bob, "confirmation checked", None)
            .await
            .unwrap(),
        Approved::Release(vec![format!("deposit:{}", deposit.id)])
    );
    assert_eq!(desk.pass().await.minted.len(), 1);
    assert!(desk.pass().await.minted.is_empty(), "minted once");
    assert_eq!(desk.balance(&wallet).await, 75 * ONE);
    let books = desk.store.books().await.unwrap();
    assert_eq!(books.balance(&owed), 0);
    assert_eq!(
        books.balance(&Account::TokensOutstanding),
        -i128::from(75 * ONE)
    );
    assert_eq!(books.balance(&Account::BankCash), i128::from(75 * ONE));

    let history = desk.store.case_history(&case).await.unwrap();
    let naming = history.iter().find(|e| e.action == "owner named").unwrap();
    assert_eq!(naming.operator, "alice");
    assert_eq!(naming.detail["customer"], Value::from(acme.id.clone()));
    assert_eq!(
        kinds(&desk, &deposit.id).await,
        ["deposit.held", "deposit.owner_named", "deposit.minted"]
    );
    kit.verify_cases_of(&Held)
        .await
        .unwrap()
        .expect("the history verifies");
}

both_databases!(
    named_and_released_by_two_operators_is_minted_once,
    named_and_released_by_two_operators_is_minted_once_on
);

async fn every_refusal_is_named_and_changes_nothing_on(url: &str) {
    let (mut desk, deposit, case, _) = in_suspense(Some(url.into())).await;
    let (acme, _) = desk.approved_customer("Acme").await;
    let (listed, _, _) = desk.listed_customer("Listed Ltd", "sanctioned").await;
    desk.wire("30.00", &listed.reference);
    desk.statement().await;
    let held = desk
        .store
        .deposits(Some(State::Held))
        .await
        .unwrap()
        .remove(0);
    let held_case = held.case_id.clone().unwrap();
    let (alice, bob) = (desk.operator("alice").await.0, desk.operator("bob").await.0);
    let name = |case: &str, deposit: &str, customer: &str, actor: &Actor| {
        let (store, case, deposit, customer, actor) = (
            desk.store.clone(),
            case.to_string(),
            deposit.to_string(),
            customer.to_string(),
            actor.clone(),
        );
        async move {
            store
                .name_owner(&case, &deposit, &customer, &actor, "why")
                .await
        }
    };

    let before = snapshot(&desk).await;
    let refusals = [
        (
            name(&case, "dep_nope", &acme.id, &alice).await,
            "no deposit dep_nope".to_string(),
        ),
        (
            name(&case, &held.id, &acme.id, &alice).await,
            format!("deposit {} is not held by case {case}", held.id),
        ),
        (
            name(&held_case, &held.id, &acme.id, &alice).await,
            format!("deposit {} is held, not in suspense", held.id),
        ),
        (
            name(&case, &deposit.id, "cus_nope", &alice).await,
            "no customer cus_nope".into(),
        ),
        (
            name(&case, &deposit.id, &listed.id, &alice).await,
            format!(
                "customer {} has a wallet on a sanctions list: its deposits are held, not named",
                listed.id
            ),
        ),
        (
            name(&case, &deposit.id, &acme.id, &Actor::new(" ", None)).await,
            "an operator name is required".into(),
        ),
        (
            name("case_nope", &deposit.id, &acme.id, &alice).await,
            "no case case_nope".into(),
        ),
    ];
    for (refused, said) in refusals {
        assert_eq!(refused.map(|d| d.id).unwrap_err().to_string(), said);
    }
    assert_eq!(snapshot(&desk).await, before);

    name(&case, &deposit.id, &acme.id, &alice).await.unwrap();
    let before = snapshot(&desk).await;
    let again = name(&case, &deposit.id, &acme.id, &bob).await;
    assert!(
        matches!(&again, Err(OwnerError::AlreadyNamed { customer, .. }) if *customer == acme.id),
        "{again:?}"
    );
    let kit = desk.store.kit();
    kit.decide_case_seen(&Held, &case, Decision::Release, &alice, "owner named", None)
        .await
        .unwrap();
    let pending = name(&case, &deposit.id, &acme.id, &bob).await;
    assert!(
        matches!(
            &pending,
            Err(OwnerError::Case(CaseError::DecisionPending {
                pending: "release",
                ..
            }))
        ),
        "{pending:?}"
    );
    kit.approve_case_seen(&Held, &case, &bob, "checked", None)
        .await
        .unwrap();
    let closed = name(&case, &deposit.id, &acme.id, &bob).await;
    assert!(
        matches!(&closed, Err(OwnerError::Case(CaseError::Closed { .. }))),
        "{closed:?}"
    );
    let (books, _, _) = snapshot(&desk).await;
    assert_eq!(books, before.0, "the release books nothing");
}

both_databases!(
    every_refusal_is_named_and_changes_nothing,
    every_refusal_is_named_and_changes_nothing_on
);

/// Named, then the customer's wallet listed before the case's release: the
/// deposit is held again under the wallet's case (not left held under a
/// closed one), whose release by two people lets it be minted; the history
/// verifies throughout.
async fn listed_after_naming_is_held_again_on(url: &str) {
    let (desk, deposit, case, _) = in_suspense(Some(url.into())).await;
    let (acme, wallet) = desk.approved_customer("Acme").await;
    let alice = desk.operator("alice").await.0;
    desk.store
        .name_owner(&case, &deposit.id, &acme.id, &alice, "confirmed")
        .await
        .unwrap();
    let screener = listing(&wallet, "a namesake");
    assert_eq!(
        desk.store.rescreen_wallets(&screener).await.unwrap().len(),
        1
    );
    desk.release_case(&case).await;
    assert!(desk.pass().await.minted.is_empty());
    let held = desk.store.deposit(&deposit.id).await.unwrap().unwrap();
    assert_eq!(held.state, State::Held);
    let wallet_case = held.case_id.clone().unwrap();
    let open = desk.store.case(&wallet_case).await.unwrap().unwrap();
    assert_eq!(
        (open.subject.as_str(), open.status.is_closed()),
        (wallet.to_string().as_str(), false)
    );
    let kit = desk.store.kit();
    kit.verify_cases_of(&Held).await.unwrap().expect("intact");

    desk.release_case(&wallet_case).await;
    assert_eq!(desk.pass().await.minted.len(), 1);
    assert_eq!(desk.balance(&wallet).await, 75 * ONE);
    kit.verify_cases_of(&Held).await.unwrap().expect("intact");
}

both_databases!(
    a_deposit_whose_owner_is_listed_before_its_release_is_held_again,
    listed_after_naming_is_held_again_on
);

/// A held deposit released by its case (a namesake), then held again when
/// another wallet of its customer is listed: under that wallet's case, as
/// a hold of its own (not one its first case already released), so the
/// second case's release lets it be minted; the history verifies.
async fn released_then_listed_again_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 100 * ONE, FOUR_EYES_ABOVE).await;
    let (acme, first, _) = desk.listed_customer("Acme", "a namesake").await;
    desk.wire("250.00", &acme.reference);
    assert_eq!(desk.statement().await.deposits[0].1, State::Held);
    let deposit = desk.store.deposits(None).await.unwrap().remove(0);
    desk.release_case(deposit.case_id.as_deref().unwrap()).await;
    // More than the reserve: it waits, not minted yet.
    assert_eq!(desk.pass().await.awaiting_reserve.len(), 1);
    let second = solana_sdk::pubkey::Pubkey::new_unique();
    desk.store
        .register_wallet(&acme.id, &second.to_string(), &Default::default(), "alice")
        .await
        .unwrap();
    let found = desk
        .store
        .rescreen_wallets(&listing(&second, "sanctioned"))
        .await;
    assert_eq!(
        found.unwrap()[0].held,
        vec![format!("deposit:{}", deposit.id)]
    );
    let kit = desk.store.kit();
    kit.verify_cases_of(&Held).await.unwrap().expect("intact");
    let again = desk.store.deposit(&deposit.id).await.unwrap().unwrap();
    assert_eq!(again.state, State::Held);

    desk.release_case(again.case_id.as_deref().unwrap()).await;
    desk.f.attest(1_000 * ONE).await.unwrap();
    assert_eq!(desk.pass().await.minted.len(), 1);
    // To one of its wallets (the first registered; both were in the same second).
    let minted = desk.balance(&first).await + desk.balance(&second).await;
    assert_eq!(minted, 250 * ONE);
    kit.verify_cases_of(&Held).await.unwrap().expect("intact");
}

both_databases!(
    a_released_deposit_held_again_by_a_later_listing_is_released_by_its_new_case,
    released_then_listed_again_on
);

/// The owner named, then changed in the database: the history disagrees.
/// The bank reversing a named wire takes it from what the customer is owed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_changed_behind_the_history_is_found_and_a_reversal_is_the_owners() {
    let (mut desk, deposit, case, wire) = in_suspense(None).await;
    let (acme, _) = desk.approved_customer("Acme").await;
    let (other, _) = desk.approved_customer("Other").await;
    let alice = desk.operator("alice").await.0;
    desk.store
        .name_owner(&case, &deposit.id, &acme.id, &alice, "confirmed")
        .await
        .unwrap();
    let kit = desk.store.kit();
    kit.verify_cases_of(&Held).await.unwrap().expect("intact");
    sqlx::query("UPDATE deposits SET customer_id = $1 WHERE id = $2")
        .bind(&other.id)
        .bind(&deposit.id)
        .execute(desk.store.pool())
        .await
        .unwrap();
    let broken = kit.verify_cases_of(&Held).await.unwrap().unwrap_err();
    assert_eq!(broken.case_id.as_deref(), Some(case.as_str()), "{broken}");
    assert!(
        broken.problem.contains(&format!("deposit:{}", deposit.id)),
        "{broken}"
    );
    sqlx::query("UPDATE deposits SET customer_id = $1 WHERE id = $2")
        .bind(&acme.id)
        .bind(&deposit.id)
        .execute(desk.store.pool())
        .await
        .unwrap();
    kit.verify_cases_of(&Held)
        .await
        .unwrap()
        .expect("intact again");
    let copy = snapshot(&desk).await;
    sqlx::query("UPDATE deposits SET case_id = NULL WHERE id = $1")
        .bind(&deposit.id)
        .execute(desk.store.pool())
        .await
        .unwrap();
    let broken = kit.verify_cases_of(&Held).await.unwrap().unwrap_err();
    assert!(broken.problem.contains("has no row (deleted)"), "{broken}");
    sqlx::query("UPDATE deposits SET case_id = $1 WHERE id = $2")
        .bind(&case)
        .bind(&deposit.id)
        .execute(desk.store.pool())
        .await
        .unwrap();
    assert_eq!(snapshot(&desk).await, copy);

    desk.bank.reverse_wire_in(ISSUER_ACCOUNT, &wire).unwrap();
    desk.statement().await;
    let reversed = desk.store.deposit(&deposit.id).await.unwrap().unwrap();
    assert_eq!(reversed.state, State::Cancelled);
    let books = desk.store.books().await.unwrap();
    assert_eq!(books.balance(&Account::Customer(acme.id.clone())), 0);
    assert_eq!(books.balance(&Account::Suspense), 0);
    assert_eq!(books.balance(&Account::BankCash), 0);
}

/// `usd1-desk case name-owner`, as an operator runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_names_the_owner() {
    build_binaries().expect("binaries");
    let (desk, deposit, case, _) = in_suspense(None).await;
    let (acme, _) = desk.approved_customer("Acme").await;
    let (_, secret) = desk.operator("alice").await;
    let database = format!("sqlite:{}", desk.dir.path().join("desk.db").display());
    let run = |customer: &str| {
        std::process::Command::new(binary("usd1-desk").unwrap())
            .args([
                "--database",
                &database,
                "case",
                "name-owner",
                &case,
                &deposit.id,
                customer,
            ])
            .args(["--why", "the customer's confirmation"])
            .env("USD1_DESK_OPERATOR_KEY", &secret)
            .output()
            .expect("usd1-desk")
    };
    let unknown = run("cus_nope");
    assert!(!unknown.status.success());
    assert_eq!(
        String::from_utf8_lossy(&unknown.stderr).trim(),
        "error: no customer cus_nope"
    );
    let named = run(&acme.id);
    assert!(
        named.status.success(),
        "{}",
        String::from_utf8_lossy(&named.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&named.stdout).trim(),
        format!(
            "case {case}: deposit {} ($75.00) belongs to customer {} (named by alice); \
             releasing the case lets it be minted",
            deposit.id, acme.id
        )
    );
    let stored = desk.store.deposit(&deposit.id).await.unwrap().unwrap();
    assert_eq!(stored.customer_id, Some(acme.id));
}
