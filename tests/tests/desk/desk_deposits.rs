//! Dollars in, USD1 out: a wire carrying a customer's reference is minted to
//! its wallet with the deposit's hash on-chain, once, however many files
//! report it; what the reserve does not cover waits for an attestation;
//! what is not the customer's to mint (no reference, a listed wallet, no
//! approval, a large amount without a second operator) waits visibly.
use solana_sdk::pubkey::Pubkey;
use usd1_client::ledger::Ledger;
use usd1_client::screening::{List, Screener};
use usd1_desk::decide::{Kyb, State};
use usd1_desk::ledger::Account;
use usd1_desk::scopes::Scope;
use usd1_desk::store::deposits::{Approval, ApprovalError};
use usd1_desk::store::Held;
use usd1_service::cases::{Actor, Approved, CaseError, Decided, Decision};
use usd1_tests::both_databases;
use usd1_tests::desk_harness::{Desk, FOUR_EYES_ABOVE, ISSUER_ACCOUNT};
use usd1_tests::fixture::ONE;

/// The memo instructions of the transaction `signature` that `history` of the mint holds.
async fn memos_of(desk: &Desk, signature: &str) -> Vec<String> {
    let history = desk.f.ledger.history(&desk.f.mint()).await.unwrap();
    history
        .iter()
        .filter(|t| t.signature.to_string() == signature)
        .flat_map(|t| t.instructions.iter())
        .filter(|ix| ix.program_id == usd1_client::instructions::MEMO_PROGRAM_ID)
        .map(|ix| String::from_utf8_lossy(&ix.data).to_string())
        .collect()
}

async fn a_wire_with_its_reference_is_minted_once_with_its_hash_on_chain_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let (acme, wallet) = desk.approved_customer("Acme Treasury LLC").await;
    desk.wire("250.00", &format!("SUBSCRIPTION {}", acme.reference));
    let first = desk.bank.write_statement(ISSUER_ACCOUNT).unwrap();
    let imported = desk.import(&first).await;
    assert!(imported.new_file);
    assert_eq!(imported.new_entries, 1);
    let [(id, State::Ready)] = imported.deposits.as_slice() else {
        panic!("{imported:?}");
    };
    let supply = desk.f.supply().await;

    let pass = desk.pass().await;
    assert_eq!(pass.minted.len(), 1, "{pass:?}");
    assert_eq!(desk.balance(&wallet).await, 250 * ONE);
    assert_eq!(desk.f.supply().await, supply + 250 * ONE);
    let deposit = desk.store.deposit(id).await.unwrap().unwrap();
    assert_eq!(deposit.state, State::Minted);
    assert_eq!(deposit.wallet.as_deref(), Some(wallet.to_string().as_str()));
    // Anyone holding the statement recomputes the hash and finds the mint.
    let hash = usd1_desk::store::statements::reference_hash(ISSUER_ACCOUNT, &deposit.identity);
    assert_eq!(deposit.reference_hash, hash);
    let bytes = usd1_client::sha256(format!("{ISSUER_ACCOUNT}\n{}", deposit.identity).as_bytes());
    assert_eq!(usd1_client::hex(&bytes), hash);
    // The memo writes the same 32 bytes in base58, as Solana writes hashes.
    let base58 = solana_sdk::hash::Hash::new_from_array(bytes).to_string();
    assert_eq!(
        memos_of(&desk, &pass.minted[0].1).await,
        vec![format!("usd1-desk deposit {base58}")]
    );

    // The same file again (under another name), a new statement, the
    // intraday report and the BAI2 file of the same booking: nothing new,
    // nothing minted again.
    let bytes = std::fs::read(&first).unwrap();
    let twice = desk
        .store
        .import_statement("again.xml", &bytes, desk.intake())
        .await
        .unwrap();
    assert!(!twice.new_file);
    assert!(twice.deposits.is_empty());
    let again = desk.statement().await;
    assert_eq!(
        (again.new_file, again.new_entries, again.deposits.len()),
        (true, 0, 0)
    );
    let intraday = desk.bank.write_intraday(ISSUER_ACCOUNT).unwrap();
    assert_eq!(desk.import(&intraday).await.new_entries, 0);
    let bai2 = desk.bank.write_bai2("USD1ISSUER").unwrap();
    assert_eq!(desk.import(&bai2).await.deposits.len(), 0);
    assert_eq!(desk.pass().await.minted.len(), 0);
    assert_eq!(desk.balance(&wallet).await, 250 * ONE);

    // The books: the cash backs the tokens; nothing owed to the customer.
    let books = desk.store.books().await.unwrap();
    assert_eq!(books.total(), 0);
    assert_eq!(books.balance(&Account::BankCash), i128::from(250 * ONE));
    assert_eq!(
        books.balance(&Account::TokensOutstanding),
        -i128::from(250 * ONE)
    );
    assert_eq!(books.balance(&Account::Customer(acme.id.clone())), 0);
}

