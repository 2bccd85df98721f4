//! The gateway's storage layer on both databases it supports — SQLite (a
//! file) and a real PostgreSQL server: a payment recorded once however many
//! gateways see it, the outbox's order per invoice, backoff and dead
//! letters, and two gateways never leasing one delivery at once.
use std::collections::HashSet;

use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use usd1_client::solana_pay::{Movement, Verdict};
use usd1_gateway::store::chain::Recorded;
use usd1_gateway::store::invoices::{Created, NewInvoice, Status};
use usd1_gateway::store::keys::Scope;
use usd1_gateway::store::outbox::Backoff;
use usd1_gateway::store::Store;
use usd1_tests::both_databases;

const ONE: u64 = 1_000_000;

fn payment(reference: &Pubkey, mint: &Pubkey, pre: u64, post: u64) -> Movement {
    Movement {
        signature: Signature::from(rand_bytes()),
        slot: 10,
        block_time: Some(1_700_000_000),
        mint: *mint,
        pre,
        post,
        fee: 5000,
        fee_payer: Pubkey::new_unique(),
        account: Pubkey::new_unique(),
        counterparties: vec![Pubkey::new_unique()],
        senders: vec![],
        keys: vec![Pubkey::new_unique(), *reference],
        memos: vec![],
        events: vec![],
    }
}

fn rand_bytes() -> [u8; 64] {
    let mut bytes = [0u8; 64];
    for (i, b) in Pubkey::new_unique()
        .to_bytes()
        .iter()
        .chain(Pubkey::new_unique().to_bytes().iter())
        .enumerate()
    {
        bytes[i] = *b;
    }
    bytes
}

/// A key, a subscription to every event, and an invoice of `amount`.
async fn invoice(store: &Store, amount: u64) -> (String, String, Pubkey) {
    let (key, _) = store
        .create_key("k", "operator", &Scope::ALL)
        .await
        .expect("key");
    let reference = Pubkey::new_unique();
    let new = NewInvoice {
        amount,
        ..Default::default()
    };
    let Created::New(invoice) = store
        .create_invoice(&key.id, &new, &reference.to_string())
        .await
        .expect("invoice")
    else {
        panic!("not new")
    };
    (key.id, invoice.id, reference)
}

async fn recorded_once(url: &str) {
    let first = Store::open(url).await.expect("open");
    let second = Store::open(url).await.expect("open again");
    let mint = Pubkey::new_unique();
    let (key, id, reference) = invoice(&first, 10 * ONE).await;
    let paid = payment(&reference, &mint, 0, 10 * ONE);
    // Two gateways see the same transaction at once.
    let (a, b) = tokio::join!(
        first.record_movement(&mint, &paid),
        second.record_movement(&mint, &paid)
    );
    let outcomes = [a.expect("a"), b.expect("b")];
    let paid_once = Recorded::Payment {
        invoice_id: id.clone(),
        verdict: Verdict::Paid,
        status: Status::Paid,
    };
    assert!(outcomes.contains(&paid_once), "{outcomes:?}");
    assert!(outcomes.contains(&Recorded::AlreadyKnown), "{outcomes:?}");
    let invoice = first.invoice(&key, &id).await.expect("get").expect("there");
    assert_eq!(
        (invoice.status, invoice.received, invoice.event_seq),
        (Status::Paid, 10 * ONE, 1)
    );
    // A second payment of a paid invoice is recorded and reported.
    let again = payment(&reference, &mint, 10 * ONE, 13 * ONE);
    assert_eq!(
        first.record_movement(&mint, &again).await.expect("again"),
        Recorded::Payment {
            invoice_id: id.clone(),
            verdict: Verdict::Overpaid(3 * ONE),
            status: Status::Overpaid
        }
    );
    assert_eq!(first.movements(None, None).await.expect("rows").len(), 2);
}
both_databases!(a_payment_seen_twice_is_recorded_once, recorded_once);

