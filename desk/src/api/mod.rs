//! The desk's HTTP API under `/v1/`, with the gateway's conventions (the
//! service kit's): bearer keys with scopes, rates, strict bodies and query
//! strings, named error codes, `Idempotency-Key` on every create, and
//! `/v1/webhooks`. Customers, their wallets, bank accounts and deposit
//! instructions; deposits and their approval; redemptions; statements
//! uploaded; reconciliations.
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use usd1_client::screening::Screener;
use usd1_service::api::{ApiError, Gate, HasGate};
use usd1_service::cases::Actor;

use crate::scopes::{Scope, EVENTS};
use crate::store::customers::CustomerError;
use crate::store::statements::Intake;
use crate::store::Store;

mod customers;
mod money;
pub mod openapi;

use customers::*;
use money::*;

/// Where customers wire to: what deposit instructions show beside each
/// customer's reference.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DepositAccount {
    pub beneficiary: String,
    pub bank: String,
    pub account: String,
    pub routing: String,
}

pub struct DeskApi {
    pub store: Store,
    pub gate: Gate<Scope>,
    pub intake: Intake,
    /// Wallets are screened against these when registered.
    pub screener: Arc<Screener>,
    pub deposit_account: DepositAccount,
    pub allow_private_webhooks: bool,
    pub max_webhooks_per_key: usize,
}

impl HasGate<Scope> for DeskApi {
    fn gate(&self) -> &Gate<Scope> {
        &self.gate
    }
}

impl usd1_service::api::webhooks::HasWebhooks<Scope> for DeskApi {
    fn events(&self) -> &'static usd1_service::events::Events<Scope> {
        &EVENTS
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

type St = State<Arc<DeskApi>>;

pub fn router(state: Arc<DeskApi>) -> Router {
    usd1_service::api::name_service("desk");
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi::contract))
        .route("/v1/customers", post(create_customer).get(list_customers))
        .route("/v1/customers/{id}", get(show_customer))
        .route("/v1/customers/{id}/kyb", post(set_kyb))
        .route("/v1/customers/{id}/wallets", post(add_wallet))
        .route("/v1/customers/{id}/bank_accounts", post(add_bank_account))
        .route(
            "/v1/customers/{id}/deposit_instructions",
            get(deposit_instructions),
        )
        .route("/v1/deposits", get(list_deposits))
        .route("/v1/deposits/{id}", get(show_deposit))
        .route("/v1/deposits/{id}/approve", post(approve_deposit))
        .route("/v1/redemptions", get(list_redemptions))
        .route("/v1/statements", post(upload_statement))
        .route("/v1/reconciliations", get(list_reconciliations))
        .merge(usd1_service::api::webhooks::routes::<DeskApi, Scope>())
        .fallback(|| async { ApiError::not_found("endpoint") })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
}

/// `/health`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `true`: the process answers.
    healthy: bool,
}

/// The process answers (no key).
#[utoipa::path(
    get, path = "/health", operation_id = "health", tag = "probes",
    responses((status = 200, description = "The process answers.", body = Health))
)]
pub async fn health() -> Json<Health> {
    Json(Health { healthy: true })
}

fn customer_error(error: CustomerError) -> ApiError {
    let message = error.to_string();
    match error {
        CustomerError::NotFound(_) => ApiError::not_found("customer"),
        CustomerError::Kyb(_) => ApiError::new(StatusCode::CONFLICT, "kyb_transition", message),
        CustomerError::NoOperator => ApiError::bad("operator_required", message),
        CustomerError::BadWallet(_) => ApiError::bad("invalid_wallet", message),
        CustomerError::WalletTaken { .. } => {
            ApiError::new(StatusCode::CONFLICT, "wallet_taken", message)
        }
        CustomerError::BadBankAccount(_) => ApiError::bad("invalid_bank_account", message),
        CustomerError::Listed(_) => ApiError::new(StatusCode::CONFLICT, "customer_listed", message),
        CustomerError::Store(error) => error.into(),
    }
}

/// The person the caller's key belongs to: who every change is recorded under.
fn operator(key: &crate::scopes::ApiKey) -> Result<String, ApiError> {
    Actor::of_key(key).map(|a| a.operator).map_err(|e| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "key_names_no_operator",
            e.to_string(),
        )
    })
}
