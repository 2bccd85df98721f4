//! Held payments: a listed sender's payment is recorded (the chain moved the
//! money) but not applied: no `invoice.paid`, a `payment.held` event and a
//! case instead, in the movement's own transaction. Released, it is applied
//! as it would have been; otherwise it stays held in the ledger.
use serde_json::{json, Value};
use sqlx::Row;
use usd1_client::screening::Finding;

use super::cases::{self, Actor, Case};
use super::chain::{self, Recorded};
use super::invoices::{self, Invoice};
use super::{now, outbox, signed, StoreError, Tx};

/// Holds the payment `signature` of `amount` (already inserted as a
/// movement) from the senders `hits` name.
/// What a held payment is held from: the subject (the listed sender's
/// wallet) and the token accounts the payment came from.
pub(crate) struct HeldFrom<'a> {
    pub subject: String,
    pub accounts: Vec<String>,
    pub hits: &'a [Finding],
}

pub(super) async fn hold(
    tx: &mut Tx<'_>,
    seal: Option<&cases::Seal>,
    invoice: Option<Invoice>,
    signature: &str,
    amount: u64,
    payment: Value,
    from: &HeldFrom<'_>,
) -> Result<Recorded, StoreError> {
    let (subject, hits) = (from.subject.clone(), from.hits);
    let hits_json = serde_json::to_value(hits).unwrap_or(Value::Null);
    let reason = format!(
        "payment {signature} from a listed sender: {}",
        hits.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    );
    let (case, _) =
        cases::open_in(tx, seal, &subject, &reason, &hits_json, &Actor::screening()).await?;
    cases::append(
        tx,
        seal,
        &case.id,
        &Actor::screening(),
        "payment held",
        json!({"signature": signature, "amount_units": amount.to_string(),
               "invoice_id": invoice.as_ref().map(|i| i.id.clone()),
               "accounts": from.accounts}),
        "the sender is listed",
    )
    .await?;
    sqlx::query("UPDATE movements SET kind = 'held', invoice_id = $1 WHERE signature = $2")
        .bind(invoice.as_ref().map(|i| i.id.clone()))
        .bind(signature)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO held_payments (signature, case_id, invoice_id, amount, payment, accounts) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(signature)
    .bind(&case.id)
    .bind(invoice.as_ref().map(|i| i.id.clone()))
    .bind(signed(amount))
    .bind(payment.to_string())
    .bind(from.accounts.join(","))
    .execute(&mut **tx)
    .await?;
    // The invoice's own subscribers hear of it, in its order.
    let invoice = match &invoice {
        Some(invoice) => {
            let row = sqlx::query(
                "UPDATE invoices SET event_seq = event_seq + 1, updated_at = $1 WHERE id = $2 RETURNING *",
            )
            .bind(now())
            .bind(&invoice.id)
            .fetch_one(&mut **tx)
            .await?;
            Some(invoices::from_row(&row)?)
        }
        None => None,
    };
    let data = json!({
        "case_id": case.id,
        "invoice": invoice.as_ref().map(super::payload::invoice_json),
        "payment": payment,
        "hits": hits_json,
    });
    outbox::emit(tx, "payment.held", signature, invoice.as_ref(), data).await?;
    Ok(Recorded::Held {
        case_id: case.id,
        invoice_id: invoice.map(|i| i.id),
    })
}

/// Applies every payment `case` holds, in chain order, as the watcher would
/// have (decided by history entry `seq`).
pub(super) async fn release(
    tx: &mut Tx<'_>,
    case: &Case,
    seq: i64,
) -> Result<Vec<Recorded>, StoreError> {
    let rows = sqlx::query(
        "SELECT h.signature, h.invoice_id, h.amount, h.payment, m.block_time FROM held_payments h \
         JOIN movements m ON m.signature = h.signature \
         WHERE h.case_id = $1 AND h.released_at IS NULL AND m.reversed_at IS NULL ORDER BY m.slot, m.signature",
    )
    .bind(&case.id)
    .fetch_all(&mut **tx)
    .await?;
    let mut outcomes = Vec::new();
    for row in &rows {
        let signature: String = row.try_get("signature")?;
        let invoice_id: Option<String> = row.try_get("invoice_id")?;
        let amount = super::units(row, "amount")?;
        let payment: String = row.try_get("payment")?;
        let payment: Value =
            serde_json::from_str(&payment).map_err(|e| StoreError::Malformed(e.to_string()))?;
        let block_time: Option<i64> = row.try_get("block_time")?;
        let outcome = match &invoice_id {
            Some(id) => {
                let paid = super::apply::Paid {
                    signature: &signature,
                    amount,
                    block_time,
                };
                super::apply::apply_payment(tx, id, &paid, payment).await?
            }
            None => chain::unmatched(tx, &signature, payment).await?,
        };
        sqlx::query(
            "UPDATE held_payments SET released_at = $1, released_by = $2 WHERE signature = $3",
        )
        .bind(now())
        .bind(seq)
        .bind(&signature)
        .execute(&mut **tx)
        .await?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}