async fn ordered_per_invoice(url: &str) {
    let store = Store::open(url).await.expect("open");
    let mint = Pubkey::new_unique();
    let (key, _, reference) = invoice(&store, 10 * ONE).await;
    let hook = store
        .create_webhook(
            &key,
            "http://127.0.0.1:9/hook",
            &["invoice.paid".into(), "invoice.underpaid".into()],
        )
        .await
        .expect("hook");
    store
        .record_movement(&mint, &payment(&reference, &mint, 0, 4 * ONE))
        .await
        .expect("underpaid");
    store
        .record_movement(&mint, &payment(&reference, &mint, 4 * ONE, 10 * ONE))
        .await
        .expect("paid");
    let backoff = Backoff {
        first_secs: 0,
        cap_secs: 0,
        give_up_secs: 3600,
    };
    let now = usd1_gateway::store::now();
    // Only the invoice's first event is due, however often asked, until accepted.
    for _ in 0..3 {
        let due = store
            .lease_due("me", now + 5, now, 10)
            .await
            .expect("lease");
        assert_eq!(due.len(), 1, "{due:?}");
        assert!(due[0].body.contains("invoice.underpaid"), "{}", due[0].body);
        store
            .record_attempt("me", &due[0], Some(500), None, 1, &backoff)
            .await
            .expect("failed attempt");
    }
    let due = store
        .lease_due("me", now + 5, now, 10)
        .await
        .expect("lease");
    store
        .record_attempt("me", &due[0], Some(204), None, 1, &backoff)
        .await
        .expect("accepted");
    let due = store
        .lease_due("me", now + 5, now, 10)
        .await
        .expect("lease");
    assert_eq!(due.len(), 1);
    assert!(due[0].body.contains("invoice.paid"), "{}", due[0].body);
    let log = store.deliveries(&hook.id).await.expect("log");
    assert_eq!(
        log.iter()
            .map(|d| (d.event_type.as_str(), d.status.as_str(), d.attempts))
            .collect::<Vec<_>>(),
        vec![
            ("invoice.underpaid", "delivered", 4),
            ("invoice.paid", "pending", 0)
        ]
    );
    // Dead-lettering the second (given up at once) leaves nothing due;
    // replaying from the first sends both again, in order.
    let give_up = Backoff {
        give_up_secs: 0,
        ..backoff
    };
    store
        .record_attempt("me", &due[0], None, Some("connection refused"), 1, &give_up)
        .await
        .expect("dead");
    assert!(store
        .lease_due("me", now + 5, now, 10)
        .await
        .expect("lease")
        .is_empty());
    let first_event = &log[0].event_id;
    assert_eq!(
        store
            .replay(&hook.id, Some(first_event), None)
            .await
            .expect("replay"),
        2
    );
    let due = store
        .lease_due("me", now + 5, now, 10)
        .await
        .expect("lease");
    assert_eq!(due.len(), 1);
    assert!(due[0].body.contains("invoice.underpaid"));
    assert_eq!(backoff.delay(1), 0);
    let real = Backoff::default();
    assert_eq!(
        (1..=14).map(|n| real.delay(n)).collect::<Vec<_>>(),
        vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600]
    );
}
both_databases!(an_invoices_events_go_out_in_order, ordered_per_invoice);

/// Issue 33, item 14: once an invoice's event is dead-lettered, its events
/// written afterwards are dead-lettered too (never pending forever behind
/// it); and a deliverer whose lease was taken over dead-letters nothing.
async fn dead_letters_take_later_events(url: &str) {
    let store = Store::open(url).await.expect("open");
    let mint = Pubkey::new_unique();
    let (key, _, reference) = invoice(&store, 10 * ONE).await;
    let hook = store
        .create_webhook(
            &key,
            "http://127.0.0.1:9/hook",
            &[
                "invoice.paid".into(),
                "invoice.underpaid".into(),
                "invoice.overpaid".into(),
            ],
        )
        .await
        .expect("hook");
    store
        .record_movement(&mint, &payment(&reference, &mint, 0, 4 * ONE))
        .await
        .expect("underpaid");
    let now = usd1_gateway::store::now();
    let give_up = Backoff {
        first_secs: 0,
        cap_secs: 0,
        give_up_secs: 0,
    };
    let due = store
        .lease_due("me", now + 5, now, 10)
        .await
        .expect("lease");
    assert_eq!(due.len(), 1);
    // Another deliverer took the lease over: its owner's attempt records
    // nothing of the delivery's fate.
    store
        .record_attempt("not-me", &due[0], None, Some("refused"), 1, &give_up)
        .await
        .expect("attempt");
    assert_eq!(
        store.deliveries(&hook.id).await.unwrap()[0].status,
        "pending"
    );
    store
        .record_attempt("me", &due[0], None, Some("refused"), 1, &give_up)
        .await
        .expect("dead");
    // Two more of the invoice's events, written after the dead letter.
    store
        .record_movement(&mint, &payment(&reference, &mint, 4 * ONE, 10 * ONE))
        .await
        .expect("paid");
    store
        .record_movement(&mint, &payment(&reference, &mint, 10 * ONE, 11 * ONE))
        .await
        .expect("overpaid");
    assert!(store
        .lease_due("me", now + 5, now, 10)
        .await
        .expect("lease")
        .is_empty());
    let log = store.deliveries(&hook.id).await.unwrap();
    assert_eq!(
        log.iter()
            .map(|d| (d.event_type.as_str(), d.status.as_str()))
            .collect::<Vec<_>>(),
        [
            ("invoice.underpaid", "dead"),
            ("invoice.paid", "dead"),
            ("invoice.overpaid", "dead")
        ]
    );
    assert_eq!(
        log[2].last_error.as_deref(),
        Some("an earlier event of its invoice was dead-lettered")
    );
}
both_databases!(
    a_dead_lettered_event_takes_its_invoices_later_events_with_it,
    dead_letters_take_later_events
);

