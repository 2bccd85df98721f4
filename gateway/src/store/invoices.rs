//! Invoices: a Solana Pay transfer request with a fresh reference key, and
//! its state as payments against it arrive.
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use serde_json::Value;
use utoipa::ToSchema;

use super::payload::DECIMALS;
use super::{new_id, now, signed, units, Store, StoreError, Tx};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Paid,
    Overpaid,
    Underpaid,
    Expired,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Open,
        Status::Paid,
        Status::Overpaid,
        Status::Underpaid,
        Status::Expired,
        Status::Cancelled,
    ];

    /// The status of this name.
    pub fn named(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Paid => "paid",
            Status::Overpaid => "overpaid",
            Status::Underpaid => "underpaid",
            Status::Expired => "expired",
            Status::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        Self::named(text).ok_or_else(|| StoreError::Malformed(format!("invoice status '{text}'")))
    }
}

/// An invoice as the API and the events show it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InvoiceData {
    /// `inv_…`
    pub id: String,
    /// Always `invoice`.
    pub object: &'static str,
    pub status: Status,
    #[schema(value_type = super::payload::Dollars)]
    pub amount: String,
    #[schema(value_type = super::payload::Units)]
    pub amount_units: String,
    /// Everything paid against it so far.
    #[schema(value_type = super::payload::Dollars)]
    pub received: String,
    #[schema(value_type = super::payload::Units)]
    pub received_units: String,
    /// The Solana Pay reference key a payment must carry.
    pub reference: String,
    pub memo: Option<String>,
    pub label: Option<String>,
    pub message: Option<String>,
    pub external_id: Option<String>,
    /// The object the client gave, unchanged.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// Unix seconds.
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub updated_at: i64,
}

/// `invoice.paid`, `.overpaid`, `.underpaid`, `.expired`, `.paid_after_close`:
/// the invoice after the change, and the payment that made it (none for
/// `invoice.expired`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InvoiceEvent {
    pub invoice: InvoiceData,
    #[schema(value_type = Option<super::payload::Payment>)]
    pub payment: Option<Value>,
}

/// `invoice.payment_reversed`: the invoice after a payment of it was undone.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InvoiceReversed {
    pub invoice: InvoiceData,
    pub payment: super::payload::Reversal,
}

/// An invoice as stored; amounts in base units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    pub id: String,
    pub api_key_id: String,
    pub external_id: Option<String>,
    pub reference: String,
    pub amount: u64,
    pub memo: Option<String>,
    pub label: Option<String>,
    pub message: Option<String>,
    /// JSON text, as the client sent it.
    pub metadata: Option<String>,
    pub status: Status,
    /// Everything paid against it so far.
    pub received: u64,
    /// Events emitted for it so far (the last one's sequence number).
    pub event_seq: i64,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub updated_at: i64,
}

impl Invoice {
    /// Its events' stream in the outbox: in order, to its key's subscriptions.
    pub fn stream(&self) -> super::outbox::Stream<'_> {
        super::outbox::Stream {
            id: &self.id,
            seq: self.event_seq,
            key_id: &self.api_key_id,
        }
    }

    /// The invoice as the API and the events show it.
    pub fn data(&self) -> InvoiceData {
        let invoice = self;
        InvoiceData {
            id: invoice.id.clone(),
            object: "invoice",
            status: invoice.status,
            amount: usd1_client::format_amount(invoice.amount, DECIMALS),
            amount_units: invoice.amount.to_string(),
            received: usd1_client::format_amount(invoice.received, DECIMALS),
            received_units: invoice.received.to_string(),
            reference: invoice.reference.clone(),
            memo: invoice.memo.clone(),
            label: invoice.label.clone(),
            message: invoice.message.clone(),
            external_id: invoice.external_id.clone(),
            metadata: invoice
                .metadata
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok()),
            created_at: invoice.created_at,
            expires_at: invoice.expires_at,
            updated_at: invoice.updated_at,
        }
    }

    /// An invoice event's data: the invoice, and the payment that changed it.
    pub fn payload(&self, payment: Option<serde_json::Value>) -> InvoiceEvent {
        InvoiceEvent {
            invoice: self.data(),
            payment,
        }
    }
}

/// What a client asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewInvoice {
    pub amount: u64,
    pub memo: Option<String>,
    pub label: Option<String>,
    pub message: Option<String>,
    pub expires_at: Option<i64>,
    pub external_id: Option<String>,
    pub metadata: Option<String>,
}

/// What creating an invoice did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    New(Invoice),
    /// The key already has an invoice of this `external_id`: that one.
    Existing(Invoice),
    /// The key's invoice of this `external_id` asks for another amount.
    Conflict(Invoice),
}

