//! The HTTP JSON API: bearer API keys with scopes, a per-key rate limit,
//! bodies of at most 64 KiB read strictly (unknown fields refused), query
//! strings read after the key is checked, and every error (a wrong method,
//! an unknown path, a bad query, the database away) a JSON body
//! `{"error": {"code", "message"}}` with a stable code — never a driver's
//! words.
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::store::{Store, StoreError};
use crate::Treasury;

mod auth;
mod cases;
mod exports;
mod invoices;
mod probes;
mod webhooks;

pub use auth::Caller;

/// The largest request body read.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Requests a key may make: a bucket of `burst`, refilled at `per_second`.
#[derive(Clone, Copy, Debug)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: 50.0,
            burst: 100.0,
        }
    }
}

pub struct AppState {
    pub store: Store,
    pub treasury: Treasury,
    /// The chain (the freezer's key, for a freeze to build).
    pub ledger: Arc<usd1_client::rpc::RpcLedger>,
    pub limit: RateLimit,
    /// Webhooks may be sent to private addresses (development only).
    pub allow_private_webhooks: bool,
    /// Live webhooks a key may hold.
    pub max_webhooks_per_key: usize,
    /// Invoices' default lifetime and how many a key may have open.
    pub invoices: InvoiceLimits,
    /// What the components report, for `/ready` and `/metrics`.
    pub health: Arc<crate::health::Health>,
    /// The screening lists, whose state `/ready` and `/metrics` show.
    pub lists: Option<Arc<crate::rescreen::Lists>>,
    buckets: auth::Buckets,
}

/// How long an invoice made without a deadline lives, and how many open
/// (or underpaid) invoices one key may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvoiceLimits {
    pub ttl_secs: i64,
    pub max_open_per_key: u64,
}

impl Default for InvoiceLimits {
    fn default() -> Self {
        InvoiceLimits {
            ttl_secs: 24 * 3600,
            max_open_per_key: 10_000,
        }
    }
}

impl AppState {
    pub fn new(
        store: Store,
        treasury: Treasury,
        ledger: Arc<usd1_client::rpc::RpcLedger>,
        limit: RateLimit,
    ) -> Self {
        AppState {
            store,
            treasury,
            ledger,
            limit,
            allow_private_webhooks: false,
            max_webhooks_per_key: crate::store::webhooks::DEFAULT_MAX_PER_KEY,
            invoices: InvoiceLimits::default(),
            health: Arc::default(),
            lists: None,
            buckets: auth::Buckets::default(),
        }
    }

    /// This state with its webhook rules: private destinations allowed or
    /// not, and how many live webhooks a key may hold.
    pub fn with_webhooks(mut self, allow_private: bool, max_per_key: usize) -> Self {
        self.allow_private_webhooks = allow_private;
        self.max_webhooks_per_key = max_per_key;
        self
    }

    /// This state reporting to `health`, showing `lists`.
    pub fn with_health(
        mut self,
        health: Arc<crate::health::Health>,
        lists: Arc<crate::rescreen::Lists>,
    ) -> Self {
        self.health = health;
        self.lists = Some(lists);
        self
    }

    /// `/ready`'s answer now.
    pub async fn readiness(&self) -> crate::health::Ready {
        let database = self.store.ping(std::time::Duration::from_secs(1)).await;
        let lists = self.lists.as_ref().map(|l| l.state()).unwrap_or_default();
        self.health.ready(database, lists)
    }

    /// This state with its invoices' default lifetime and cap per key.
    pub fn with_invoices(mut self, limits: InvoiceLimits) -> Self {
        self.invoices = limits;
        self
    }
}

pub type State = axum::extract::State<Arc<AppState>>;

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(probes::health))
        .route("/ready", get(probes::ready))
        .route("/metrics", get(probes::metrics))
        .route("/v1/invoices", post(invoices::create).get(invoices::list))
        .route("/v1/invoices/{id}", get(invoices::show))
        .route("/v1/invoices/{id}/cancel", post(invoices::cancel))
        .route("/v1/invoices/{id}/qr.svg", get(invoices::qr))
        .route("/v1/webhooks", post(webhooks::create))
        .route("/v1/webhooks/{id}", axum::routing::delete(webhooks::delete))
        .route("/v1/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route("/v1/webhooks/{id}/replay", post(webhooks::replay))
        .route("/v1/webhooks/{id}/rotate-secret", post(webhooks::rotate))
        .route("/v1/cases", get(cases::list))
        .route("/v1/cases/verify", get(cases::verify))
        .route("/v1/cases/{id}", get(cases::show))
        .route("/v1/cases/{id}/assign", post(cases::assign))
        .route("/v1/cases/{id}/notes", post(cases::note))
        .route("/v1/cases/{id}/decisions", post(cases::decide))
        .route("/v1/cases/{id}/approve", post(cases::approve))
        .route("/v1/cases/{id}/files/{sha256}", get(cases::file))
        .route("/v1/exports/ledger.csv", get(exports::csv))
        .route("/v1/exports/ledger.json", get(exports::json))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            probes::count,
        ))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
}

/// A refusal: HTTP status, stable code, human message.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
    /// It came from the database: counted in `/metrics`.
    from_store: bool,
}

/// On a response whose error came from the database (for `/metrics`).
#[derive(Clone, Copy, Debug)]
pub struct StoreFailed;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
            from_store: false,
        }
    }

    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        )
    }
}

impl From<StoreError> for ApiError {
    /// The database away (its pool gave no connection in time, it is
    /// locked, or a connection broke): 503 with Retry-After. Anything else:
    /// 500 with a reference the operator's log carries beside the detail.
    /// Neither says what the driver said.
    fn from(error: StoreError) -> Self {
        if error.is_unavailable() {
            let mut unavailable = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the gateway's database is not answering; try again shortly",
            );
            unavailable.retry_after = Some(1);
            unavailable.from_store = true;
            return unavailable;
        }
        let reference = crate::store::new_id("err");
        eprintln!("usd1-gateway: API: {reference}: {error}");
        let mut internal = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!("the gateway could not do that (reference {reference}, in its log)"),
        );
        internal.from_store = true;
        internal
    }
}

/// The request's query string as `T`, read strictly: an unknown parameter or
/// a value of the wrong kind is `invalid_query`. Handlers read it after the
/// caller is known.
pub fn query<T: DeserializeOwned>(uri: &axum::http::Uri) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad("invalid_query", e.body_text()))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.from_store {
            response.extensions_mut().insert(StoreFailed);
        }
        response
    }
}

/// A request body of at most [`BODY_LIMIT`] bytes as `T`, strictly.
pub async fn read_json<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is over {BODY_LIMIT} bytes"),
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let text = e.to_string();
        if text.starts_with("unknown field") {
            ApiError::bad("unknown_field", text)
        } else if e.is_syntax() || e.is_eof() {
            ApiError::bad("malformed_json", text)
        } else {
            ApiError::bad("invalid_field", text)
        }
    })
}
