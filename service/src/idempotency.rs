//! Idempotency keys on creates: the first request with a key does the work
//! and its answer is kept; the same request again gets that answer back;
//! another body under the same key is a conflict; one still being worked on
//! is refused (retry). The claim is a row written before the work.
use sqlx::Row;

use crate::store::{now, Store, StoreError};

/// How long a claim may stay unanswered (the process died mid-request)
/// before the key may be used again.
const ABANDONED_SECS: i64 = 60;

/// What a request with an idempotency key finds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The first: do the work, then [`Store::answer_idempotent`].
    New,
    /// Done before: its status and body, to send again.
    Answered { status: u16, body: String },
    /// The key was used with another request.
    Conflict,
    /// The same request is being worked on right now.
    InProgress,
}

impl<S> Store<S> {
    /// Claims `idem_key` of `api_key_id` for the request whose bytes hash to `request_sha256`.
    pub async fn claim_idempotent(
        &self,
        api_key_id: &str,
        idem_key: &str,
        request_sha256: &str,
    ) -> Result<Claim, StoreError> {
        let at = now();
        let mut tx = self.begin().await?;
        // A claim abandoned by a process that died is released.
        sqlx::query(
            "DELETE FROM idempotency WHERE api_key_id = $1 AND idem_key = $2 AND status IS NULL AND created_at < $3",
        )
        .bind(api_key_id)
        .bind(idem_key)
        .bind(at - ABANDONED_SECS)
        .execute(&mut *tx)
        .await?;
        let claimed = sqlx::query(
            "INSERT INTO idempotency (api_key_id, idem_key, request_sha256, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (api_key_id, idem_key) DO NOTHING",
        )
        .bind(api_key_id)
        .bind(idem_key)
        .bind(request_sha256)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        let claim = if claimed.rows_affected() == 1 {
            Claim::New
        } else {
            let row = sqlx::query(
                "SELECT request_sha256, status, response FROM idempotency WHERE api_key_id = $1 AND idem_key = $2",
            )
            .bind(api_key_id)
            .bind(idem_key)
            .fetch_one(&mut *tx)
            .await?;
            let hash: String = row.try_get("request_sha256")?;
            let status: Option<i64> = row.try_get("status")?;
            match status {
                _ if hash != request_sha256 => Claim::Conflict,
                None => Claim::InProgress,
                Some(status) => Claim::Answered {
                    status: u16::try_from(status).unwrap_or(500),
                    body: row
                        .try_get::<Option<String>, _>("response")?
                        .unwrap_or_default(),
                },
            }
        };
        tx.commit().await?;
        Ok(claim)
    }

    /// Keeps the answer of a claimed request (a success), or releases the
    /// claim (a refusal: the same request may be sent again).
    pub async fn answer_idempotent(
        &self,
        api_key_id: &str,
        idem_key: &str,
        answer: Option<(u16, &str)>,
    ) -> Result<(), StoreError> {
        match answer {
            Some((status, body)) => {
                sqlx::query(
                    "UPDATE idempotency SET status = $1, response = $2 WHERE api_key_id = $3 AND idem_key = $4",
                )
                .bind(i64::from(status))
                .bind(body)
                .bind(api_key_id)
                .bind(idem_key)
                .execute(self.pool())
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM idempotency WHERE api_key_id = $1 AND idem_key = $2 AND status IS NULL")
                    .bind(api_key_id)
                    .bind(idem_key)
                    .execute(self.pool())
                    .await?;
            }
        }
        Ok(())
    }
}