async fn never_leased_twice(url: &str) {
    let stores = [
        Store::open(url).await.expect("open"),
        Store::open(url).await.expect("open again"),
    ];
    let mint = Pubkey::new_unique();
    let (key, _) = stores[0]
        .create_key("k", "operator", &Scope::ALL)
        .await
        .expect("key");
    stores[0]
        .create_webhook(
            &key.id,
            "http://127.0.0.1:9/hook",
            &["payment.unmatched".into()],
        )
        .await
        .expect("hook");
    for _ in 0..40 {
        let unmatched = payment(&Pubkey::new_unique(), &mint, 0, ONE);
        assert_eq!(
            stores[0]
                .record_movement(&mint, &unmatched)
                .await
                .expect("unmatched"),
            Recorded::Unmatched
        );
    }
    let now = usd1_gateway::store::now();
    // Both gateways lease at once, in small batches, until none is left.
    let lease = |i: usize| {
        let store = stores[i].clone();
        async move {
            let mut mine = Vec::new();
            loop {
                let due = store
                    .lease_due(&format!("gateway-{i}"), now, now + 600, 3)
                    .await
                    .expect("lease");
                if due.is_empty() {
                    return mine;
                }
                mine.extend(due.into_iter().map(|d| d.event_seq));
            }
        }
    };
    let (a, b) = tokio::join!(tokio::spawn(lease(0)), tokio::spawn(lease(1)));
    let (a, b) = (a.expect("a"), b.expect("b"));
    let all: HashSet<i64> = a.iter().chain(&b).copied().collect();
    assert_eq!(
        a.len() + b.len(),
        40,
        "every delivery leased once: {a:?} {b:?}"
    );
    assert_eq!(all.len(), 40);
}
both_databases!(
    two_gateways_never_lease_one_delivery_twice,
    never_leased_twice
);

#[tokio::test]
async fn an_unknown_database_is_refused_by_name() {
    let err = Store::open("mysql://x").await.expect_err("refused");
    assert_eq!(
        err.to_string(),
        "'mysql://x' is neither sqlite:PATH nor postgres://…"
    );
}

/// Issue 33, item 19: a payment never moves a closed invoice. Paid to a
/// cancelled invoice, or landed (by its block's time) after an open
/// invoice's deadline, it is recorded and reported as
/// `invoice.paid_after_close`, the invoice unchanged; an invoice expires
/// only once the chain's clock passes its deadline, after the payments that
/// landed by it were counted.
async fn closed_invoices(url: &str) {
    let store = Store::open(url).await.expect("open");
    let mint = Pubkey::new_unique();
    // Cancelled, then paid.
    let (key, id, reference) = invoice(&store, 10 * ONE).await;
    store.cancel_invoice(&key, &id).await.unwrap();
    assert_eq!(
        store
            .record_movement(&mint, &payment(&reference, &mint, 0, 10 * ONE))
            .await
            .unwrap(),
        Recorded::PaidAfterClose {
            invoice_id: id.clone()
        }
    );
    let cancelled = store.invoice(&key, &id).await.unwrap().unwrap();
    assert_eq!(
        (cancelled.status, cancelled.received),
        (Status::Cancelled, 0)
    );
    // Open with a deadline: one payment landed by it, one after it.
    let reference = Pubkey::new_unique();
    let new = NewInvoice {
        amount: 10 * ONE,
        expires_at: Some(1_700_000_100),
        ..Default::default()
    };
    let Created::New(due) = store
        .create_invoice(&key, &new, &reference.to_string())
        .await
        .unwrap()
    else {
        panic!("new")
    };
    let mut on_time = payment(&reference, &mint, 0, 4 * ONE);
    on_time.block_time = Some(1_700_000_100);
    let mut late = payment(&reference, &mint, 4 * ONE, 10 * ONE);
    late.block_time = Some(1_700_000_101);
    assert!(matches!(
        store.record_movement(&mint, &on_time).await.unwrap(),
        Recorded::Payment { .. }
    ));
    assert_eq!(
        store.record_movement(&mint, &late).await.unwrap(),
        Recorded::PaidAfterClose {
            invoice_id: due.id.clone()
        }
    );
    let now = store.invoice(&key, &due.id).await.unwrap().unwrap();
    assert_eq!((now.status, now.received), (Status::Underpaid, 4 * ONE));
    // Not expired at its deadline's second; expired past it.
    let open = NewInvoice {
        amount: ONE,
        expires_at: Some(1_700_000_100),
        external_id: Some("x".into()),
        ..Default::default()
    };
    store
        .create_invoice(&key, &open, &Pubkey::new_unique().to_string())
        .await
        .unwrap();
    assert_eq!(store.expire_invoices(1_700_000_100).await.unwrap(), 0);
    assert_eq!(store.expire_invoices(1_700_000_101).await.unwrap(), 1);
    use sqlx::Row;
    let kinds: Vec<String> = sqlx::query("SELECT kind FROM events ORDER BY seq")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>("kind").unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "invoice.paid_after_close",
            "invoice.underpaid",
            "invoice.paid_after_close",
            "invoice.expired"
        ]
    );
    // (The test's movements share a slot: their order among themselves is the signatures'.)
    let rows = store.movements(None, None).await.unwrap();
    let mut kinds: Vec<&str> = rows.iter().map(|m| m.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["paid_after_close", "paid_after_close", "payment"]);
}
both_databases!(
    a_payment_never_moves_a_closed_invoice_and_expiry_follows_the_chains_clock,
    closed_invoices
);
