//! `/health`, `/ready` and `/metrics`: for a supervisor, a load balancer and
//! Prometheus, behind no API key, each answering at once (the readiness's
//! database check waits a second at most). And the count of every request
//! answered, by route and status.
use axum::extract::{MatchedPath, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::State;

/// `/health`'s answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `true`: the process answers.
    healthy: bool,
    problems: Vec<String>,
    /// A list refused, the holders' re-screen failing.
    warnings: Vec<String>,
    screening: crate::rescreen::ListsState,
}

/// The process answers; what it warns of (a list refused, the holders'
/// re-screen failing) is said, without making it unhealthy.
#[utoipa::path(
    get, path = "/health", operation_id = "health", tag = "probes",
    responses((status = 200, description = "The process answers.", body = Health))
)]
pub async fn health(state: State) -> Response {
    let screening = state.lists.as_ref().map(|l| l.state()).unwrap_or_default();
    let mut warnings: Vec<String> = screening.refused.clone();
    if let Some(error) = &screening.rescreen_error {
        warnings.push(format!(
            "the holders' re-screen for a new list version fails: {error}"
        ));
    }
    Json(Health {
        healthy: true,
        problems: Vec::new(),
        warnings,
        screening,
    })
    .into_response()
}

/// 200 when the database answers, the watcher passed lately and reached the
/// node, and the deliverer goes round; 503 with each check otherwise.
#[utoipa::path(
    get, path = "/ready", operation_id = "ready", tag = "probes",
    responses(
        (status = 200, description = "Ready: every check passes.", body = crate::health::Ready),
        (status = 503, description = "Not ready: the checks say which fails.", body = crate::health::Ready),
    )
)]
pub async fn ready(state: State) -> Response {
    let ready = state.readiness().await;
    let status = if ready.healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(ready)).into_response()
}

/// Prometheus metrics: requests, the watcher, the outbox, deliveries, lists.
#[utoipa::path(
    get, path = "/metrics", operation_id = "metrics", tag = "probes",
    responses((status = 200, description = "The Prometheus text format 0.0.4.", content_type = "text/plain", body = String))
)]
pub async fn metrics(state: State) -> Response {
    let ready = state.readiness().await;
    let outbox = match tokio::time::timeout(
        std::time::Duration::from_secs(1),
        state.store.outbox_stats(),
    )
    .await
    {
        Ok(Ok(stats)) => Some(stats),
        _ => None,
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.health.render(&ready, outbox),
    )
        .into_response()
}

/// Counts the request by its route's pattern (never the ids in its path)
/// and the status it was answered with.
pub async fn count(state: State, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    if response.extensions().get::<super::StoreFailed>().is_some() {
        state.health.database_error();
    }
    state.health.request(&route, status);
    response
}
