//! Webhook subscriptions: a URL, the event kinds it hears of and its
//! signing secret (two while one is rotated out). A subscription deleted, or
//! its key revoked, hears of nothing more: its pending deliveries are
//! cancelled with it. Which kinds a key may subscribe to is the service's
//! rule ([`crate::events::Events`]).
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::store::{new_id, now, Store, StoreError, Tx};

/// Subscriptions a key may hold unless the service is told otherwise.
pub const DEFAULT_MAX_PER_KEY: usize = 16;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: String,
    #[serde(skip)]
    pub api_key_id: String,
    pub url: String,
    pub events: Vec<String>,
    #[serde(skip)]
    pub secret: String,
    /// The secret being rotated out, and until when it still signs.
    #[serde(skip)]
    pub previous_secret: Option<String>,
    pub previous_until: Option<i64>,
    pub created_at: i64,
}

impl Webhook {
    /// The secrets that sign a request at `at` (two during a rotation's overlap).
    pub fn signing_secrets(&self, at: i64) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(old), Some(until)) = (&self.previous_secret, self.previous_until) {
            if at < until {
                secrets.push(old);
            }
        }
        secrets
    }
}

pub fn webhook_from(row: &AnyRow) -> Result<Webhook, StoreError> {
    let events: String = row.try_get("events")?;
    Ok(Webhook {
        id: row.try_get("id")?,
        api_key_id: row.try_get("api_key_id")?,
        url: row.try_get("url")?,
        events: events.split(',').map(str::to_string).collect(),
        secret: row.try_get("secret")?,
        previous_secret: row.try_get("previous_secret")?,
        previous_until: row.try_get("previous_until")?,
        created_at: row.try_get("created_at")?,
    })
}

impl<S> Store<S> {
    /// Deletes the key's subscription `id`: no event goes to it any more, its
    /// pending deliveries cancelled. False if the key has no such live one.
    pub async fn delete_webhook(&self, api_key_id: &str, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE webhooks SET deleted_at = $1 WHERE id = $2 AND api_key_id = $3 AND deleted_at IS NULL",
        )
        .bind(now())
        .bind(id)
        .bind(api_key_id)
        .execute(&mut *tx)
        .await?;
        cancel_pending(&mut tx, "webhook_id = $1", id).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// A new subscription and its signing secret (returned this once).
    pub async fn create_webhook(
        &self,
        api_key_id: &str,
        url: &str,
        events: &[String],
    ) -> Result<Webhook, StoreError> {
        let hook = Webhook {
            id: new_id("wh"),
            api_key_id: api_key_id.to_string(),
            url: url.to_string(),
            events: events.to_vec(),
            secret: crate::signature::new_secret(),
            previous_secret: None,
            previous_until: None,
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO webhooks (id, api_key_id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&hook.id)
        .bind(&hook.api_key_id)
        .bind(&hook.url)
        .bind(hook.events.join(","))
        .bind(&hook.secret)
        .bind(hook.created_at)
        .execute(self.pool())
        .await?;
        Ok(hook)
    }

    pub async fn webhook(&self, api_key_id: &str, id: &str) -> Result<Option<Webhook>, StoreError> {
        let row = sqlx::query(
            "SELECT * FROM webhooks WHERE id = $1 AND api_key_id = $2 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(api_key_id)
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(webhook_from).transpose()
    }

    /// A new secret; the old one keeps signing (beside it) for `overlap_secs`.
    pub async fn rotate_secret(
        &self,
        api_key_id: &str,
        id: &str,
        overlap_secs: i64,
    ) -> Result<Option<Webhook>, StoreError> {
        let secret = crate::signature::new_secret();
        sqlx::query(
            "UPDATE webhooks SET previous_secret = secret, previous_until = $1, secret = $2 \
             WHERE id = $3 AND api_key_id = $4",
        )
        .bind(now() + overlap_secs)
        .bind(&secret)
        .bind(id)
        .bind(api_key_id)
        .execute(self.pool())
        .await?;
        self.webhook(api_key_id, id).await
    }
}

/// Cancels the pending deliveries of the subscriptions `filter` names.
pub async fn cancel_pending(tx: &mut Tx<'_>, filter: &str, value: &str) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_until = NULL, \
         last_error = 'the subscription was deleted or its key revoked' \
         WHERE status = 'pending' AND webhook_id IN (SELECT id FROM webhooks WHERE {filter})"
    ))
    .bind(value)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
