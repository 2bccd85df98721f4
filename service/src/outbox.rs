//! Events and the transactional outbox: an event is written in the
//! transaction of the state change that caused it, with one delivery row
//! per subscription that may hear of it (the service's [`Events::may_hear`]);
//! deliverers lease due rows fairly between keys (a conditional update per
//! row, so two instances never send one at once), and a later event of a
//! stream (an invoice, a deposit) waits until every earlier one was accepted.
use serde::Serialize;
use sqlx::Row;

use crate::events::Events;
use crate::keys::{ApiKey, ScopeKind};
use crate::store::{now, Store, StoreError, Tx};
use crate::webhooks::{webhook_from, Webhook};

/// The ordered stream an event belongs to: its id, the event's place in it
/// (already advanced by the caller) and the key whose stream it is.
#[derive(Clone, Copy, Debug)]
pub struct Stream<'a> {
    pub id: &'a str,
    pub seq: i64,
    pub key_id: &'a str,
}

/// One leased delivery, with what to send.
#[derive(Clone, Debug)]
pub struct Due {
    pub webhook: Webhook,
    pub event_seq: i64,
    pub event_id: String,
    pub created_at: i64,
    pub attempts: i64,
    pub body: String,
}

/// A delivery as `GET /v1/webhooks/{id}/deliveries` shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i64,
    pub next_at: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

/// How deliveries are retried.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// The first retry's delay, doubled each time…
    pub first_secs: i64,
    /// …up to this…
    pub cap_secs: i64,
    /// …for this long after the event, then dead-lettered.
    pub give_up_secs: i64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first_secs: 1,
            cap_secs: 3600,
            give_up_secs: 3 * 24 * 3600,
        }
    }
}

impl Backoff {
    /// The delay after the `attempts`-th failed attempt (1-based).
    pub fn delay(&self, attempts: i64) -> i64 {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 40)).unwrap_or(40);
        self.first_secs
            .saturating_mul(1i64 << doublings)
            .min(self.cap_secs)
    }
}

/// An event's id, from what caused it: the same cause is the same id, so a
/// state change recorded again (after a crash lost its commit) emits the
/// event a receiver may already have under the same `Usd1-Event-Id`.
pub fn event_id(kind: &str, cause: &str, stream: Option<&str>) -> String {
    let text = format!("{kind}\0{cause}\0{}", stream.unwrap_or_default());
    let digest = usd1_client::sha256(text.as_bytes());
    format!("evt_{}", usd1_client::hex(&digest[..16]))
}

