//! Compliance cases on the gateway's database (issue 25), on SQLite and a
//! real PostgreSQL: a listed sender's payment held (no `invoice.paid`, a
//! `payment.held` and a case, in one transaction) and processed only when
//! released; four eyes on a freeze (the proposer, by name or by API key,
//! cannot approve it), the approved order file the freeze cites; and the
//! hash-chained history detecting an edited, deleted or cut-off entry and a
//! case row that disagrees with its history.
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use usd1_client::screening::{Finding, List, Role, Screener};
use usd1_client::solana_pay::{Movement, Verdict};
use usd1_gateway::store::cases::{Actor, CaseError, CaseStatus, Decided, Decision};
use usd1_gateway::store::chain::Recorded;
use usd1_gateway::store::invoices::{Created, NewInvoice, Status};
use usd1_gateway::store::keys::Scope;
use usd1_gateway::store::Store;
use usd1_tests::both_databases;

const ONE: u64 = 1_000_000;

/// What the issuer's own list says of `listed`.
fn hits_of(listed: &Pubkey) -> Vec<Finding> {
    let csv = format!(
        "address,reason,source,added_at\n{listed},sanctioned,issuer compliance,2026-11-30\n"
    );
    let list = List::parse("issuer.csv", csv.as_bytes()).expect("list");
    Screener::new(vec![list]).findings(listed, Role::Owner)
}

fn payment(sender: &Pubkey, reference: &Pubkey, mint: &Pubkey, pre: u64, post: u64) -> Movement {
    let mut bytes = [0u8; 64];
    bytes[..32].copy_from_slice(&Pubkey::new_unique().to_bytes());
    bytes[32..].copy_from_slice(&Pubkey::new_unique().to_bytes());
    Movement {
        signature: Signature::from(bytes),
        slot: 10 + post,
        block_time: Some(1_700_000_000),
        mint: *mint,
        pre,
        post,
        fee: 5000,
        fee_payer: *sender,
        counterparties: vec![*sender],
        keys: vec![*sender, *reference],
        memos: vec![],
        events: vec![],
    }
}

/// The kinds of every event written, in order.
async fn event_kinds(store: &Store) -> Vec<String> {
    use sqlx::Row;
    sqlx::query("SELECT kind FROM events ORDER BY seq")
        .fetch_all(store.pool())
        .await
        .expect("events")
        .iter()
        .map(|r| r.try_get::<String, _>("kind").expect("kind"))
        .collect()
}

async fn execute(store: &Store, sql: &str) {
    sqlx::query(sql).execute(store.pool()).await.expect(sql);
}

