//! The HTTP JSON API: bearer API keys with scopes, a per-key rate limit,
//! bodies of at most 64 KiB read strictly (unknown fields refused), query
//! strings read after the key is checked, and every error (a wrong method,
//! an unknown path, a bad query, the database away) a JSON body
//! `{"error": {"code", "message"}}` with a stable code — never a driver's
//! words.
use std::sync::Arc;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;

use crate::store::Store;
use crate::Treasury;

mod cases;
mod exports;
mod invoices;
pub mod openapi;
mod probes;

pub use usd1_service::api::{query, read_json, ApiError, RateLimit, StoreFailed, BODY_LIMIT};
use usd1_service::api::{Gate, HasGate};

use crate::store::keys::{ApiKey, Scope};

/// The caller: a live key of the gateway within its rate.
pub type Caller = usd1_service::api::Caller<Scope>;

pub struct AppState {
    pub store: Store,
    pub treasury: Treasury,
    /// The chain (the freezer's key, for a freeze to build).
    pub ledger: Arc<usd1_client::rpc::RpcLedger>,
    /// The keys and the rates every request passes.
    pub gate: Gate<Scope>,
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
}

impl HasGate<Scope> for AppState {
    fn gate(&self) -> &Gate<Scope> {
        &self.gate
    }
}

impl usd1_service::api::webhooks::HasWebhooks<Scope> for AppState {
    fn events(&self) -> &'static usd1_service::events::Events<Scope> {
        &crate::store::webhooks::EVENTS
    }
    fn write_scope(&self) -> Scope {
        Scope::WebhooksWrite
    }
    fn allow_private(&self) -> bool {
        self.allow_private_webhooks
    }
    fn max_per_key(&self) -> usize {
        self.max_webhooks_per_key
    }
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
            gate: Gate::new(store.kit().clone(), limit),
            store,
            treasury,
            ledger,
            allow_private_webhooks: false,
            max_webhooks_per_key: crate::store::webhooks::DEFAULT_MAX_PER_KEY,
            invoices: InvoiceLimits::default(),
            health: Arc::default(),
            lists: None,
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

    /// One whole-table read (an unbounded export, the case chain's
    /// verification) of `key`'s, or how long until one is allowed.
    pub fn heavy(&self, key: &ApiKey) -> Result<(), ApiError> {
        self.gate.heavy(key)
    }

    /// This state with its invoices' default lifetime and cap per key.
    pub fn with_invoices(mut self, limits: InvoiceLimits) -> Self {
        self.invoices = limits;
        self
    }
}

pub type State = axum::extract::State<Arc<AppState>>;

pub fn router(state: Arc<AppState>) -> Router {
    usd1_service::api::name_service("gateway");
    Router::new()
        .route("/health", get(probes::health))
        .route("/ready", get(probes::ready))
        .route("/metrics", get(probes::metrics))
        .route("/openapi.json", get(openapi::contract))
        .route("/v1/invoices", post(invoices::create).get(invoices::list))
        .route("/v1/invoices/{id}", get(invoices::show))
        .route("/v1/invoices/{id}/cancel", post(invoices::cancel))
        .route("/v1/invoices/{id}/qr.svg", get(invoices::qr))
        .merge(usd1_service::api::webhooks::routes::<AppState, Scope>())
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
