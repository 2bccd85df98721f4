//! Compliance cases on the gateway's database (issues 25 and 33), on SQLite
//! and a real PostgreSQL: a listed sender's payment held (no `invoice.paid`,
//! a `payment.held` and a case, in one transaction) and processed only when
//! a release one operator proposed another approved; four eyes on a freeze
//! (the proposer, by name or by API key, cannot approve it), the approved
//! order file the freeze cites, closed only by a freeze of the subject's
//! account; and the hash-chained history detecting an edited, deleted or
//! cut-off entry and a case row that disagrees with its history — and, with
//! the seal kept outside the database, a rewrite with every hash recomputed
//! and a tail cut off with the head rolled back.
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use usd1_client::screening::{Finding, List, Role, Screener};
use usd1_client::solana_pay::{Movement, Sender, Verdict};
use usd1_gateway::store::cases::{Actor, Approved, CaseError, CaseStatus, Decided, Decision, Seal};
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
        account: Pubkey::new_unique(),
        counterparties: vec![*sender],
        senders: vec![Sender {
            owner: *sender,
            account: Pubkey::new_unique(),
            amount: post - pre,
        }],
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
    let (key, _) = store
        .create_key("k", "alice", &Scope::ALL)
        .await
        .expect("key");
    let (bobs, _) = store
        .create_key("b", "bob", &Scope::ALL)
        .await
        .expect("key");
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

    let alice = Actor::of_key(&key).unwrap();
    let bob = Actor::of_key(&bobs).unwrap();
    let assigned = store
        .assign_case(&case_id, "alice", &alice, "mine")
        .await
        .unwrap();
    assert_eq!(assigned.status, CaseStatus::UnderReview);
    store
        .note_case(&case_id, &alice, "a namesake; the entry's identity differs")
        .await
        .unwrap();
    // Releasing a listed sender's money takes two people: alice proposes…
    assert_eq!(
        store
            .decide_case(&case_id, Decision::Release, &alice, "false positive")
            .await
            .unwrap(),
        Decided::ReleaseProposed
    );
    assert_eq!(event_kinds(&store).await, ["payment.held", "payment.held"]);
    // …no freeze is proposed beside it, and she cannot approve it herself,
    // under this key or another of hers.
    assert!(matches!(
        store
            .decide_case(&case_id, Decision::Freeze { reason_code: 1 }, &bob, "no")
            .await,
        Err(CaseError::DecisionPending {
            pending: "release",
            ..
        })
    ));
    let (alices_other, _) = store.create_key("k2", "alice", &Scope::ALL).await.unwrap();
    for me in [alice.clone(), Actor::of_key(&alices_other).unwrap()] {
        assert!(matches!(
            store.approve_case_seen(&case_id, &me, "me", None).await,
            Err(CaseError::FourEyes {
                what: "release",
                ..
            })
        ));
    }
    let Approved::Release(outcomes) = store
        .approve_case_seen(&case_id, &bob, "agreed: a namesake", None)
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
            "release proposed",
            "released"
        ]
    );
    assert_eq!(
        (history[5].operator.as_str(), history[6].operator.as_str()),
        ("alice", "bob")
    );
    assert!(store.verify_cases().await.unwrap().is_ok());
}
both_databases!(
    a_listed_senders_payment_is_held_until_released,
    held_until_released
);

