//! What the watcher found on-chain: every movement of the treasury's token
//! account, recorded once (its signature is the key), the invoice it paid
//! and the events it caused, in one transaction; and how far each address's
//! signature list has been read.
use serde::Serialize;
use sqlx::Row;
use usd1_client::screening::Finding;
use usd1_client::solana_pay::Movement;

pub use super::apply::Recorded;
use super::invoices::{self, Invoice};
use super::{outbox, signed, units, Store, StoreError, Tx};

/// A redemption of the treasury's settled: a ledger row that moves nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settlement {
    pub treasurer: String,
    pub block_time: Option<i64>,
    /// What the row says: the request's id and the payout.
    pub memo: String,
}

/// A stored movement, as the export shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredMovement {
    pub signature: String,
    pub slot: u64,
    pub block_time: Option<i64>,
    pub delta: i64,
    pub balance_after: u64,
    pub fee: u64,
    pub fee_payer: String,
    pub counterparty: Option<String>,
    pub memo: Option<String>,
    pub kind: String,
    pub invoice_id: Option<String>,
    pub verdict: Option<String>,
    pub difference: Option<i64>,
}

/// The invoice a payment names: by reference key, else by an
/// `invoice:<id>` memo.
async fn invoice_of(tx: &mut Tx<'_>, movement: &Movement) -> Result<Option<Invoice>, StoreError> {
    if !movement.keys.is_empty() {
        let marks: Vec<String> = (1..=movement.keys.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT * FROM invoices WHERE reference IN ({}) ORDER BY created_at LIMIT 1",
            marks.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for key in &movement.keys {
            query = query.bind(key.to_string());
        }
        if let Some(row) = query.fetch_optional(&mut **tx).await? {
            return Ok(Some(invoices::from_row(&row)?));
        }
    }
    for memo in &movement.memos {
        if let Some(id) = memo.trim().strip_prefix("invoice:") {
            if let Some(invoice) = invoices::invoice_in(tx, id.trim()).await? {
                return Ok(Some(invoice));
            }
        }
    }
    Ok(None)
}

/// Whom a payment with `hits` is held from: the wallet of the first sender
/// a hit names (by its wallet or its token account), and every token account
/// the payment came from.
fn held_from<'a>(movement: &Movement, hits: &'a [Finding]) -> super::held::HeldFrom<'a> {
    let subject = hits
        .iter()
        .find_map(|hit| {
            movement
                .senders
                .iter()
                .find(|s| s.owner == hit.address || s.account == hit.address)
                .map(|s| s.owner)
        })
        .or_else(|| hits.first().map(|h| h.address))
        .map(|key| key.to_string())
        .unwrap_or_default();
    super::held::HeldFrom {
        subject,
        accounts: movement
            .senders
            .iter()
            .map(|s| s.account.to_string())
            .collect(),
        hits,
    }
}

impl Store {
    /// Records a movement of the treasury account `account` of `mint`, with
    /// the invoice change and events it causes, exactly once.
    pub async fn record_movement(
        &self,
        mint: &solana_sdk::pubkey::Pubkey,
        movement: &Movement,
    ) -> Result<Recorded, StoreError> {
        self.record_movement_at(mint, movement, None, &[]).await
    }

