//! Held payments: a listed sender's payment is recorded (the chain moved the
//! money) but not applied: no `invoice.paid`, a `payment.held` event and a
//! case instead, in the movement's own transaction. Released, it is applied
//! as it would have been; otherwise it stays held in the ledger.
use serde_json::{json, Value};
use sqlx::Row;
use usd1_client::screening::Finding;

use sqlx::AnyPool;
use usd1_service::cases::{self, Actor, Case, HeldRow, Holdings};

use super::apply::Recorded;
use super::invoices::{self, Invoice};
use super::{now, outbox, signed, Store, StoreError, Tx};

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
    let data = PaymentHeld {
        case_id: case.id.clone(),
        invoice: invoice.as_ref().map(Invoice::data),
        payment: payment.clone(),
        hits: hits_json.clone(),
    };
    outbox::emit(
        tx,
        "payment.held",
        signature,
        invoice.as_ref().map(Invoice::stream),
        data,
    )
    .await?;
    Ok(Recorded::Held {
        case_id: case.id,
        invoice_id: invoice.map(|i| i.id),
    })
}

/// Applies every payment `case` holds, in chain order, as the watcher would
/// have (decided by history entry `seq`).
async fn release(tx: &mut Tx<'_>, case: &Case, seq: i64) -> Result<Vec<Recorded>, StoreError> {
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
            None => super::apply::unmatched(tx, &signature, payment).await?,
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

/// What a gateway case holds: payments from a listed sender.
pub struct HeldPayments;

impl Holdings for HeldPayments {
    type Released = Recorded;
    const HELD: &'static str = "payment held";
    const KEY: &'static str = "signature";
    const FACTS: &'static [&'static str] = &["amount_units", "invoice_id"];
    const NOUN: &'static str = "held payment";

    async fn holds(&self, tx: &mut Tx<'_>, case_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS held FROM held_payments h JOIN movements m ON m.signature = h.signature \
             WHERE h.case_id = $1 AND h.released_at IS NULL AND m.reversed_at IS NULL LIMIT 1",
        )
        .bind(case_id)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(row.is_some())
    }

    async fn release(
        &self,
        tx: &mut Tx<'_>,
        case: &Case,
        seq: i64,
    ) -> Result<Vec<Recorded>, StoreError> {
        release(tx, case, seq).await
    }

    async fn accounts(&self, tx: &mut Tx<'_>, case_id: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT accounts FROM held_payments WHERE case_id = $1 AND accounts IS NOT NULL",
        )
        .bind(case_id)
        .fetch_all(&mut **tx)
        .await?;
        let mut accounts = Vec::new();
        for row in &rows {
            let listed: String = row.try_get("accounts")?;
            accounts.extend(listed.split(',').map(str::to_string));
        }
        Ok(accounts)
    }

    /// What the subject sent the treasury, what is held, and the chain's view.
    async fn evidence(
        &self,
        tx: &mut Tx<'_>,
        case: &Case,
        on_chain: Option<&Value>,
    ) -> Result<serde_json::Map<String, Value>, StoreError> {
        let movements = sqlx::query(
            "SELECT signature, slot, block_time, delta, kind, invoice_id, memo FROM movements \
             WHERE counterparty = $1 ORDER BY slot, signature",
        )
        .bind(&case.subject)
        .fetch_all(&mut **tx)
        .await?;
        let mut sent: i64 = 0;
        let mut transactions = Vec::new();
        for row in &movements {
            let delta: i64 = row.try_get("delta")?;
            sent = sent.saturating_add(delta.max(0));
            transactions.push(json!({
                "signature": row.try_get::<String, _>("signature")?,
                "slot": row.try_get::<i64, _>("slot")?,
                "block_time": row.try_get::<Option<i64>, _>("block_time")?,
                "amount_units": delta.to_string(),
                "kind": row.try_get::<String, _>("kind")?,
                "invoice_id": row.try_get::<Option<String>, _>("invoice_id")?,
                "memo": row.try_get::<Option<String>, _>("memo")?,
            }));
        }
        let held = sqlx::query("SELECT * FROM held_payments WHERE case_id = $1 ORDER BY signature")
            .bind(&case.id)
            .fetch_all(&mut **tx)
            .await?;
        let mut held_units: i64 = 0;
        let mut held_json = Vec::new();
        for row in &held {
            let amount: i64 = row.try_get("amount")?;
            let released_at: Option<i64> = row.try_get("released_at")?;
            if released_at.is_none() {
                held_units = held_units.saturating_add(amount);
            }
            held_json.push(json!({
                "signature": row.try_get::<String, _>("signature")?,
                "invoice_id": row.try_get::<Option<String>, _>("invoice_id")?,
                "amount_units": amount.to_string(),
                "released_at": released_at,
            }));
        }
        let mut evidence = serde_json::Map::new();
        evidence.insert(
            "balances".into(),
            json!({
                "sent_to_treasury_units": sent.to_string(),
                "held_units": held_units.to_string(),
                "on_chain": on_chain,
            }),
        );
        evidence.insert("transactions".into(), Value::Array(transactions));
        evidence.insert("held_payments".into(), Value::Array(held_json));
        Ok(evidence)
    }

    async fn rows(&self, pool: &AnyPool) -> Result<Vec<HeldRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT signature, case_id, invoice_id, amount, released_by FROM held_payments ORDER BY signature",
        )
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                let amount: i64 = row.try_get("amount")?;
                Ok(HeldRow {
                    case_id: row.try_get("case_id")?,
                    key: row.try_get("signature")?,
                    facts: vec![Some(amount.to_string()), row.try_get("invoice_id")?],
                    released_by: row.try_get("released_by")?,
                })
            })
            .collect()
    }
}

impl Store {
    /// The senders of payments to invoices not yet settled (open or underpaid).
    pub async fn unsettled_payers(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT m.counterparty AS payer FROM movements m JOIN invoices i ON i.id = m.invoice_id \
             WHERE i.status IN ('open', 'underpaid') AND m.counterparty IS NOT NULL ORDER BY payer",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok(row.try_get("payer")?)).collect()
    }
}

/// `payment.held`: a listed sender's payment, held under a compliance case
/// until operators decide it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentHeld {
    pub case_id: String,
    /// The invoice it named, if any.
    pub invoice: Option<super::invoices::InvoiceData>,
    #[schema(value_type = super::payload::Payment)]
    pub payment: Value,
    /// The screening lists' entries it matched.
    #[schema(value_type = Vec<Object>)]
    pub hits: Value,
}
