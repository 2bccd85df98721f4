//! `/v1/webhooks`, the same for every service: subscribe (the signing
//! secret shown once), the delivery log, replay from an event or a time,
//! secret rotation with overlap, delete. The service says which events
//! there are, which scope writes webhooks, and where they may go.
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete as delete_route, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{read_json, ApiError, Caller, HasGate};
use crate::events::{Events, SubscribeError};
use crate::keys::ScopeKind;
use crate::webhooks::Webhook;

/// A service's state that serves `/v1/webhooks`.
pub trait HasWebhooks<S: ScopeKind + 'static>: HasGate<S> {
    /// The service's events and who hears of them.
    fn events(&self) -> &'static Events<S>;
    /// The scope that may manage webhooks.
    fn write_scope(&self) -> S;
    /// Webhooks may go to loopback and private addresses (development).
    fn allow_private(&self) -> bool;
    /// Live webhooks a key may hold.
    fn max_per_key(&self) -> usize;
}

/// The `/v1/webhooks` routes.
pub fn routes<St: HasWebhooks<S>, S: ScopeKind>() -> Router<Arc<St>> {
    Router::new()
        .route("/v1/webhooks", post(create::<St, S>))
        .route("/v1/webhooks/{id}", delete_route(delete::<St, S>))
        .route("/v1/webhooks/{id}/deliveries", get(deliveries::<St, S>))
        .route("/v1/webhooks/{id}/replay", post(replay::<St, S>))
        .route("/v1/webhooks/{id}/rotate-secret", post(rotate::<St, S>))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateWebhook {
    url: String,
    events: Vec<String>,
}

fn with_secret(hook: &Webhook) -> Value {
    let mut value = serde_json::to_value(hook).unwrap_or_default();
    value["secret"] = Value::String(hook.secret.clone());
    value
}

async fn create<St: HasWebhooks<S>, S: ScopeKind>(
    State(state): State<Arc<St>>,
    caller: Caller<S>,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let key = caller.may(state.write_scope())?;
    let request: CreateWebhook = read_json(body).await?;
    let url = crate::egress::check_url(&request.url, state.allow_private())
        .await
        .map_err(|refused| match refused {
            crate::egress::Refused::NotHttp(_) => ApiError::bad("invalid_url", refused.to_string()),
            _ => ApiError::bad("forbidden_destination", refused.to_string()),
        })?;
    if request.events.is_empty() {
        return Err(ApiError::bad("invalid_field", "events is empty"));
    }
    let kinds = state.events().kinds;
    if let Some(unknown) = request.events.iter().find(|e| !kinds.contains(&e.as_str())) {
        return Err(ApiError::bad(
            "unknown_event",
            format!("'{unknown}' is not one of {}", kinds.join(", ")),
        ));
    }
    let mut events = request.events.clone();
    events.sort();
    events.dedup();
    let hook = state
        .gate()
        .store
        .subscribe(
            state.events(),
            key,
            url.as_str(),
            &events,
            state.max_per_key(),
        )
        .await?
        .map_err(|refused| match refused {
            SubscribeError::MissingScope { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, "missing_scope", refused.to_string())
            }
            SubscribeError::TooMany { .. } => ApiError::new(
                StatusCode::CONFLICT,
                "too_many_webhooks",
                refused.to_string(),
            ),
        })?;
    Ok((StatusCode::CREATED, Json(with_secret(&hook))))
}

/// `DELETE /v1/webhooks/{id}`: nothing more goes to it; what was pending
/// is cancelled.
async fn delete<St: HasWebhooks<S>, S: ScopeKind>(
    State(state): State<Arc<St>>,
    caller: Caller<S>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = caller.may(state.write_scope())?;
    if !state.gate().store.delete_webhook(&key.id, &id).await? {
        return Err(ApiError::not_found("webhook"));
    }
    Ok(Json(json!({"id": id, "deleted": true})))
}

async fn own<St: HasWebhooks<S>, S: ScopeKind>(
    state: &St,
    caller: &Caller<S>,
    id: &str,
) -> Result<(String, Webhook), ApiError> {
    let key = caller.may(state.write_scope())?;
    let hook = state
        .gate()
        .store
        .webhook(&key.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook"))?;
    Ok((key.id.clone(), hook))
}

async fn deliveries<St: HasWebhooks<S>, S: ScopeKind>(
    State(state): State<Arc<St>>,
    caller: Caller<S>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (_, hook) = own(state.as_ref(), &caller, &id).await?;
    let data = state.gate().store.deliveries(&hook.id).await?;
    Ok(Json(json!({"object": "list", "data": data})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Replay {
    event_id: Option<String>,
    /// Unix seconds, an RFC 3339 time or a date.
    since: Option<Value>,
}

async fn replay<St: HasWebhooks<S>, S: ScopeKind>(
    State(state): State<Arc<St>>,
    caller: Caller<S>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let (_, hook) = own(state.as_ref(), &caller, &id).await?;
    let request: Replay = read_json(body).await?;
    if request.event_id.is_none() == request.since.is_none() {
        return Err(ApiError::bad(
            "invalid_field",
            "give exactly one of event_id and since",
        ));
    }
    let since = match &request.since {
        None => None,
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(text)) => {
            Some(crate::time::parse_time(text).map_err(|e| ApiError::bad("invalid_time", e))?)
        }
        Some(_) => {
            return Err(ApiError::bad(
                "invalid_time",
                "since is a time or unix seconds",
            ))
        }
    };
    let queued = state
        .gate()
        .store
        .replay(&hook.id, request.event_id.as_deref(), since)
        .await?;
    Ok(Json(json!({"queued": queued})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotate {
    overlap_secs: Option<i64>,
}

async fn rotate<St: HasWebhooks<S>, S: ScopeKind>(
    State(state): State<Arc<St>>,
    caller: Caller<S>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let (key, hook) = own(state.as_ref(), &caller, &id).await?;
    let request: Rotate = read_json(body).await?;
    let overlap = request.overlap_secs.unwrap_or(24 * 3600);
    if !(0..=7 * 24 * 3600).contains(&overlap) {
        return Err(ApiError::bad(
            "invalid_field",
            "overlap_secs is 0 to 604800",
        ));
    }
    let hook = state
        .gate()
        .store
        .rotate_secret(&key, &hook.id, overlap)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook"))?;
    Ok(Json(with_secret(&hook)))
}