    /// [`Self::record_movement`], moving the watcher's cursor of `listed`
    /// (the address whose signature list it came from) to it in the same
    /// transaction. A payment whose sender the screening lists (`hits`) is
    /// held, and its case opened, instead of applied.
    pub async fn record_movement_at(
        &self,
        mint: &solana_sdk::pubkey::Pubkey,
        movement: &Movement,
        listed: Option<&str>,
        hits: &[Finding],
    ) -> Result<Recorded, StoreError> {
        let mut tx = self.begin().await?;
        if let Some(address) = listed {
            set_cursor_in(
                &mut tx,
                address,
                &movement.signature.to_string(),
                movement.slot,
            )
            .await?;
        }
        let delta = movement.delta();
        let memo = (!movement.memos.is_empty()).then(|| movement.memos.join("; "));
        let inserted = sqlx::query(
            "INSERT INTO movements (signature, slot, block_time, delta, balance_after, fee, fee_payer, \
             counterparty, memo, kind, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10) \
             ON CONFLICT (signature) DO NOTHING",
        )
        .bind(movement.signature.to_string())
        .bind(signed(movement.slot))
        .bind(movement.block_time)
        .bind(i64::try_from(delta).unwrap_or(i64::MAX))
        .bind(signed(movement.post))
        .bind(signed(movement.fee))
        .bind(movement.fee_payer.to_string())
        .bind(movement.counterparties.first().map(|c| c.to_string()))
        .bind(&memo)
        .bind(super::now())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(Recorded::AlreadyKnown);
        }
        // The program's own movements of the account (by the events that
        // name it) are not payments; money in from a listed sender is held
        // whatever else the transaction did.
        let program_kind = movement.program_kind();
        let incoming = delta > 0 && movement.mint == *mint;
        let invoice = if incoming && (program_kind.is_none() || !hits.is_empty()) {
            invoice_of(&mut tx, movement).await?
        } else {
            None
        };
        let payment = super::payload::movement_payload(movement);
        let signature = movement.signature.to_string();
        let amount = u64::try_from(delta).unwrap_or_default();
        let outcome = match invoice {
            _ if incoming && !hits.is_empty() => {
                let from = held_from(movement, hits);
                super::held::hold(
                    &mut tx,
                    self.seal(),
                    invoice,
                    &signature,
                    amount,
                    payment,
                    &from,
                )
                .await?
            }
            Some(invoice) => {
                let paid = super::apply::Paid {
                    signature: &signature,
                    amount,
                    block_time: movement.block_time,
                };
                super::apply::apply_payment(&mut tx, &invoice.id, &paid, payment).await?
            }
            None if program_kind.is_some() => {
                sqlx::query("UPDATE movements SET kind = $1 WHERE signature = $2")
                    .bind(program_kind)
                    .bind(movement.signature.to_string())
                    .execute(&mut *tx)
                    .await?;
                Recorded::Other
            }
            None if delta > 0 => super::apply::unmatched(&mut tx, &signature, payment).await?,
            None => {
                let kind = if delta < 0 {
                    match movement
                        .memos
                        .iter()
                        .find_map(|m| m.strip_prefix("usd1-pay:"))
                    {
                        Some(_) => "payout",
                        None => "outgoing",
                    }
                } else {
                    "fee"
                };
                sqlx::query("UPDATE movements SET kind = $1 WHERE signature = $2")
                    .bind(kind)
                    .bind(movement.signature.to_string())
                    .execute(&mut *tx)
                    .await?;
                Recorded::Other
            }
        };
        tx.commit().await?;
        if matches!(outcome, Recorded::Held { .. }) {
            self.anchor_cases().await?;
        }
        Ok(outcome)
    }

    pub async fn known_movement(&self, signature: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS known FROM movements WHERE signature = $1")
            .bind(signature)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    /// Movements with a block time in `[from, to)` (all when unbounded), in
    /// chain order.
    pub async fn movements(
        &self,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<StoredMovement>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM movements WHERE COALESCE(block_time, 0) >= $1 AND COALESCE(block_time, 0) < $2 \
             ORDER BY slot, signature",
        )
        .bind(from.unwrap_or(i64::MIN))
        .bind(to.unwrap_or(i64::MAX))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredMovement {
                    signature: row.try_get("signature")?,
                    slot: units(row, "slot")?,
                    block_time: row.try_get("block_time")?,
                    delta: row.try_get("delta")?,
                    balance_after: units(row, "balance_after")?,
                    fee: units(row, "fee")?,
                    fee_payer: row.try_get("fee_payer")?,
                    counterparty: row.try_get("counterparty")?,
                    memo: row.try_get("memo")?,
                    kind: row.try_get("kind")?,
                    invoice_id: row.try_get("invoice_id")?,
                    verdict: row.try_get("verdict")?,
                    difference: row.try_get("difference")?,
                })
            })
            .collect()
    }

    /// How far `address`'s signature list has been read (newest signature processed).
    pub async fn cursor(&self, address: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT signature FROM cursors WHERE address = $1")
            .bind(address)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("signature")).transpose()?)
    }

    pub async fn set_cursor(
        &self,
        address: &str,
        signature: &str,
        slot: u64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        set_cursor_in(&mut tx, address, signature, slot).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Records that the program transaction `signature` was read, with the
    /// webhook events it causes (kind, data), exactly once: false if it
    /// already was.
    pub async fn record_program_transaction(
        &self,
        signature: &str,
        slot: u64,
        events: &[(&str, serde_json::Value)],
        settled: Option<&Settlement>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO program_transactions (signature, slot) VALUES ($1, $2) ON CONFLICT (signature) DO NOTHING",
        )
        .bind(signature)
        .bind(signed(slot))
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        for (at, (kind, data)) in events.iter().enumerate() {
            let cause = format!("{signature}/{at}");
            outbox::emit(&mut tx, kind, &cause, None, data.clone()).await?;
        }
        if let Some(settled) = settled {
            // The ledger's row for it: nothing moves (the tokens left the
            // account at the request), at the balance the account then had.
            let balance = sqlx::query(
                "SELECT balance_after FROM movements WHERE slot <= $1 ORDER BY slot DESC LIMIT 1",
            )
            .bind(signed(slot))
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get::<i64, _>("balance_after"))
            .transpose()?
            .unwrap_or_default();
            sqlx::query(
                "INSERT INTO movements (signature, slot, block_time, delta, balance_after, fee, fee_payer, \
                 counterparty, memo, kind) VALUES ($1, $2, $3, 0, $4, 0, $5, $5, $6, 'redemption_settled') \
                 ON CONFLICT (signature) DO NOTHING",
            )
            .bind(signature)
            .bind(signed(slot))
            .bind(settled.block_time)
            .bind(balance)
            .bind(&settled.treasurer)
            .bind(&settled.memo)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn known_program_transaction(&self, signature: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS known FROM program_transactions WHERE signature = $1")
            .bind(signature)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }
}

async fn set_cursor_in(
    tx: &mut Tx<'_>,
    address: &str,
    signature: &str,
    slot: u64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO cursors (address, signature, slot) VALUES ($1, $2, $3) \
         ON CONFLICT (address) DO UPDATE SET signature = excluded.signature, slot = excluded.slot",
    )
    .bind(address)
    .bind(signature)
    .bind(signed(slot))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
