//! What a payment does to its invoice, decided by a plain function of the
//! invoice (read with its row locked) and the payment, then stored with its
//! event in the caller's transaction. A payment to an invoice already closed
//! (cancelled, expired) or landed after its deadline (by the block's time,
//! not the wall clock's) is recorded and reported as late; it never moves
//! a closed invoice. Amounts are added to what the locked row holds, so a
//! release applying a held payment and the watcher's next payment to the
//! same invoice never lose one another's amount.
use usd1_client::solana_pay::{self, Verdict};

use super::invoices::{self, Invoice, Status};
use super::{outbox, signed, StoreError, Tx};

/// What one movement was, once recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Seen before (by this gateway or another on the same database).
    AlreadyKnown,
    /// A payment of an invoice, and the invoice's status after it.
    Payment {
        invoice_id: String,
        verdict: Verdict,
        status: Status,
    },
    /// Money in without a known reference or memo.
    Unmatched,
    /// A payment to an invoice already closed (cancelled or expired), or
    /// landed after its deadline: recorded and reported, the invoice unchanged.
    PaidAfterClose { invoice_id: String },
    /// A listed sender's payment, held under its case (and the invoice it
    /// names, if any) until the case is decided.
    Held {
        case_id: String,
        invoice_id: Option<String>,
    },
    /// Money out, or only fees.
    Other,
}

/// A payment as the chain shows it.
pub(crate) struct Paid<'a> {
    pub signature: &'a str,
    pub amount: u64,
    /// The block's time; `None` where the node gave none (judged on time).
    pub block_time: Option<i64>,
}

/// What a payment means for the invoice it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Counted: the invoice's new total, verdict and status.
    Counted {
        received: u64,
        verdict: Verdict,
        status: Status,
    },
    /// The invoice was closed, or the payment landed after its deadline.
    AfterClose,
}

/// The judgement of `amount` paid in a block of `block_time` against `invoice`.
pub fn judge(invoice: &Invoice, amount: u64, block_time: Option<i64>) -> Judgement {
    let closed = matches!(invoice.status, Status::Cancelled | Status::Expired);
    let late = matches!((invoice.expires_at, block_time), (Some(due), Some(at)) if at > due);
    if closed || late {
        return Judgement::AfterClose;
    }
    let received = invoice.received.saturating_add(amount);
    let verdict = solana_pay::compare(received, invoice.amount);
    let status = match verdict {
        Verdict::Paid => Status::Paid,
        Verdict::Overpaid(_) => Status::Overpaid,
        Verdict::Underpaid(_) => Status::Underpaid,
    };
    Judgement::Counted {
        received,
        verdict,
        status,
    }
}

fn verdict_name(verdict: Verdict) -> (&'static str, i64) {
    match verdict {
        Verdict::Paid => ("paid", 0),
        Verdict::Overpaid(by) => ("overpaid", signed(by)),
        Verdict::Underpaid(by) => ("underpaid", -signed(by)),
    }
}

/// The invoice `id`, its row locked for the rest of the transaction (on
/// PostgreSQL a second writer waits here and then reads what this one wrote).
async fn locked(tx: &mut Tx<'_>, id: &str) -> Result<Invoice, StoreError> {
    let row = sqlx::query("UPDATE invoices SET updated_at = updated_at WHERE id = $1 RETURNING *")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    invoices::from_row(&row)
}

/// Applies `paid` to the invoice `invoice_id` (the reference or memo
/// already matched it), with the invoice's event, inside the caller's
/// transaction.
pub(crate) async fn apply_payment(
    tx: &mut Tx<'_>,
    invoice_id: &str,
    paid: &Paid<'_>,
    payment: serde_json::Value,
) -> Result<Recorded, StoreError> {
    let invoice = locked(tx, invoice_id).await?;
    let (received, verdict, status) = match judge(&invoice, paid.amount, paid.block_time) {
        Judgement::Counted {
            received,
            verdict,
            status,
        } => (received, verdict, status),
        Judgement::AfterClose => return after_close(tx, &invoice, paid, payment).await,
    };
    let row = sqlx::query(
        "UPDATE invoices SET status = $1, received = $2, event_seq = event_seq + 1, \
         updated_at = $3 WHERE id = $4 RETURNING *",
    )
    .bind(status.as_str())
    .bind(signed(received))
    .bind(super::now())
    .bind(&invoice.id)
    .fetch_one(&mut **tx)
    .await?;
    let updated = invoices::from_row(&row)?;
    let (name, difference) = verdict_name(verdict);
    sqlx::query(
        "UPDATE movements SET kind = 'payment', invoice_id = $1, verdict = $2, difference = $3 \
         WHERE signature = $4",
    )
    .bind(&invoice.id)
    .bind(name)
    .bind(difference)
    .bind(paid.signature)
    .execute(&mut **tx)
    .await?;
    let payload = updated.payload(Some(payment));
    outbox::emit(
        tx,
        &format!("invoice.{name}"),
        paid.signature,
        Some(updated.stream()),
        payload,
    )
    .await?;
    Ok(Recorded::Payment {
        invoice_id: invoice.id.clone(),
        verdict,
        status,
    })
}

