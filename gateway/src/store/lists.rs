//! Versions of a screening list an operator confirmed: one that drops more
//! of the previous version's addresses than the gateway takes unasked is
//! used only once confirmed here.
use sqlx::Row;

use super::cases::Actor;
use super::{now, Store, StoreError};

impl Store {
    /// Whether an operator confirmed the list version of this SHA-256 (hex).
    pub async fn list_confirmed(&self, sha256: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS confirmed FROM list_versions WHERE sha256 = $1")
            .bind(sha256.to_ascii_lowercase())
            .fetch_optional(self.reader())
            .await?;
        Ok(row.is_some())
    }

    /// `actor` confirms the version of this SHA-256 (hex, 64 digits); false
    /// if it was confirmed already.
    pub async fn confirm_list_version(
        &self,
        sha256: &str,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let sha256 = sha256.to_ascii_lowercase();
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Malformed(format!(
                "'{sha256}' is not a SHA-256 in hex"
            )));
        }
        let done = sqlx::query(
            "INSERT INTO list_versions (sha256, name, operator, api_key_id, confirmed_at) \
             VALUES ($1, '', $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&sha256)
        .bind(&actor.operator)
        .bind(&actor.api_key)
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every confirmed version: (sha256, operator, when).
    pub async fn confirmed_lists(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT * FROM list_versions ORDER BY confirmed_at, sha256")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("sha256")?,
                    row.try_get("operator")?,
                    row.try_get("confirmed_at")?,
                ))
            })
            .collect()
    }
}
