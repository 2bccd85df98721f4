//! `/v1/webhooks`: subscribe (the signing secret shown once), the delivery
//! log, replay from an event or a time, and secret rotation with overlap.
use axum::body::Body;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{read_json, ApiError, Caller, State};
use crate::store::keys::Scope;
use crate::store::webhooks::{SubscribeError, Webhook, EVENT_KINDS};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    url: String,
    events: Vec<String>,
}

fn with_secret(hook: &Webhook) -> Value {
    let mut value = serde_json::to_value(hook).unwrap_or_default();
    value["secret"] = Value::String(hook.secret.clone());
    value
}

pub async fn create(
    state: State,
    caller: Caller,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let key = caller.may(Scope::WebhooksWrite)?;
    let request: CreateWebhook = read_json(body).await?;
    let url = crate::egress::check_url(&request.url, state.allow_private_webhooks)
        .await
        .map_err(|refused| match refused {
            crate::egress::Refused::NotHttp(_) => ApiError::bad("invalid_url", refused.to_string()),
            _ => ApiError::bad("forbidden_destination", refused.to_string()),
        })?;
    if request.events.is_empty() {
        return Err(ApiError::bad("invalid_field", "events is empty"));
    }
    if let Some(unknown) = request
        .events
        .iter()
        .find(|e| !EVENT_KINDS.contains(&e.as_str()))
    {
        return Err(ApiError::bad(
            "unknown_event",
            format!("'{unknown}' is not one of {}", EVENT_KINDS.join(", ")),
        ));
    }
    let mut events = request.events.clone();
    events.sort();
    events.dedup();
    let hook = state
        .store
        .subscribe(key, url.as_str(), &events, state.max_webhooks_per_key)
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
pub async fn delete(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = caller.may(Scope::WebhooksWrite)?;
    if !state.store.delete_webhook(&key.id, &id).await? {
        return Err(ApiError::not_found("webhook"));
    }
    Ok(Json(json!({"id": id, "deleted": true})))
}

async fn own(state: &State, caller: &Caller, id: &str) -> Result<(String, Webhook), ApiError> {
    let key = caller.may(Scope::WebhooksWrite)?;
    let hook = state
        .store
        .webhook(&key.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook"))?;
    Ok((key.id.clone(), hook))
}

pub async fn deliveries(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (_, hook) = own(&state, &caller, &id).await?;
    let data = state.store.deliveries(&hook.id).await?;
    Ok(Json(json!({"object": "list", "data": data})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    event_id: Option<String>,
    /// Unix seconds, an RFC 3339 time or a date.
    since: Option<Value>,
}

pub async fn replay(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let (_, hook) = own(&state, &caller, &id).await?;
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
            Some(crate::export::parse_time(text).map_err(|e| ApiError::bad("invalid_time", e))?)
        }
        Some(_) => {
            return Err(ApiError::bad(
                "invalid_time",
                "since is a time or unix seconds",
            ))
        }
    };
    let queued = state
        .store
        .replay(&hook.id, request.event_id.as_deref(), since)
        .await?;
    Ok(Json(json!({"queued": queued})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rotate {
    overlap_secs: Option<i64>,
}

pub async fn rotate(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let (key, hook) = own(&state, &caller, &id).await?;
    let request: Rotate = read_json(body).await?;
    let overlap = request.overlap_secs.unwrap_or(24 * 3600);
    if !(0..=7 * 24 * 3600).contains(&overlap) {
        return Err(ApiError::bad(
            "invalid_field",
            "overlap_secs is 0 to 604800",
        ));
    }
    let hook = state
        .store
        .rotate_secret(&key, &hook.id, overlap)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook"))?;
    Ok(Json(with_secret(&hook)))
}