async fn a_deposit_the_reserve_does_not_cover_waits_and_is_minted_when_an_attestation_covers_it_on(
    url: &str,
) {
    let mut desk = Desk::on(Some(url.into()), 100 * ONE, FOUR_EYES_ABOVE).await;
    let (acme, wallet) = desk.approved_customer("Acme").await;
    desk.wire("250.00", &acme.reference);
    let imported = desk.statement().await;
    let id = imported.deposits[0].0.clone();
    let supply = desk.f.supply().await;

    for _ in 0..3 {
        let pass = desk.pass().await;
        assert_eq!(pass.awaiting_reserve, vec![id.clone()], "{pass:?}");
        assert!(pass.minted.is_empty());
    }
    let deposit = desk.store.deposit(&id).await.unwrap().unwrap();
    assert_eq!(deposit.state, State::AwaitingReserve);
    assert!(deposit.why.unwrap().contains("allows $100.00 more"));
    assert_eq!(desk.f.supply().await, supply, "nothing above the ceiling");
    // Waiting is one event, not one per pass.
    let waits: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE kind = 'deposit.awaiting_reserve'")
            .fetch_one(desk.store.pool())
            .await
            .unwrap();
    assert_eq!(waits, 1);

    desk.f.attest(1_000 * ONE).await.unwrap();
    let pass = desk.pass().await;
    assert_eq!(pass.minted.len(), 1, "{pass:?}");
    assert_eq!(desk.balance(&wallet).await, 250 * ONE);
}

async fn money_that_is_no_ones_to_mint_waits_visibly_and_nothing_is_dropped_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    // No reference: suspense, with a case.
    desk.wire("10.00", "INVOICE 4411 THANK YOU");
    // A customer not approved yet.
    let pending = desk
        .store
        .create_customer("Slow Corp", "alice")
        .await
        .unwrap();
    let slow_wallet = solana_sdk::signature::Keypair::new();
    desk.store
        .register_wallet(
            &pending.id,
            &solana_sdk::signer::Signer::pubkey(&slow_wallet).to_string(),
            &Screener::default(),
            "alice",
        )
        .await
        .unwrap();
    desk.wire("20.00", &pending.reference);
    // A customer whose wallet is on a list.
    let (listed, listed_wallet, _) = desk.listed_customer("Listed Ltd", "sanctioned").await;
    desk.wire("30.00", &listed.reference);

    let imported = desk.statement().await;
    let states: Vec<State> = imported.deposits.iter().map(|(_, s)| *s).collect();
    assert_eq!(
        states,
        vec![State::Suspense, State::AwaitingKyb, State::Held]
    );
    assert!(desk.pass().await.minted.is_empty());

    // Every dollar is on the books: suspense, and owed to the two customers.
    let books = desk.store.books().await.unwrap();
    assert_eq!(books.balance(&Account::BankCash), i128::from(60 * ONE));
    assert_eq!(books.balance(&Account::Suspense), -i128::from(10 * ONE));
    assert_eq!(
        books.balance(&Account::Customer(pending.id.clone())),
        -i128::from(20 * ONE)
    );
    // The suspense and the held deposit each have a case; the history verifies.
    let cases = desk.store.cases(None).await.unwrap();
    assert!(
        cases.iter().any(|c| c.subject == listed_wallet.to_string()),
        "{cases:?}"
    );
    assert!(
        cases.iter().any(|c| c.subject.starts_with("deposit:dep_")),
        "{cases:?}"
    );
    desk.store
        .verify_cases_of(&Held)
        .await
        .unwrap()
        .expect("the history verifies");

    // Approved now: the waiting deposit is minted by the next pass.
    desk.store
        .set_kyb(&pending.id, Kyb::Approved, "bob", "documents checked")
        .await
        .unwrap();
    let pass = desk.pass().await;
    assert_eq!(pass.minted.len(), 1, "{pass:?}");
    assert_eq!(
        desk.balance(&solana_sdk::signer::Signer::pubkey(&slow_wallet))
            .await,
        20 * ONE
    );
    let history = desk.store.kyb_history(&pending.id).await.unwrap();
    let said: Vec<(Kyb, &str)> = history
        .iter()
        .map(|h| (h.status, h.operator.as_str()))
        .collect();
    assert_eq!(said, vec![(Kyb::Pending, "alice"), (Kyb::Approved, "bob")]);
}

