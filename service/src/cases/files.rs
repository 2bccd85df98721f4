//! Case files: what the compliance officer files (a report) or what a freeze
//! cites (the order): the case, its hits, the service's evidence (what the
//! subject sent, what is held) and the history so far, as JSON. Stored by
//! SHA-256 so the bytes a freeze cites on-chain can always be produced.
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::{case_in, entry_from, Actor, CaseError, Holdings};
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
pub(super) async fn write<H: Holdings>(
    tx: &mut Tx<'_>,
    holdings: &H,
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
    let evidence = holdings.evidence(tx, &case, on_chain).await?;
    let created_at = now();
    let mut document = json!({
        "kind": kind,
        "case": case,
        "subject": case.subject,
        "hits": case.hits,
        "history": history,
        "written_by": actor,
        "why": why,
        "written_at": created_at,
    });
    if let Some(fields) = document.as_object_mut() {
        fields.extend(evidence);
    }
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

impl<S> Store<S> {
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