async fn four_eyes(url: &str) {
    let store = Store::open(url).await.expect("open");
    let (k1, _) = store
        .create_key("one", "alice", &Scope::ALL)
        .await
        .expect("key");
    let (k2, _) = store
        .create_key("two", "bob", &Scope::ALL)
        .await
        .expect("key");
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
            matches!(&refused, Err(CaseError::FourEyes { operator, what: "freeze" }) if operator == "alice"),
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
    let subjects_account = |_: &str| Some("acct".to_string());
    assert!(!store
        .record_frozen(&"ab".repeat(32), "acct", "sig0", subjects_account)
        .await
        .unwrap());
    // A release is not taken while the freeze stands.
    assert!(matches!(
        store
            .decide_case(&case.id, Decision::Release, &bob, "changed my mind")
            .await,
        Err(CaseError::DecisionPending {
            pending: "freeze",
            ..
        })
    ));
    // Issue 33, item 10: a freeze of some other account citing the order
    // does not close the case; it is noted, once.
    for _ in 0..2 {
        assert!(!store
            .record_frozen(&order.sha256, "someone-else", "sig9", subjects_account)
            .await
            .unwrap());
    }
    let case_now = store.case(&case.id).await.unwrap().unwrap();
    assert_eq!(case_now.status, CaseStatus::Open);
    let noted = store.case_history(&case.id).await.unwrap();
    assert_eq!(
        noted
            .iter()
            .filter(|e| e.action == "freeze of another account")
            .count(),
        1
    );
    assert!(store
        .record_frozen(&order.sha256, "acct", "sig1", subjects_account)
        .await
        .unwrap());
    assert!(!store
        .record_frozen(&order.sha256, "acct", "sig1", subjects_account)
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
    let (key, _) = store
        .create_key("k", "alice", &Scope::ALL)
        .await
        .expect("key");
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

/// Issue 33, item 9: with the seal (a key and an anchor file outside the
/// database), what a database writer alone cannot hide: an entry rewritten
/// with its hash and every later one recomputed (the MACs need the key), a
/// tail deleted with the chain's head rolled back to match (the anchor
/// names the lost entry), and rows four eyes rely on changed behind the
/// history (who proposed a freeze, the order it cites, a case file's
/// bytes, a held payment's amount).
async fn sealed(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let seal = Seal::create(&dir.path().join("case.key")).unwrap();
    let store = Store::open(url).await.expect("open").sealed(seal);
    let (k1, _) = store.create_key("a", "alice", &Scope::ALL).await.unwrap();
    let (k2, _) = store.create_key("b", "bob", &Scope::ALL).await.unwrap();
    let (alice, bob) = (Actor::of_key(&k1).unwrap(), Actor::of_key(&k2).unwrap());
    let case = store
        .open_case(&Pubkey::new_unique().to_string(), "order 7", &alice)
        .await
        .unwrap();
    store.note_case(&case.id, &alice, "one").await.unwrap();
    store
        .decide_case(
            &case.id,
            Decision::Freeze { reason_code: 3 },
            &alice,
            "order",
        )
        .await
        .unwrap();
    let (_, order) = store.approve_freeze(&case.id, &bob, "ok").await.unwrap();
    store.note_case(&case.id, &bob, "two").await.unwrap();
    let intact = store.verify_cases().await.unwrap().expect("intact");
    assert_eq!(
        (intact.entries, intact.sealed, intact.anchored_seq),
        (5, true, Some(5))
    );

    let broken = |problem: &'static str| {
        move |result: Result<_, usd1_gateway::store::cases::Broken>| {
            let broken = result.expect_err("broken");
            assert!(broken.problem.contains(problem), "{broken}");
            broken
        }
    };
    let entries = store.case_history(&case.id).await.unwrap();
    // Rewrite entry 2 and recompute its hash and every later one's.
    let mut prev = entries[0].hash.clone();
    let mut forged = Vec::new();
    for entry in &entries[1..] {
        let why = if entry.seq == 2 {
            "nothing to see"
        } else {
            entry.why.as_str()
        };
        let detail = entry.detail.to_string();
        let hash = usd1_gateway::store::cases::Hashed {
            prev_hash: &prev,
            seq: entry.seq,
            case_id: &entry.case_id,
            at: entry.at,
            operator: &entry.operator,
            api_key_id: entry.api_key_id.as_deref(),
            action: &entry.action,
            detail: &detail,
            why,
        }
        .hash();
        forged.push((entry.seq, why.to_string(), prev.clone(), hash.clone()));
        prev = hash;
    }
    for (seq, why, prev_hash, hash) in &forged {
        sqlx::query("UPDATE case_history SET why = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(why)
            .bind(prev_hash)
            .bind(hash)
            .bind(seq)
            .execute(store.pool())
            .await
            .unwrap();
    }
    sqlx::query("UPDATE case_chain SET head = $1 WHERE id = 1")
        .bind(&prev)
        .execute(store.pool())
        .await
        .unwrap();
    let found = broken("MAC")(store.verify_cases().await.unwrap());
    assert_eq!(found.seq, Some(2));
    for (entry, (seq, ..)) in entries[1..].iter().zip(&forged) {
        sqlx::query("UPDATE case_history SET why = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(&entry.why)
            .bind(&entry.prev_hash)
            .bind(&entry.hash)
            .bind(seq)
            .execute(store.pool())
            .await
            .unwrap();
    }
    sqlx::query("UPDATE case_chain SET head = $1 WHERE id = 1")
        .bind(&entries[4].hash)
        .execute(store.pool())
        .await
        .unwrap();
    assert!(store.verify_cases().await.unwrap().is_ok());

    // Rows four eyes and the order rely on, changed behind the history.
    for (change, undo, problem) in [
        (
            "UPDATE cases SET freeze_proposed_by = 'bob'",
            "UPDATE cases SET freeze_proposed_by = 'alice'",
            "who proposed its freeze",
        ),
        (
            "UPDATE cases SET freeze_order_sha256 = 'ab'",
            "UPDATE cases SET freeze_order_sha256 = 'ORDER'",
            "the order its freeze cites",
        ),
        (
            "UPDATE case_files SET body = body || ' '",
            "UPDATE case_files SET body = substr(body, 1, length(body) - 1)",
            "not the bytes of that hash",
        ),
    ] {
        execute(&store, change).await;
        broken(problem)(store.verify_cases().await.unwrap());
        execute(&store, &undo.replace("ORDER", &order.sha256)).await;
        assert!(store.verify_cases().await.unwrap().is_ok(), "{undo}");
    }

    // Cut the last two entries off and roll the head back to entry 3.
    execute(&store, "DELETE FROM case_history WHERE seq > 3").await;
    sqlx::query("UPDATE case_chain SET seq = 3, head = $1 WHERE id = 1")
        .bind(&entries[2].hash)
        .execute(store.pool())
        .await
        .unwrap();
    execute(&store, "UPDATE cases SET freeze_order_sha256 = NULL").await;
    execute(&store, "DELETE FROM case_files").await;
    let found = broken("the anchor written at")(store.verify_cases().await.unwrap());
    // The first anchored entry the database lost.
    assert_eq!(found.seq, Some(4), "{found}");
}
both_databases!(
    a_sealed_history_finds_a_rewrite_and_a_rollback_the_database_alone_hides,
    sealed
);

/// Issue 33, item 18: fifty rounds of two writers at once, on each
/// database. A release applying a held payment and the watcher's next
/// payment to the same invoice: both amounts counted, whichever goes first.
/// Two operators deciding one case at once: one decision takes effect, the
/// other is refused by name.
async fn concurrent_rounds(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let seal = Seal::create(&dir.path().join("case.key")).unwrap();
    let store = Store::open(url).await.expect("open").sealed(seal);
    let mint = Pubkey::new_unique();
    let key = |name: &'static str| {
        let store = store.clone();
        async move {
            let (key, _) = store.create_key(name, name, &Scope::ALL).await.unwrap();
            Actor::of_key(&key).unwrap()
        }
    };
    let (alice, bob, carol) = (key("alice").await, key("bob").await, key("carol").await);
    let (owner, _) = store.create_key("k", "owner", &Scope::ALL).await.unwrap();
    for round in 0..50 {
        let reference = Pubkey::new_unique();
        let new = NewInvoice {
            amount: 10 * ONE,
            ..Default::default()
        };
        let Created::New(invoice) = store
            .create_invoice(&owner.id, &new, &reference.to_string())
            .await
            .unwrap()
        else {
            panic!("new")
        };
        let listed = Pubkey::new_unique();
        let held = payment(&listed, &reference, &mint, 0, 4 * ONE);
        let Recorded::Held { case_id, .. } = store
            .record_movement_at(&mint, &held, None, &hits_of(&listed))
            .await
            .unwrap()
        else {
            panic!("held")
        };
        store
            .decide_case(&case_id, Decision::Release, &alice, "namesake")
            .await
            .unwrap();
        let clean = payment(&Pubkey::new_unique(), &reference, &mint, 4 * ONE, 10 * ONE);
        let (released, paid) = tokio::join!(
            store.approve_case_seen(&case_id, &bob, "agreed", None),
            store.record_movement(&mint, &clean),
        );
        assert!(
            matches!(released.unwrap(), Approved::Release(_)),
            "round {round}"
        );
        assert!(
            matches!(paid.unwrap(), Recorded::Payment { .. }),
            "round {round}"
        );
        let after = store
            .invoice(&owner.id, &invoice.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (after.received, after.status),
            (10 * ONE, Status::Paid),
            "round {round}: both amounts counted"
        );
        // Two operators on one case at once: one decision.
        let case = store
            .open_case(&Pubkey::new_unique().to_string(), "two at once", &alice)
            .await
            .unwrap();
        let (first, second) = tokio::join!(
            store.decide_case(&case.id, Decision::Escalate, &bob, "up"),
            store.decide_case(&case.id, Decision::Report, &carol, "file"),
        );
        let decided = [first.is_ok(), second.is_ok()];
        assert!(
            decided.contains(&true),
            "round {round}: {first:?} {second:?}"
        );
        if decided == [true, true] {
            // Escalated is not closed: the report after it is a second
            // decision in order, not a lost one. The other order closes it.
            let history = store.case_history(&case.id).await.unwrap();
            let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
            assert_eq!(
                actions,
                ["opened", "escalated", "reported"],
                "round {round}"
            );
        } else {
            let refused = if first.is_ok() { second } else { first };
            assert!(
                matches!(refused, Err(CaseError::Closed { .. })),
                "round {round}: {refused:?}"
            );
        }
        let (one, two) = tokio::join!(
            store.decide_case(&case_id, Decision::Escalate, &bob, "again"),
            store.decide_case(&case_id, Decision::Report, &carol, "again"),
        );
        assert!(
            matches!(one, Err(CaseError::Closed { .. }))
                && matches!(two, Err(CaseError::Closed { .. })),
            "round {round}: a released case takes no decision"
        );
    }
    assert!(store.verify_cases().await.unwrap().is_ok());
}
both_databases!(
    fifty_rounds_of_two_writers_at_once_lose_nothing_and_decide_once,
    concurrent_rounds
);