async fn a_pending_wire_waits_for_its_booking_and_is_minted_once_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let (acme, wallet) = desk.approved_customer("Acme").await;
    desk.bank
        .wire_in_pending(ISSUER_ACCOUNT, "40.00", &acme.reference, ("ACME", "1"))
        .unwrap();
    let intraday = desk.bank.write_intraday(ISSUER_ACCOUNT).unwrap();
    let seen = desk.import(&intraday).await;
    assert_eq!(seen.deposits[0].1, State::Pending);
    assert!(desk.pass().await.minted.is_empty());
    assert_eq!(desk.store.books().await.unwrap().total(), 0);
    assert!(
        desk.store.books().await.unwrap().balances.is_empty(),
        "no money yet"
    );

    desk.bank.book_pending(ISSUER_ACCOUNT);
    let booked = desk.statement().await;
    assert_eq!(
        booked.deposits,
        vec![(seen.deposits[0].0.clone(), State::Ready)]
    );
    assert_eq!(desk.pass().await.minted.len(), 1);
    assert_eq!(desk.balance(&wallet).await, 40 * ONE);
}

async fn a_large_deposit_needs_a_second_operator_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, 100 * ONE).await;
    let (acme, wallet) = desk.approved_customer("Acme").await;
    desk.wire("250.00", &acme.reference);
    let id = desk.statement().await.deposits[0].0.clone();
    assert_eq!(
        desk.store.deposit(&id).await.unwrap().unwrap().state,
        State::AwaitingApproval
    );
    assert!(desk.pass().await.minted.is_empty());

    assert_eq!(
        desk.store.approve_deposit(&id, "alice").await.unwrap(),
        Ok(Approval::Proposed)
    );
    assert_eq!(
        desk.store.approve_deposit(&id, "alice").await.unwrap(),
        Err(ApprovalError::FourEyes {
            id: id.clone(),
            operator: "alice".into()
        })
    );
    assert!(desk.pass().await.minted.is_empty());
    assert_eq!(
        desk.store.approve_deposit(&id, "bob").await.unwrap(),
        Ok(Approval::Approved)
    );
    assert_eq!(desk.pass().await.minted.len(), 1);
    assert_eq!(desk.balance(&wallet).await, 250 * ONE);
    assert!(matches!(
        desk.store.approve_deposit(&id, "carol").await.unwrap(),
        Err(ApprovalError::NotAwaiting {
            state: State::Minted,
            ..
        })
    ));
}

async fn a_reversal_cancels_a_deposit_before_its_mint_and_opens_a_case_after_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, 100 * ONE).await;
    let (acme, _) = desk.approved_customer("Acme").await;
    // Waits for a second operator; reversed meanwhile.
    let big = desk.wire("250.00", &acme.reference);
    // Minted, then reversed.
    let small = desk.wire("50.00", &acme.reference);
    let imported = desk.statement().await;
    assert_eq!(desk.pass().await.minted.len(), 1);
    desk.bank.reverse_wire_in(ISSUER_ACCOUNT, &big).unwrap();
    desk.bank.reverse_wire_in(ISSUER_ACCOUNT, &small).unwrap();
    let reversed = desk.statement().await;
    let states: Vec<State> = reversed.deposits.iter().map(|(_, s)| *s).collect();
    assert_eq!(states, vec![State::Cancelled, State::ReturnedAfterMint]);
    assert_eq!(
        reversed
            .deposits
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>(),
        imported
            .deposits
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>()
    );
    let cases = desk.store.cases(None).await.unwrap();
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert!(cases[0].reason.contains("tokens without dollars"));
    // The customer owes the 50 dollars its tokens stand for; the cash is gone.
    let books = desk.store.books().await.unwrap();
    assert_eq!(books.total(), 0);
    assert_eq!(books.balance(&Account::BankCash), 0);
    assert_eq!(
        books.balance(&Account::Customer(acme.id.clone())),
        i128::from(50 * ONE)
    );
    assert_eq!(
        books.balance(&Account::TokensOutstanding),
        -i128::from(50 * ONE)
    );
}