async fn held_until_released(url: &str) {
    let store = Store::open(url).await.expect("open");
    let mint = Pubkey::new_unique();
    let (key, _) = store.create_key("k", &Scope::ALL).await.expect("key");
    let reference = Pubkey::new_unique();
    let new = NewInvoice {
        amount: 10 * ONE,
        ..Default::default()
    };
    let Created::New(invoice) = store
        .create_invoice(&key.id, &new, &reference.to_string())
        .await
        .expect("invoice")
    else {
        panic!("not new")
    };
    let listed = Pubkey::new_unique();
    let hits = hits_of(&listed);
    assert_eq!(hits.len(), 1);
    let first = payment(&listed, &reference, &mint, 0, 4 * ONE);
    let Recorded::Held {
        case_id,
        invoice_id,
    } = store
        .record_movement_at(&mint, &first, None, &hits)
        .await
        .expect("held")
    else {
        panic!("a listed sender's payment is held");
    };
    assert_eq!(invoice_id.as_deref(), Some(invoice.id.as_str()));
    // A second payment from the same sender joins the same case.
    let second = payment(&listed, &reference, &mint, 4 * ONE, 10 * ONE);
    assert_eq!(
        store
            .record_movement_at(&mint, &second, None, &hits)
            .await
            .expect("held"),
        Recorded::Held {
            case_id: case_id.clone(),
            invoice_id: Some(invoice.id.clone()),
        }
    );
    let unpaid = store.invoice(&key.id, &invoice.id).await.unwrap().unwrap();
    assert_eq!((unpaid.status, unpaid.received), (Status::Open, 0));
    assert_eq!(event_kinds(&store).await, ["payment.held", "payment.held"]);
    let case = store.case(&case_id).await.unwrap().expect("case");
    assert_eq!(
        (case.status, case.subject.as_str()),
        (CaseStatus::Open, listed.to_string().as_str())
    );
    assert!(case.reason.contains("issuer.csv"), "{}", case.reason);
    let kinds: Vec<String> = store
        .movements(None, None)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(kinds, ["held", "held"]);

    let alice = Actor::new("alice", Some(&key.id));
    let assigned = store
        .assign_case(&case_id, "alice", &alice, "mine")
        .await
        .unwrap();
    assert_eq!(assigned.status, CaseStatus::UnderReview);
    store
        .note_case(&case_id, &alice, "a namesake; the entry's identity differs")
        .await
        .unwrap();
    let Decided::Released(outcomes) = store
        .decide_case(&case_id, Decision::Release, &alice, "false positive")
        .await
        .unwrap()
    else {
        panic!("released");
    };
    // Processed as the watcher would have, in chain order.
    assert_eq!(
        outcomes,
        vec![
            Recorded::Payment {
                invoice_id: invoice.id.clone(),
                verdict: Verdict::Underpaid(6 * ONE),
                status: Status::Underpaid,
            },
            Recorded::Payment {
                invoice_id: invoice.id.clone(),
                verdict: Verdict::Paid,
                status: Status::Paid,
            },
        ]
    );
    let paid = store.invoice(&key.id, &invoice.id).await.unwrap().unwrap();
    assert_eq!((paid.status, paid.received), (Status::Paid, 10 * ONE));
    assert_eq!(
        event_kinds(&store).await,
        [
            "payment.held",
            "payment.held",
            "invoice.underpaid",
            "invoice.paid"
        ]
    );
    // Decided once: a second decision is refused and changes nothing.
    let history = store.case_history(&case_id).await.unwrap();
    let again = store
        .decide_case(&case_id, Decision::Release, &alice, "again")
        .await;
    assert!(
        matches!(
            again,
            Err(CaseError::Closed {
                status: CaseStatus::Released,
                ..
            })
        ),
        "{again:?}"
    );
    assert_eq!(store.case_history(&case_id).await.unwrap(), history);
    assert_eq!(event_kinds(&store).await.len(), 4);
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "opened",
            "payment held",
            "payment held",
            "assigned",
            "note",
            "released"
        ]
    );
    assert!(store.verify_cases().await.unwrap().is_ok());
}
both_databases!(
    a_listed_senders_payment_is_held_until_released,
    held_until_released
);

