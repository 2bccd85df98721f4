//! A service's events and who may hear of them: the kinds a subscription
//! can ask for, the scopes each needs, and whether a key hears of one
//! (its own stream's, or the service-wide kinds its scopes allow).
use sqlx::Row;

use crate::keys::{ApiKey, ScopeKind};
use crate::store::{Store, StoreError};
use crate::webhooks::Webhook;

/// The service's rules for its events.
#[derive(Debug)]
pub struct Events<S: 'static> {
    /// The kinds a subscription can ask for.
    pub kinds: &'static [&'static str],
    /// The body's field that carries an event's place in its stream
    /// (`invoice_sequence`: an invoice's events in order).
    pub sequence_field: &'static str,
    /// The scopes, beyond `webhooks:write`, a subscription to a kind needs.
    pub scopes_for: fn(&str) -> &'static [S],
    /// Whether a key may hear of an event of a kind: of its own stream
    /// (`own`), or service-wide.
    pub may_hear: fn(&ApiKey<S>, &str, bool) -> bool,
}

/// Why a subscription is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SubscribeError<S: ScopeKind> {
    #[error("'{kind}' needs the scope {scope}")]
    MissingScope { kind: String, scope: S },
    #[error("this key already holds {max} webhooks, the most it may; delete one first")]
    TooMany { max: usize },
}

impl<S: ScopeKind> Events<S> {
    /// Checks a subscription of `key` to `events` before it is made.
    pub fn check(&self, key: &ApiKey<S>, events: &[String]) -> Result<(), SubscribeError<S>> {
        for kind in events {
            if let Some(scope) = (self.scopes_for)(kind).iter().find(|s| !key.allows(**s)) {
                return Err(SubscribeError::MissingScope {
                    kind: kind.clone(),
                    scope: *scope,
                });
            }
        }
        Ok(())
    }
}

impl<S: ScopeKind> Store<S> {
    /// A new subscription of `key` (at most `max` live per key) and its
    /// signing secret (returned this once).
    pub async fn subscribe(
        &self,
        rules: &Events<S>,
        key: &ApiKey<S>,
        url: &str,
        events: &[String],
        max: usize,
    ) -> Result<Result<Webhook, SubscribeError<S>>, StoreError> {
        if let Err(refused) = rules.check(key, events) {
            return Ok(Err(refused));
        }
        let live = sqlx::query(
            "SELECT COUNT(*) AS live FROM webhooks WHERE api_key_id = $1 AND deleted_at IS NULL",
        )
        .bind(&key.id)
        .fetch_one(self.pool())
        .await?
        .try_get::<i64, _>("live")?;
        if usize::try_from(live).unwrap_or(usize::MAX) >= max {
            return Ok(Err(SubscribeError::TooMany { max }));
        }
        Ok(Ok(self.create_webhook(&key.id, url, events).await?))
    }
}