/// A held deposit's case released by two people (a false positive): the
/// wallet's listing is cleared, the deposit minted by the next pass, and the
/// same list does not hold it again.
async fn a_released_case_lets_its_deposit_be_minted_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let (acme, wallet, screener) = desk.listed_customer("Acme", "a namesake").await;
    desk.wire("40.00", &acme.reference);
    assert_eq!(desk.statement().await.deposits[0].1, State::Held);
    let case = desk.store.cases(None).await.unwrap().remove(0);
    let (alice, _) = desk
        .store
        .create_key("a", "alice", &Scope::ALL)
        .await
        .unwrap();
    let (bob, _) = desk
        .store
        .create_key("b", "bob", &Scope::ALL)
        .await
        .unwrap();
    let (alice, bob) = (Actor::of_key(&alice).unwrap(), Actor::of_key(&bob).unwrap());
    let kit = desk.store.kit();
    assert_eq!(
        kit.decide_case_seen(
            &Held,
            &case.id,
            Decision::Release,
            &alice,
            "a namesake",
            None
        )
        .await
        .unwrap(),
        Decided::ReleaseProposed
    );
    let refused = kit
        .approve_case_seen(&Held, &case.id, &alice, "me again", None)
        .await;
    assert!(
        matches!(refused, Err(CaseError::FourEyes { .. })),
        "{refused:?}"
    );
    let approved = kit
        .approve_case_seen(&Held, &case.id, &bob, "checked", None)
        .await
        .unwrap();
    let deposit = desk.store.deposits(None).await.unwrap().remove(0);
    assert_eq!(
        approved,
        Approved::Release(vec![format!("deposit:{}", deposit.id)])
    );
    assert_eq!(desk.pass().await.minted.len(), 1);
    assert_eq!(desk.balance(&wallet).await, 40 * ONE);
    assert!(
        desk.store
            .rescreen_wallets(&screener)
            .await
            .unwrap()
            .is_empty(),
        "cleared by its case"
    );
    kit.verify_cases_of(&Held)
        .await
        .unwrap()
        .expect("the history verifies");
}

both_databases!(
    a_released_case_lets_its_deposit_be_minted,
    a_released_case_lets_its_deposit_be_minted_on
);

/// Deposits minted together in one transaction: each `mint_to` is followed
/// by the memo naming its deposit, so the events and the memos pair up.
async fn deposits_minted_together_each_carry_their_memo_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 1_000 * ONE, FOUR_EYES_ABOVE).await;
    let mut expected = Vec::new();
    for n in 0..3u64 {
        let (customer, wallet) = desk.approved_customer(&format!("Customer {n}")).await;
        desk.wire(&format!("{}.00", 10 + n), &customer.reference);
        expected.push((wallet, (10 + n) * ONE));
    }
    desk.statement().await;
    let pass = desk.pass().await;
    assert_eq!(pass.minted.len(), 3);
    let signatures: std::collections::BTreeSet<&String> =
        pass.minted.iter().map(|(_, s)| s).collect();
    assert!(signatures.len() < 3, "packed: {signatures:?}");
    let history = desk.f.ledger.history(&desk.f.mint()).await.unwrap();
    for (id, signature) in &pass.minted {
        let deposit = desk.store.deposit(id).await.unwrap().unwrap();
        let tx = history
            .iter()
            .find(|t| &t.signature.to_string() == signature)
            .unwrap();
        // The instructions in order: this deposit's mint, then its memo.
        let programs: Vec<(Pubkey, Vec<u8>)> = tx
            .instructions
            .iter()
            .map(|ix| (ix.program_id, ix.data.clone()))
            .collect();
        let memo = programs
            .iter()
            .position(|(p, data)| {
                *p == usd1_client::instructions::MEMO_PROGRAM_ID
                    && *data == deposit.memo().into_bytes()
            })
            .expect("its memo");
        assert_eq!(
            programs[memo - 1].0,
            usd1::ID,
            "its mint_to right before its memo"
        );
    }
    for (wallet, amount) in expected {
        assert_eq!(desk.balance(&wallet).await, amount);
    }
}

both_databases!(
    deposits_minted_together_each_carry_their_memo,
    deposits_minted_together_each_carry_their_memo_on
);