async fn four_eyes(url: &str) {
    let store = Store::open(url).await.expect("open");
    let (k1, _) = store.create_key("one", &Scope::ALL).await.expect("key");
    let (k2, _) = store.create_key("two", &Scope::ALL).await.expect("key");
    let subject = Pubkey::new_unique().to_string();
    let alice = Actor::new("alice", Some(&k1.id));
    let case = store
        .open_case(&subject, "a court order names this wallet", &alice)
        .await
        .unwrap();
    assert!(matches!(
        store.approve_freeze(&case.id, &alice, "no proposal").await,
        Err(CaseError::NoFreezeProposed(_))
    ));
    store
        .decide_case(
            &case.id,
            Decision::Freeze { reason_code: 7 },
            &alice,
            "order 2026-114",
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .decide_case(
                &case.id,
                Decision::Freeze { reason_code: 8 },
                &alice,
                "twice"
            )
            .await,
        Err(CaseError::FreezeAlreadyProposed(_))
    ));
    let before = store.case_history(&case.id).await.unwrap();
    // The proposer cannot approve: not under another key, not under the
    // same key with another name.
    for actor in [
        Actor::new("alice", Some(&k2.id)),
        Actor::new("bob", Some(&k1.id)),
        Actor::new("alice", None),
    ] {
        let refused = store.approve_freeze(&case.id, &actor, "me again").await;
        assert!(
            matches!(&refused, Err(CaseError::FourEyes { operator }) if operator == "alice"),
            "{actor:?}: {refused:?}"
        );
    }
    assert_eq!(store.case_history(&case.id).await.unwrap(), before);
    assert!(store.case_files(&case.id).await.unwrap().is_empty());
    let bob = Actor::new("bob", Some(&k2.id));
    let (approved, order) = store
        .approve_freeze(&case.id, &bob, "checked the order")
        .await
        .unwrap();
    assert_eq!(
        order.sha256,
        usd1_client::hex(&usd1_client::sha256(order.body.as_bytes()))
    );
    let freeze = approved.freeze.clone().expect("freeze");
    assert_eq!(
        (
            freeze.reason_code,
            freeze.proposed_by.as_str(),
            freeze.order_sha256.as_deref()
        ),
        (7, "alice", Some(order.sha256.as_str()))
    );
    let body: serde_json::Value = serde_json::from_str(&order.body).unwrap();
    assert_eq!(body["subject"], subject);
    assert_eq!(body["kind"], "order");
    assert_eq!(body["history"].as_array().unwrap().len(), 2);
    assert_eq!(
        store.case_files(&case.id).await.unwrap(),
        vec![order.clone()]
    );
    assert!(matches!(
        store
            .approve_freeze(&case.id, &Actor::new("carol", None), "late")
            .await,
        Err(CaseError::FreezeAlreadyApproved(_))
    ));
    // Still the status it had until the chain shows the freeze.
    assert_eq!(approved.status, CaseStatus::Open);
    assert!(!store
        .record_frozen(&"ab".repeat(32), "acct", "sig0")
        .await
        .unwrap());
    assert!(store
        .record_frozen(&order.sha256, "acct", "sig1")
        .await
        .unwrap());
    assert!(!store
        .record_frozen(&order.sha256, "acct", "sig1")
        .await
        .unwrap());
    let frozen = store.case(&case.id).await.unwrap().unwrap();
    assert_eq!(frozen.status, CaseStatus::Frozen);
    assert_eq!(frozen.freeze.unwrap().signature.as_deref(), Some("sig1"));
    let last = store.case_history(&case.id).await.unwrap();
    assert_eq!(
        (
            last.last().unwrap().operator.as_str(),
            last.last().unwrap().action.as_str()
        ),
        ("chain", "frozen")
    );

    // A report writes the case file the officer files.
    let other = store
        .open_case(&Pubkey::new_unique().to_string(), "pattern", &alice)
        .await
        .unwrap();
    let Decided::Reported(file) = store
        .decide_case(&other.id, Decision::Report, &bob, "file a SAR")
        .await
        .unwrap()
    else {
        panic!("reported");
    };
    assert_eq!(file.kind, "report");
    let history = store.case_history(&other.id).await.unwrap();
    assert_eq!(
        history.last().unwrap().detail["case_file_sha256"],
        file.sha256.as_str()
    );
    assert!(matches!(
        store.open_case("not-an-address", "x", &alice).await,
        Err(CaseError::BadSubject(_))
    ));
    assert!(matches!(
        store
            .note_case(&other.id, &Actor::new(" ", None), "x")
            .await,
        Err(CaseError::NoOperator)
    ));
    assert!(store.verify_cases().await.unwrap().is_ok());
}
both_databases!(a_freeze_needs_a_second_operator, four_eyes);

