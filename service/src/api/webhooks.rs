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
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::openapi::{ErrorBody, List};
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where the events are POSTed: https, to a public address.
    url: String,
    /// The event kinds it hears of (see `webhooks` in this document); at
    /// least one.
    #[schema(min_items = 1)]
    events: Vec<String>,
}

/// A subscription with its signing secret: shown when it is made and when
/// its secret is rotated, never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    webhook: Webhook,
    /// `whsec_` and 32 bytes in base64: the key of both signatures.
    secret: String,
}

fn with_secret(hook: &Webhook) -> WebhookWithSecret {
    WebhookWithSecret {
        webhook: hook.clone(),
        secret: hook.secret.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    id: String,
    deleted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Queued {
    /// Deliveries queued again.
    queued: u64,
}

/// Subscribes a URL to event kinds; the signing secret is in this answer only.
#[utoipa::path(
    post, path = "/v1/webhooks", operation_id = "create_webhook", tag = "webhooks",
    security(("api_key" = ["webhooks:write"])),
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "Subscribed.", body = WebhookWithSecret),
        (status = 400, description = "`invalid_url`, `forbidden_destination` (not a public address), `invalid_field`, `unknown_event`, `unknown_field`, `malformed_json`.", body = ErrorBody),
        (status = 403, description = "Or an event kind needs a scope the key lacks.", body = ErrorBody),
        (status = 409, description = "`too_many_webhooks`: the key holds the most it may.", body = ErrorBody),
        (status = 413, description = "`body_too_large`: over 64 KiB.", body = ErrorBody),
    )
)]
pub async fn create<St: HasWebhooks<S>, S: ScopeKind>(
    State(state): State<Arc<St>>,
    caller: Caller<S>,
    body: Body,
) -> Result<(StatusCode, Json<WebhookWithSecret>), ApiError> {
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
#[utoipa::path(
    delete, path = "/v1/webhooks/{id}", operation_id = "delete_webhook", tag = "webhooks",
    security(("api_key" = ["webhooks:write"])),
    params(("id" = String, Path, description = "The webhook's id.")),
    responses(
        (status = 200, description = "Deleted.", body = Deleted),
        (status = 404, description = "`not_found`: no such webhook of this key's.", body = ErrorBody),
    )
)]
pub async fn delete<St: HasWebhooks<S>, S: ScopeKind>(
    State(state): State<Arc<St>>,
    caller: Caller<S>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    let key = caller.may(state.write_scope())?;
    if !state.gate().store.delete_webhook(&key.id, &id).await? {
        return Err(ApiError::not_found("webhook"));
    }
    Ok(Json(Deleted { id, deleted: true }))
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

/// The webhook's deliveries, newest first: each event's status, attempts
/// and last error.
#[utoipa::path(
    get, path = "/v1/webhooks/{id}/deliveries", operation_id = "list_deliveries", tag = "webhooks",
    security(("api_key" = ["webhooks:write"])),
    params(("id" = String, Path, description = "The webhook's id.")),
    responses(
        (status = 200, description = "The deliveries.", body = List<crate::outbox::Delivery>),
        (status = 404, description = "`not_found`: no such webhook of this key's.", body = ErrorBody),
    )
)]
pub async fn deliveries<St: HasWebhooks<S>, S: ScopeKind>(
    State(state): State<Arc<St>>,
    caller: Caller<S>,
    Path(id): Path<String>,
) -> Result<Json<List<crate::outbox::Delivery>>, ApiError> {
    let (_, hook) = own(state.as_ref(), &caller, &id).await?;
    let data = state.gate().store.deliveries(&hook.id).await?;
    Ok(Json(List::of(data)))
}

/// Exactly one of `event_id` and `since`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// Every event from this one on.
    event_id: Option<String>,
    /// Every event since: unix seconds, an RFC 3339 time or a date.
    #[schema(value_type = Option<TimeOrSeconds>)]
    since: Option<Value>,
}

/// Unix seconds, or an RFC 3339 time or a `YYYY-MM-DD` date.
#[derive(ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub enum TimeOrSeconds {
    Seconds(i64),
    Time(String),
}

/// Sends the webhook's events again, from one event or since a time.
#[utoipa::path(
    post, path = "/v1/webhooks/{id}/replay", operation_id = "replay_events", tag = "webhooks",
    security(("api_key" = ["webhooks:write"])),
    params(("id" = String, Path, description = "The webhook's id.")),
    request_body = Replay,
    responses(
        (status = 200, description = "Queued again.", body = Queued),
        (status = 400, description = "`invalid_field` (give exactly one of the two), `invalid_time`, `unknown_field`, `malformed_json`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such webhook of this key's.", body = ErrorBody),
        (status = 413, description = "`body_too_large`: over 64 KiB.", body = ErrorBody),
    )
)]
pub async fn replay<St: HasWebhooks<S>, S: ScopeKind>(
    State(state): State<Arc<St>>,
    caller: Caller<S>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Queued>, ApiError> {
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
    Ok(Json(Queued { queued }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotate {
    /// How long the old secret still signs beside the new one (default a day).
    #[schema(minimum = 0, maximum = 604800)]
    overlap_secs: Option<i64>,
}

/// A new signing secret; the old one signs too for the overlap.
#[utoipa::path(
    post, path = "/v1/webhooks/{id}/rotate-secret", operation_id = "rotate_webhook_secret", tag = "webhooks",
    security(("api_key" = ["webhooks:write"])),
    params(("id" = String, Path, description = "The webhook's id.")),
    request_body = Rotate,
    responses(
        (status = 200, description = "The new secret.", body = WebhookWithSecret),
        (status = 400, description = "`invalid_field` (overlap_secs out of range), `unknown_field`, `malformed_json`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such webhook of this key's.", body = ErrorBody),
        (status = 413, description = "`body_too_large`: over 64 KiB.", body = ErrorBody),
    )
)]
pub async fn rotate<St: HasWebhooks<S>, S: ScopeKind>(
    State(state): State<Arc<St>>,
    caller: Caller<S>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<WebhookWithSecret>, ApiError> {
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