/// A list that changes names a customer's wallet: its money not yet minted
/// is held under a case, and no bank account is linked to it any more; a
/// suspended customer's wire waits; the same wire notified (camt.054) and
/// stated is one deposit.
async fn a_list_that_changes_holds_what_is_not_yet_minted_on(url: &str) {
    let mut desk = Desk::on(Some(url.into()), 100 * ONE, FOUR_EYES_ABOVE).await;
    let (acme, wallet) = desk.approved_customer("Acme").await;
    let reference = desk.wire("250.00", &acme.reference);
    let notified = desk
        .bank
        .write_notification(ISSUER_ACCOUNT, &reference)
        .unwrap();
    assert_eq!(desk.import(&notified).await.deposits.len(), 1);
    assert_eq!(
        desk.statement().await.deposits.len(),
        0,
        "the statement's entry is the notified one"
    );
    // 250 is more than the reserve's 100: it waits for the reserve.
    assert_eq!(desk.pass().await.awaiting_reserve.len(), 1);
    let csv = format!("address,reason,source,added_at\n{wallet},sanctioned,OFAC,2026-12-07\n");
    let screener = Screener::new(vec![List::parse("issuer.csv", csv.as_bytes()).unwrap()]);
    let found = desk.store.rescreen_wallets(&screener).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].held.len(), 1);
    assert!(
        desk.store
            .rescreen_wallets(&screener)
            .await
            .unwrap()
            .is_empty(),
        "once"
    );
    let held = desk.store.deposits(Some(State::Held)).await.unwrap();
    assert_eq!(held.len(), 1);
    desk.f.attest(1_000 * ONE).await.unwrap();
    assert!(
        desk.pass().await.minted.is_empty(),
        "held: not minted even with the reserve"
    );
    desk.store
        .verify_cases_of(&Held)
        .await
        .unwrap()
        .expect("the history verifies");
    let refused = desk
        .store
        .add_bank_account(
            &acme.id,
            &usd1_desk::store::customers::BankAccount {
                holder: "Acme".into(),
                number: Some("12345678".into()),
                routing: Some(usd1_tests::bank::ROUTING.into()),
                town: "New York".into(),
                country: "US".into(),
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(usd1_desk::store::customers::CustomerError::Listed(_))
        ),
        "{refused:?}"
    );

    // A suspended customer's wire waits; reinstated, it is minted.
    let (other, other_wallet) = desk.approved_customer("Other").await;
    desk.store
        .set_kyb(&other.id, Kyb::Suspended, "bob", "review")
        .await
        .unwrap();
    desk.wire("30.00", &other.reference);
    assert_eq!(desk.statement().await.deposits[0].1, State::AwaitingKyb);
    assert!(desk.pass().await.minted.is_empty());
    desk.store
        .set_kyb(&other.id, Kyb::Approved, "carol", "review closed")
        .await
        .unwrap();
    assert_eq!(desk.pass().await.minted.len(), 1);
    assert_eq!(desk.balance(&other_wallet).await, 30 * ONE);
}

both_databases!(
    a_list_that_changes_holds_what_is_not_yet_minted,
    a_list_that_changes_holds_what_is_not_yet_minted_on
);

both_databases!(
    a_wire_with_its_reference_is_minted_once_with_its_hash_on_chain,
    a_wire_with_its_reference_is_minted_once_with_its_hash_on_chain_on
);
both_databases!(
    a_deposit_the_reserve_does_not_cover_waits_and_is_minted_when_an_attestation_covers_it,
    a_deposit_the_reserve_does_not_cover_waits_and_is_minted_when_an_attestation_covers_it_on
);
both_databases!(
    money_that_is_no_ones_to_mint_waits_visibly_and_nothing_is_dropped,
    money_that_is_no_ones_to_mint_waits_visibly_and_nothing_is_dropped_on
);
both_databases!(
    a_pending_wire_waits_for_its_booking_and_is_minted_once,
    a_pending_wire_waits_for_its_booking_and_is_minted_once_on
);
both_databases!(
    a_large_deposit_needs_a_second_operator,
    a_large_deposit_needs_a_second_operator_on
);
both_databases!(
    a_reversal_cancels_a_deposit_before_its_mint_and_opens_a_case_after,
    a_reversal_cancels_a_deposit_before_its_mint_and_opens_a_case_after_on
);
