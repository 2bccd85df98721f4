//! Case files: what the compliance officer files (a report) or what a freeze
//! cites (the order): the case, its hits, what the subject sent the
//! treasury and what is held, and the history so far, as JSON. Stored by
//! SHA-256 so the bytes a freeze cites on-chain can always be produced.
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::{case_in, entry_from, Actor, CaseError};
use crate::store::{now, Store, StoreError, Tx};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaseFile {
    pub case_id: String,
    /// `report` or `order`.
    pub kind: String,
    pub sha256: String,
    pub body: String,
    pub created_at: i64,
}

/// Builds and stores the case file of `id` inside `tx`.
pub(super) async fn write(
    tx: &mut Tx<'_>,
    id: &str,
    kind: &str,
    actor: &Actor,
    why: &str,
    on_chain: Option<&serde_json::Value>,
) -> Result<CaseFile, CaseError> {
    let case = case_in(tx, id).await?;
    let history = sqlx::query("SELECT * FROM case_history WHERE case_id = $1 ORDER BY seq")
        .bind(id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(entry_from)
        .collect::<Result<Vec<_>, _>>()?;
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
        .bind(id)
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
    let created_at = now();
    let document = json!({
        "kind": kind,
        "case": case,
        "subject": case.subject,
        "hits": case.hits,
        "balances": {
            "sent_to_treasury_units": sent.to_string(),
            "held_units": held_units.to_string(),
            "on_chain": on_chain,
        },
        "transactions": transactions,
        "held_payments": held_json,
        "history": history,
        "written_by": actor,
        "why": why,
        "written_at": created_at,
    });
    let body = serde_json::to_string_pretty(&document).unwrap_or_default() + "\n";
    let sha256 = usd1_client::hex(&usd1_client::sha256(body.as_bytes()));
    sqlx::query(
        "INSERT INTO case_files (sha256, case_id, kind, body, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(&sha256)
    .bind(id)
    .bind(kind)
    .bind(&body)
    .bind(created_at)
    .execute(&mut **tx)
    .await?;
    Ok(CaseFile {
        case_id: id.to_string(),
        kind: kind.to_string(),
        sha256,
        body,
        created_at,
    })
}

impl Store {
    /// A case's files, oldest first.
    pub async fn case_files(&self, id: &str) -> Result<Vec<CaseFile>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM case_files WHERE case_id = $1 ORDER BY created_at, sha256")
                .bind(id)
                .fetch_all(self.reader())
                .await?;
        rows.iter()
            .map(|row| {
                Ok(CaseFile {
                    case_id: row.try_get("case_id")?,
                    kind: row.try_get("kind")?,
                    sha256: row.try_get("sha256")?,
                    body: row.try_get("body")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}
