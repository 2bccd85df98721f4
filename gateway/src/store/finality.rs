//! Movements recorded below `finalized` (a gateway run at `confirmed`) are
//! checked again until the chain finalizes them. One that vanished (a fork
//! that did not last dropped it, and it has not landed since, long after its
//! blockhash could) is reversed: the invoice it paid gets its amount back
//! and its subscribers `invoice.payment_reversed`; an unmatched or held
//! payment is announced as `payment.reversed` (a held one is then never
//! released); the ledger keeps the row, marked.
use sqlx::Row;

use super::invoices::{self, Status};
use super::{now, outbox, signed, Store, StoreError};

/// What reversing a vanished movement did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reversed {
    /// The invoice it had paid, and the invoice's status now.
    Payment { invoice_id: String, status: Status },
    /// A payment that named no invoice, or was held.
    Treasury,
    /// Another movement (money out, the program's own): marked only.
    Other,
}

impl Store {
    /// Movements not yet seen finalized nor reversed: (signature, when recorded).
    pub async fn unfinalized(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT signature, COALESCE(recorded_at, 0) AS recorded_at FROM movements \
             WHERE finalized_at IS NULL AND reversed_at IS NULL AND kind <> 'redemption_settled' \
             ORDER BY slot, signature LIMIT 1000",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("signature")?, row.try_get("recorded_at")?)))
            .collect()
    }

    /// The chain finalized these.
    pub async fn mark_finalized(&self, signatures: &[String]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for signature in signatures {
            sqlx::query("UPDATE movements SET finalized_at = $1 WHERE signature = $2")
                .bind(now())
                .bind(signature)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Reverses the vanished movement `signature` (once: `None` if it was
    /// already reversed or finalized), with its events.
    pub async fn reverse_movement(&self, signature: &str) -> Result<Option<Reversed>, StoreError> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE movements SET reversed_at = $1 WHERE signature = $2 \
             AND reversed_at IS NULL AND finalized_at IS NULL RETURNING *",
        )
        .bind(now())
        .bind(signature)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let kind: String = row.try_get("kind")?;
        let delta: i64 = row.try_get("delta")?;
        let invoice_id: Option<String> = row.try_get("invoice_id")?;
        let detail = serde_json::to_value(super::payload::Reversal {
            signature: signature.to_string(),
            slot: row.try_get::<i64, _>("slot")?,
            amount_units: delta.unsigned_abs().to_string(),
            kind: kind.clone(),
        })
        .unwrap_or_default();
        let reversed = match (kind.as_str(), invoice_id) {
            ("payment", Some(id)) => {
                let locked = sqlx::query(
                    "UPDATE invoices SET updated_at = updated_at WHERE id = $1 RETURNING *",
                )
                .bind(&id)
                .fetch_one(&mut *tx)
                .await?;
                let invoice = invoices::from_row(&locked)?;
                let received = invoice.received.saturating_sub(delta.unsigned_abs());
                let status = match received {
                    0 => Status::Open,
                    r => match usd1_client::solana_pay::compare(r, invoice.amount) {
                        usd1_client::solana_pay::Verdict::Paid => Status::Paid,
                        usd1_client::solana_pay::Verdict::Overpaid(_) => Status::Overpaid,
                        usd1_client::solana_pay::Verdict::Underpaid(_) => Status::Underpaid,
                    },
                };
                let row = sqlx::query(
                    "UPDATE invoices SET received = $1, status = $2, event_seq = event_seq + 1, \
                     updated_at = $3 WHERE id = $4 RETURNING *",
                )
                .bind(signed(received))
                .bind(status.as_str())
                .bind(now())
                .bind(&id)
                .fetch_one(&mut *tx)
                .await?;
                let updated = invoices::from_row(&row)?;
                let payload = updated.payload(Some(detail));
                let cause = format!("{signature}/reversed");
                outbox::emit(
                    &mut tx,
                    "invoice.payment_reversed",
                    &cause,
                    Some(updated.stream()),
                    payload,
                )
                .await?;
                Reversed::Payment {
                    invoice_id: id,
                    status,
                }
            }
            ("unmatched" | "held" | "paid_after_close", _) => {
                let cause = format!("{signature}/reversed");
                outbox::emit(&mut tx, "payment.reversed", &cause, None, detail).await?;
                Reversed::Treasury
            }
            _ => Reversed::Other,
        };
        tx.commit().await?;
        Ok(Some(reversed))
    }
}