async fn tamper_evident(url: &str) {
    let store = Store::open(url).await.expect("open");
    let alice = Actor::new("alice", None);
    let case = store
        .open_case(&Pubkey::new_unique().to_string(), "hit", &alice)
        .await
        .unwrap();
    store
        .assign_case(&case.id, "bob", &alice, "yours")
        .await
        .unwrap();
    store
        .note_case(&case.id, &alice, "first look")
        .await
        .unwrap();
    store
        .note_case(&case.id, &alice, "second look")
        .await
        .unwrap();
    let intact = store.verify_cases().await.unwrap().expect("intact");
    assert_eq!((intact.entries, intact.cases), (4, 1));

    let broken = |at: Option<i64>, problem: &str| {
        let problem = problem.to_string();
        move |result: Result<_, usd1_gateway::store::cases::Broken>| {
            let broken = result.expect_err("broken");
            assert_eq!(broken.seq, at, "{broken}");
            assert!(broken.problem.contains(&problem), "{broken}");
        }
    };
    // An edited entry.
    execute(
        &store,
        "UPDATE case_history SET why = 'nothing to see' WHERE seq = 3",
    )
    .await;
    broken(Some(3), "edited")(store.verify_cases().await.unwrap());
    execute(
        &store,
        "UPDATE case_history SET why = 'first look' WHERE seq = 3",
    )
    .await;
    assert!(store.verify_cases().await.unwrap().is_ok());
    // An edited entry whose own hash is recomputed: the next one's link breaks.
    let entries = store.case_history(&case.id).await.unwrap();
    let second = &entries[1];
    let detail = second.detail.to_string();
    let forged = usd1_gateway::store::cases::Hashed {
        prev_hash: &second.prev_hash,
        seq: second.seq,
        case_id: &second.case_id,
        at: second.at,
        operator: "mallory",
        api_key_id: None,
        action: &second.action,
        detail: &detail,
        why: &second.why,
    }
    .hash();
    execute(
        &store,
        &format!("UPDATE case_history SET operator = 'mallory', hash = '{forged}' WHERE seq = 2"),
    )
    .await;
    broken(Some(3), "previous hash")(store.verify_cases().await.unwrap());
    execute(
        &store,
        &format!(
            "UPDATE case_history SET operator = 'alice', hash = '{}' WHERE seq = 2",
            second.hash
        ),
    )
    .await;
    assert!(store.verify_cases().await.unwrap().is_ok());
    // A case row changed behind its history's back.
    execute(&store, "UPDATE cases SET status = 'released'").await;
    broken(None, "its history")(store.verify_cases().await.unwrap());
    execute(&store, "UPDATE cases SET status = 'under review'").await;
    assert!(store.verify_cases().await.unwrap().is_ok());
    // A deleted entry in the middle, and the last one.
    execute(&store, "DELETE FROM case_history WHERE seq = 2").await;
    broken(Some(2), "missing")(store.verify_cases().await.unwrap());
    // A whole case deleted, history and row: the chain's head remembers.
    execute(&store, "DELETE FROM case_history").await;
    execute(&store, "DELETE FROM cases").await;
    broken(Some(1), "head is entry 4")(store.verify_cases().await.unwrap());
}
both_databases!(an_edited_or_deleted_history_row_is_found, tamper_evident);

async fn tail_cut(url: &str) {
    let store = Store::open(url).await.expect("open");
    let alice = Actor::new("alice", None);
    let case = store
        .open_case(&Pubkey::new_unique().to_string(), "hit", &alice)
        .await
        .unwrap();
    store.note_case(&case.id, &alice, "one").await.unwrap();
    store.note_case(&case.id, &alice, "two").await.unwrap();
    execute(&store, "DELETE FROM case_history WHERE seq = 3").await;
    let broken = store.verify_cases().await.unwrap().expect_err("cut");
    assert_eq!(broken.seq, Some(3), "{broken}");
    assert!(broken.problem.contains("head is entry 3"), "{broken}");
}
both_databases!(a_cut_off_last_entry_is_found, tail_cut);

async fn payers(url: &str) {
    let store = Store::open(url).await.expect("open");
    let mint = Pubkey::new_unique();
    let (key, _) = store.create_key("k", &Scope::ALL).await.expect("key");
    let reference = Pubkey::new_unique();
    let new = NewInvoice {
        amount: 10 * ONE,
        ..Default::default()
    };
    store
        .create_invoice(&key.id, &new, &reference.to_string())
        .await
        .expect("invoice");
    let (first, second) = (Pubkey::new_unique(), Pubkey::new_unique());
    store
        .record_movement(&mint, &payment(&first, &reference, &mint, 0, 4 * ONE))
        .await
        .unwrap();
    // Who a new list version re-screens: the payers of unsettled invoices.
    assert_eq!(store.unsettled_payers().await.unwrap(), [first.to_string()]);
    store
        .record_movement(
            &mint,
            &payment(&second, &reference, &mint, 4 * ONE, 10 * ONE),
        )
        .await
        .unwrap();
    assert!(store.unsettled_payers().await.unwrap().is_empty());
}
both_databases!(the_payers_of_unsettled_invoices_are_known, payers);