pub(crate) fn from_row(row: &AnyRow) -> Result<Invoice, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Invoice {
        id: row.try_get("id")?,
        api_key_id: row.try_get("api_key_id")?,
        external_id: row.try_get("external_id")?,
        reference: row.try_get("reference")?,
        amount: units(row, "amount")?,
        memo: row.try_get("memo")?,
        label: row.try_get("label")?,
        message: row.try_get("message")?,
        metadata: row.try_get("metadata")?,
        status: Status::parse(&status)?,
        received: units(row, "received")?,
        event_seq: row.try_get("event_seq")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Creates an invoice with a fresh reference, or finds the key's
    /// invoice of the same `external_id` (idempotent create).
    pub async fn create_invoice(
        &self,
        api_key_id: &str,
        new: &NewInvoice,
        reference: &str,
    ) -> Result<Created, StoreError> {
        let mut tx = self.begin().await?;
        let id = new_id("inv");
        let at = now();
        let inserted = sqlx::query(
            "INSERT INTO invoices (id, api_key_id, external_id, reference, amount, memo, label, \
             message, metadata, status, created_at, expires_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $10) \
             ON CONFLICT (api_key_id, external_id) DO NOTHING",
        )
        .bind(&id)
        .bind(api_key_id)
        .bind(&new.external_id)
        .bind(reference)
        .bind(signed(new.amount))
        .bind(&new.memo)
        .bind(&new.label)
        .bind(&new.message)
        .bind(&new.metadata)
        .bind(at)
        .bind(new.expires_at)
        .execute(&mut *tx)
        .await?;
        let created = if inserted.rows_affected() == 1 {
            Created::New(invoice_in(&mut tx, &id).await?.expect("just inserted"))
        } else {
            let row =
                sqlx::query("SELECT * FROM invoices WHERE api_key_id = $1 AND external_id = $2")
                    .bind(api_key_id)
                    .bind(&new.external_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let existing = from_row(&row)?;
            if existing.amount == new.amount {
                Created::Existing(existing)
            } else {
                Created::Conflict(existing)
            }
        };
        tx.commit().await?;
        Ok(created)
    }

    /// The key's invoice of this id.
    pub async fn invoice(&self, api_key_id: &str, id: &str) -> Result<Option<Invoice>, StoreError> {
        let row = sqlx::query("SELECT * FROM invoices WHERE id = $1 AND api_key_id = $2")
            .bind(id)
            .bind(api_key_id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The key's invoices, newest first, at most `limit`, optionally of one status.
    pub async fn invoices(
        &self,
        api_key_id: &str,
        status: Option<Status>,
        limit: i64,
    ) -> Result<Vec<Invoice>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM invoices WHERE api_key_id = $1 AND ($2 = '' OR status = $2) \
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(api_key_id)
        .bind(status.map_or("", Status::as_str))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Invoices still waiting for (more) money: open or underpaid.
    pub async fn payable_invoices(&self) -> Result<Vec<Invoice>, StoreError> {
        self.payable_invoices_since(i64::MIN).await
    }

    /// [`Self::payable_invoices`] created at or after `created_after`
    /// (the reference sweep reads only invoices young enough to matter).
    pub async fn payable_invoices_since(
        &self,
        created_after: i64,
    ) -> Result<Vec<Invoice>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM invoices WHERE status IN ('open', 'underpaid') AND created_at >= $1 \
             ORDER BY created_at, id",
        )
        .bind(created_after)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// How many of the key's invoices still wait for money.
    pub async fn payable_invoices_of(&self, api_key_id: &str) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS open FROM invoices WHERE api_key_id = $1 AND status IN ('open', 'underpaid')",
        )
        .bind(api_key_id)
        .fetch_one(self.reader())
        .await?;
        Ok(u64::try_from(row.try_get::<i64, _>("open")?).unwrap_or(0))
    }

    /// Cancels an open invoice; the invoice as it now is (unchanged if it
    /// was no longer open), `None` if the key has no such invoice.
    pub async fn cancel_invoice(
        &self,
        api_key_id: &str,
        id: &str,
    ) -> Result<Option<Invoice>, StoreError> {
        sqlx::query(
            "UPDATE invoices SET status = 'cancelled', updated_at = $1 \
             WHERE id = $2 AND api_key_id = $3 AND status = 'open'",
        )
        .bind(now())
        .bind(id)
        .bind(api_key_id)
        .execute(self.pool())
        .await?;
        self.invoice(api_key_id, id).await
    }

    /// Expires open invoices whose `expires_at` is before `at`, each with
    /// its `invoice.expired` event in the same transaction; how many. `at`
    /// is the chain's clock at the watcher's commitment, read before the
    /// pass that recorded every payment up to it: a payment that landed by
    /// the deadline is counted before its invoice can expire.
    pub async fn expire_invoices(&self, at: i64) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "UPDATE invoices SET status = 'expired', updated_at = $1, event_seq = event_seq + 1 \
             WHERE status = 'open' AND expires_at IS NOT NULL AND expires_at < $1 RETURNING *",
        )
        .bind(at)
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            let invoice = from_row(row)?;
            let payload = invoice.payload(None);
            super::outbox::emit(
                &mut tx,
                "invoice.expired",
                &invoice.id,
                Some(invoice.stream()),
                payload,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }
}

/// An invoice read inside a transaction.
pub(crate) async fn invoice_in(tx: &mut Tx<'_>, id: &str) -> Result<Option<Invoice>, StoreError> {
    let row = sqlx::query("SELECT * FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(from_row).transpose()
}