/// Writes an event and its deliveries inside the caller's transaction. A
/// stream's event carries its place in the stream under the service's
/// `sequence_field`; `cause` (a transaction's signature, an invoice's id)
/// names its id.
pub async fn emit<S: ScopeKind>(
    tx: &mut Tx<'_>,
    rules: &Events<S>,
    kind: &str,
    cause: &str,
    stream: Option<Stream<'_>>,
    data: impl Serialize,
) -> Result<String, StoreError> {
    let data = serde_json::to_value(data)
        .map_err(|e| StoreError::Malformed(format!("{kind} event's data: {e}")))?;
    let id = event_id(kind, cause, stream.map(|s| s.id));
    let created_at = now();
    let sequence = stream.map(|s| s.seq);
    let mut body = serde_json::Map::new();
    body.insert("id".into(), id.clone().into());
    body.insert("type".into(), kind.into());
    body.insert("created".into(), created_at.into());
    body.insert(rules.sequence_field.into(), sequence.into());
    body.insert("data".into(), data);
    let body = serde_json::Value::Object(body);
    let row = sqlx::query(
        "INSERT INTO events (id, kind, stream_id, stream_seq, created_at, payload) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
    )
    .bind(&id)
    .bind(kind)
    .bind(stream.map(|s| s.id.to_string()))
    .bind(sequence)
    .bind(created_at)
    .bind(body.to_string())
    .fetch_one(&mut **tx)
    .await?;
    let seq: i64 = row.try_get("seq")?;
    // A stream's events go to the stream's own key's subscriptions; the
    // service-wide ones to keys whose scopes may hear of them. Deleted
    // subscriptions and revoked keys hear nothing.
    let hooks = sqlx::query(
        "SELECT w.*, k.scopes AS key_scopes, k.revoked_at AS key_revoked FROM webhooks w \
         JOIN api_keys k ON k.id = w.api_key_id \
         WHERE w.deleted_at IS NULL AND ($1 = '' OR w.api_key_id = $1)",
    )
    .bind(stream.map_or(String::new(), |s| s.key_id.to_string()))
    .fetch_all(&mut **tx)
    .await?;
    for row in &hooks {
        let hook = webhook_from(row)?;
        if !hook.events.iter().any(|e| e == kind) {
            continue;
        }
        let scopes: String = row.try_get("key_scopes")?;
        let key = ApiKey::<S> {
            id: hook.api_key_id.clone(),
            name: String::new(),
            operator: None,
            scopes: scopes.split(',').filter_map(|s| s.parse().ok()).collect(),
            created_at: 0,
            revoked_at: row.try_get("key_revoked")?,
        };
        if !(rules.may_hear)(&key, kind, stream.is_some()) {
            continue;
        }
        sqlx::query(
            "INSERT INTO deliveries (webhook_id, event_seq, status, next_at) VALUES ($1, $2, 'pending', $3)",
        )
        .bind(&hook.id)
        .bind(seq)
        .bind(created_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

impl<S> Store<S> {
    /// Why a stream's event is dead-lettered behind an earlier one.
    fn earlier_dead(&self) -> String {
        format!(
            "an earlier event of its {} was dead-lettered",
            self.stream()
        )
    }

    /// Leases up to `limit` due deliveries for `owner` until `lease_until`,
    /// oldest event first, never one whose stream has an earlier event not
    /// yet accepted by the same subscription.
    pub async fn lease_due(
        &self,
        owner: &str,
        at: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<Due>, StoreError> {
        self.lease_fair(owner, at, lease_until, limit, i64::MAX, &[])
            .await
    }

    /// [`Self::lease_due`], fairly between keys: at most `per_key` of one
    /// key's deliveries, none of the keys in `busy` (already at their share
    /// of what is in flight), and then by age. Each row is leased by a
    /// conditional update, so two deliverers (two gateways on one
    /// PostgreSQL) never lease one row both.
    pub async fn lease_fair(
        &self,
        owner: &str,
        at: i64,
        lease_until: i64,
        limit: i64,
        per_key: i64,
        busy: &[String],
    ) -> Result<Vec<Due>, StoreError> {
        // A stream's event that can no longer go out in order (an earlier
        // one was dead-lettered after it was written) is dead-lettered too,
        // never left pending behind it forever.
        sqlx::query(
            "UPDATE deliveries SET status = 'dead', last_error = $1 \
             WHERE status = 'pending' AND EXISTS (SELECT 1 FROM events e JOIN deliveries d2 \
                 ON d2.webhook_id = deliveries.webhook_id AND d2.status = 'dead' \
                 JOIN events e2 ON e2.seq = d2.event_seq \
                 WHERE e.seq = deliveries.event_seq AND e.stream_id IS NOT NULL \
                 AND e2.stream_id = e.stream_id AND e2.stream_seq < e.stream_seq)",
        )
        .bind(self.earlier_dead())
        .execute(self.pool())
        .await?;
        let busy_marks: Vec<String> = (0..busy.len()).map(|i| format!("${}", i + 4)).collect();
        let busy_clause = if busy.is_empty() {
            String::new()
        } else {
            format!(" AND w.api_key_id NOT IN ({})", busy_marks.join(", "))
        };
        let sql = format!(
            "SELECT webhook_id, event_seq FROM (SELECT d.webhook_id, d.event_seq, \
                 ROW_NUMBER() OVER (PARTITION BY w.api_key_id ORDER BY d.event_seq, d.webhook_id) AS share \
             FROM deliveries d JOIN events e ON e.seq = d.event_seq JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.status = 'pending' AND d.next_at <= $1 AND w.deleted_at IS NULL \
             AND (d.lease_until IS NULL OR d.lease_until < $1){busy_clause} \
             AND NOT EXISTS (SELECT 1 FROM deliveries d2 JOIN events e2 ON e2.seq = d2.event_seq \
                 WHERE d2.webhook_id = d.webhook_id AND e.stream_id IS NOT NULL \
                 AND e2.stream_id = e.stream_id AND e2.stream_seq < e.stream_seq \
                 AND d2.status <> 'delivered')) ranked \
             WHERE share <= $2 ORDER BY share, event_seq, webhook_id LIMIT $3"
        );
        let mut select = sqlx::query(&sql).bind(at).bind(per_key).bind(limit);
        for key in busy {
            select = select.bind(key);
        }
        let mut picked: Vec<(String, i64)> = select
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|row| Ok((row.try_get("webhook_id")?, row.try_get("event_seq")?)))
            .collect::<Result<_, StoreError>>()?;
        // One order for every deliverer: two lease transactions never wait
        // on each other's rows in opposite orders.
        picked.sort();
        let mut tx = self.begin().await?;
        let mut due = Vec::new();
        for (webhook_id, event_seq) in picked {
            let leased = sqlx::query(
                "UPDATE deliveries SET lease_owner = $1, lease_until = $2 \
                 WHERE webhook_id = $3 AND event_seq = $4 AND status = 'pending' \
                 AND (lease_until IS NULL OR lease_until < $5)",
            )
            .bind(owner)
            .bind(lease_until)
            .bind(&webhook_id)
            .bind(event_seq)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            if leased.rows_affected() != 1 {
                continue;
            }
            let row = sqlx::query(
                "SELECT w.*, e.id AS event_id, e.created_at AS event_created, e.payload, d.attempts \
                 FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.seq = d.event_seq \
                 WHERE d.webhook_id = $1 AND d.event_seq = $2",
            )
            .bind(&webhook_id)
            .bind(event_seq)
            .fetch_one(&mut *tx)
            .await?;
            due.push(Due {
                webhook: webhook_from(&row)?,
                event_seq,
                event_id: row.try_get("event_id")?,
                created_at: row.try_get("event_created")?,
                attempts: row.try_get("attempts")?,
                body: row.try_get("payload")?,
            });
        }
        tx.commit().await?;
        Ok(due)
    }

    /// Records one attempt: accepted, retried later, or dead-lettered (with
    /// the stream's later events for the same subscription, which may not
    /// overtake it). Only the lease's owner may record it.
    pub async fn record_attempt(
        &self,
        owner: &str,
        due: &Due,
        status_code: Option<u16>,
        error: Option<&str>,
        millis: i64,
        backoff: &Backoff,
    ) -> Result<(), StoreError> {
        let attempt = Attempt {
            due,
            status_code,
            error,
            millis,
        };
        self.record_attempts(owner, &[attempt], backoff).await
    }

    /// [`Self::record_attempt`] for a round of attempts, in one transaction.
    pub async fn record_attempts(
        &self,
        owner: &str,
        attempts: &[Attempt<'_>],
        backoff: &Backoff,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let earlier_dead = self.earlier_dead();
        for attempt in attempts {
            record_in(&mut tx, owner, attempt, backoff, &earlier_dead).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// One attempt's outcome: the receiver's status code, or why there was none.
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    pub due: &'a Due,
    pub status_code: Option<u16>,
    pub error: Option<&'a str>,
    pub millis: i64,
}

async fn record_in(
    tx: &mut Tx<'_>,
    owner: &str,
    attempt: &Attempt<'_>,
    backoff: &Backoff,
    earlier_dead: &str,
) -> Result<(), StoreError> {
    let Attempt {
        due,
        status_code,
        error,
        millis,
    } = *attempt;
    {
        let at = now();
        sqlx::query(
            "INSERT INTO attempts (webhook_id, event_seq, at, status_code, error, millis) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&due.webhook.id)
        .bind(due.event_seq)
        .bind(at)
        .bind(status_code.map(i64::from))
        .bind(error)
        .bind(millis)
        .execute(&mut **tx)
        .await?;
        let attempts = due.attempts + 1;
        let accepted = error.is_none() && status_code.is_some_and(|c| (200..300).contains(&c));
        let (status, next_at) = if accepted {
            ("delivered", at)
        } else if at - due.created_at >= backoff.give_up_secs {
            ("dead", at)
        } else {
            ("pending", at + backoff.delay(attempts))
        };
        let problem = error
            .map(str::to_string)
            .or_else(|| status_code.map(|c| format!("HTTP {c}")));
        let updated = sqlx::query(
            "UPDATE deliveries SET status = $1, attempts = $2, next_at = $3, last_error = $4, \
             delivered_at = $5, lease_owner = NULL, lease_until = NULL \
             WHERE webhook_id = $6 AND event_seq = $7 AND lease_owner = $8",
        )
        .bind(status)
        .bind(attempts)
        .bind(next_at)
        .bind(if accepted { None } else { problem })
        .bind(accepted.then_some(at))
        .bind(&due.webhook.id)
        .bind(due.event_seq)
        .bind(owner)
        .execute(&mut **tx)
        .await?;
        // A lease another deliverer took over decides nothing here.
        if status == "dead" && updated.rows_affected() == 1 {
            sqlx::query(
                "UPDATE deliveries SET status = 'dead', last_error = $3 \
                 WHERE webhook_id = $1 AND status = 'pending' AND event_seq IN \
                 (SELECT e.seq FROM events e JOIN events first ON first.seq = $2 \
                  WHERE e.stream_id = first.stream_id AND e.stream_seq > first.stream_seq)",
            )
            .bind(&due.webhook.id)
            .bind(due.event_seq)
            .bind(earlier_dead)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

impl<S> Store<S> {
    /// A subscription's deliveries, oldest event first.
    pub async fn deliveries(&self, webhook_id: &str) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.id AS event_id, e.kind, d.status, d.attempts, d.next_at, d.last_error, d.delivered_at \
             FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.webhook_id = $1 ORDER BY d.event_seq",
        )
        .bind(webhook_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Delivery {
                    event_id: row.try_get("event_id")?,
                    event_type: row.try_get("kind")?,
                    status: row.try_get("status")?,
                    attempts: row.try_get("attempts")?,
                    next_at: row.try_get("next_at")?,
                    last_error: row.try_get("last_error")?,
                    delivered_at: row.try_get("delivered_at")?,
                })
            })
            .collect()
    }

    /// Sends again every event of the subscription from `event_id` (or from
    /// the time `since`) on: each delivery back to pending, due now. How many.
    pub async fn replay(
        &self,
        webhook_id: &str,
        from_event: Option<&str>,
        since: Option<i64>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET status = 'pending', next_at = $1, lease_owner = NULL, lease_until = NULL \
             WHERE webhook_id = $2 AND event_seq >= COALESCE( \
                 (SELECT seq FROM events WHERE id = $3), \
                 (SELECT MIN(seq) FROM events WHERE created_at >= $4), \
                 9223372036854775807)",
        )
        .bind(now())
        .bind(webhook_id)
        .bind(from_event.unwrap_or(""))
        .bind(since.unwrap_or(i64::MAX))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}