/// A late payment: the movement says so, the invoice's subscribers hear
/// `invoice.paid_after_close` (in the invoice's order), its state stands.
async fn after_close(
    tx: &mut Tx<'_>,
    invoice: &Invoice,
    paid: &Paid<'_>,
    payment: serde_json::Value,
) -> Result<Recorded, StoreError> {
    sqlx::query(
        "UPDATE movements SET kind = 'paid_after_close', invoice_id = $1 WHERE signature = $2",
    )
    .bind(&invoice.id)
    .bind(paid.signature)
    .execute(&mut **tx)
    .await?;
    let row = sqlx::query(
        "UPDATE invoices SET event_seq = event_seq + 1, updated_at = $1 WHERE id = $2 RETURNING *",
    )
    .bind(super::now())
    .bind(&invoice.id)
    .fetch_one(&mut **tx)
    .await?;
    let updated = invoices::from_row(&row)?;
    let payload = updated.payload(Some(payment));
    outbox::emit(
        tx,
        "invoice.paid_after_close",
        paid.signature,
        Some(updated.stream()),
        payload,
    )
    .await?;
    Ok(Recorded::PaidAfterClose {
        invoice_id: invoice.id.clone(),
    })
}

/// Money in that names no invoice: `payment.unmatched`.
pub(super) async fn unmatched(
    tx: &mut Tx<'_>,
    signature: &str,
    payment: serde_json::Value,
) -> Result<Recorded, StoreError> {
    sqlx::query("UPDATE movements SET kind = 'unmatched' WHERE signature = $1")
        .bind(signature)
        .execute(&mut **tx)
        .await?;
    outbox::emit(tx, "payment.unmatched", signature, None, payment).await?;
    Ok(Recorded::Unmatched)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice(status: Status, received: u64, expires_at: Option<i64>) -> Invoice {
        Invoice {
            id: "inv".into(),
            api_key_id: "key".into(),
            external_id: None,
            reference: "ref".into(),
            amount: 10,
            memo: None,
            label: None,
            message: None,
            metadata: None,
            status,
            received,
            event_seq: 0,
            created_at: 0,
            expires_at,
            updated_at: 0,
        }
    }

    /// Issue 33, item 19: a closed invoice is never moved; a payment is on
    /// time by its block's time, up to the deadline's second.
    #[test]
    fn a_payment_is_judged_by_the_invoices_state_and_its_blocks_time() {
        let open = invoice(Status::Open, 4, Some(100));
        assert_eq!(
            judge(&open, 6, Some(100)),
            Judgement::Counted {
                received: 10,
                verdict: Verdict::Paid,
                status: Status::Paid
            }
        );
        assert_eq!(judge(&open, 6, Some(101)), Judgement::AfterClose);
        assert_eq!(
            judge(&open, 1, None),
            Judgement::Counted {
                received: 5,
                verdict: Verdict::Underpaid(5),
                status: Status::Underpaid
            }
        );
        for closed in [Status::Cancelled, Status::Expired] {
            assert_eq!(
                judge(&invoice(closed, 0, None), 10, Some(1)),
                Judgement::AfterClose
            );
        }
        assert_eq!(
            judge(&invoice(Status::Paid, 10, None), 3, Some(1)),
            Judgement::Counted {
                received: 13,
                verdict: Verdict::Overpaid(3),
                status: Status::Overpaid
            }
        );
    }
}
