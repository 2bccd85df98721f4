//! The desk's HTTP API under `/v1/`, with the gateway's conventions (the
//! service kit's): bearer keys with scopes, rates, strict bodies and query
//! strings, named error codes, `Idempotency-Key` on every create, and
//! `/v1/webhooks`. Customers, their wallets, bank accounts and deposit
//! instructions; deposits and their approval; redemptions; statements
//! uploaded; reconciliations.
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use usd1_client::screening::Screener;
use usd1_service::api::{
    once, parse_json, query, read_body, read_json, ApiError, Caller, Gate, HasGate,
};
use usd1_service::cases::Actor;

use crate::decide::redeem::Stage;
use crate::decide::{Kyb, State as DepositState};
use crate::scopes::{Scope, EVENTS};
use crate::store::customers::{BankAccount, CustomerError};
use crate::store::deposits::ApprovalError;
use crate::store::statements::{ImportError, Intake, MAX_FILE_BYTES};
use crate::store::Store;

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
        .route("/health", get(|| async { Json(json!({"healthy": true})) }))
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCustomer {
    name: String,
}

async fn create_customer(
    state: St,
    caller: Caller<Scope>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let key = caller.may(Scope::CustomersWrite)?;
    let who = operator(key)?;
    let raw = read_body(body, usd1_service::api::BODY_LIMIT).await?;
    let request: NewCustomer = parse_json(&raw)?;
    if request.name.trim().is_empty() || request.name.len() > 140 {
        return Err(ApiError::bad(
            "invalid_field",
            "name is 1 to 140 characters",
        ));
    }
    once(&state.store, &key.id, &headers, &raw, || async {
        let customer = state.store.create_customer(&request.name, &who).await.map_err(customer_error)?;
        Ok((StatusCode::CREATED, json!({"customer": customer, "deposit_instructions": instructions(&state.deposit_account, &customer.reference)})))
    })
    .await
}

fn instructions(account: &DepositAccount, reference: &str) -> Value {
    json!({"beneficiary": account.beneficiary, "bank": account.bank, "account_number": account.account,
           "routing_number": account.routing, "reference": reference,
           "note": "put the reference in the wire's remittance information"})
}

async fn list_customers(state: St, caller: Caller<Scope>) -> Result<Json<Value>, ApiError> {
    caller.may(Scope::CustomersRead)?;
    let customers = state.store.customers().await?;
    Ok(Json(json!({"object": "list", "data": customers})))
}

async fn show_customer(
    state: St,
    caller: Caller<Scope>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.may(Scope::CustomersRead)?;
    let customer = state
        .store
        .customer(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    let wallets = state.store.wallets(&id).await?;
    let history = state.store.kyb_history(&id).await?;
    Ok(Json(
        json!({"customer": customer, "wallets": wallets, "kyb_history": history}),
    ))
}

async fn deposit_instructions(
    state: St,
    caller: Caller<Scope>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.may(Scope::CustomersRead)?;
    let customer = state
        .store
        .customer(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    Ok(Json(instructions(
        &state.deposit_account,
        &customer.reference,
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KybChange {
    status: String,
    why: String,
}

async fn set_kyb(
    state: St,
    caller: Caller<Scope>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let key = caller.may(Scope::CustomersWrite)?;
    let who = operator(key)?;
    let request: KybChange = read_json(body).await?;
    let status: Kyb = request
        .status
        .parse()
        .map_err(|e: String| ApiError::bad("invalid_status", e))?;
    let customer = state
        .store
        .set_kyb(&id, status, &who, &request.why)
        .await
        .map_err(customer_error)?;
    Ok(Json(json!({"customer": customer})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWallet {
    address: String,
}

async fn add_wallet(
    state: St,
    caller: Caller<Scope>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let key = caller.may(Scope::CustomersWrite)?;
    let who = operator(key)?;
    let raw = read_body(body, usd1_service::api::BODY_LIMIT).await?;
    let request: NewWallet = parse_json(&raw)?;
    let scoped = [id.as_bytes(), b"\n", &raw].concat();
    once(&state.store, &key.id, &headers, &scoped, || async {
        let wallet = state
            .store
            .register_wallet(&id, &request.address, &state.screener, &who)
            .await
            .map_err(customer_error)?;
        Ok((StatusCode::CREATED, json!({"wallet": wallet})))
    })
    .await
}

async fn add_bank_account(
    state: St,
    caller: Caller<Scope>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let key = caller.may(Scope::CustomersWrite)?;
    let raw = read_body(body, usd1_service::api::BODY_LIMIT).await?;
    let request: BankAccount = parse_json(&raw)?;
    if !request.id.is_empty() || !request.customer_id.is_empty() {
        return Err(ApiError::bad(
            "invalid_field",
            "id and customer_id are the desk's to give",
        ));
    }
    let scoped = [id.as_bytes(), b"\n", &raw].concat();
    once(&state.store, &key.id, &headers, &scoped, || async {
        let linked = state
            .store
            .add_bank_account(&id, &request)
            .await
            .map_err(customer_error)?;
        Ok((StatusCode::CREATED, json!({"bank_account": linked})))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DepositQuery {
    state: Option<String>,
}

async fn list_deposits(
    state: St,
    caller: Caller<Scope>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    caller.may(Scope::DepositsRead)?;
    let asked: DepositQuery = query(&uri)?;
    let wanted = match asked.state.as_deref() {
        Some(text) => Some(DepositState::named(text).ok_or_else(|| {
            ApiError::bad("invalid_state", format!("'{text}' is not a deposit state"))
        })?),
        None => None,
    };
    let deposits = state.store.deposits(wanted).await?;
    Ok(Json(json!({"object": "list", "data": deposits})))
}

async fn show_deposit(
    state: St,
    caller: Caller<Scope>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.may(Scope::DepositsRead)?;
    let deposit = state
        .store
        .deposit(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("deposit"))?;
    Ok(Json(json!({"deposit": deposit})))
}

async fn approve_deposit(
    state: St,
    caller: Caller<Scope>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = caller.may(Scope::DepositsApprove)?;
    let who = operator(key)?;
    match state.store.approve_deposit(&id, &who).await? {
        Ok(approval) => Ok(Json(json!({"deposit": id, "approval": approval}))),
        Err(refused) => {
            let message = refused.to_string();
            Err(match refused {
                ApprovalError::NotFound(_) => ApiError::not_found("deposit"),
                ApprovalError::NotAwaiting { .. } => {
                    ApiError::new(StatusCode::CONFLICT, "not_awaiting_approval", message)
                }
                ApprovalError::NoOperator => ApiError::bad("operator_required", message),
                ApprovalError::FourEyes { .. } => {
                    ApiError::new(StatusCode::FORBIDDEN, "four_eyes", message)
                }
            })
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedemptionQuery {
    stage: Option<String>,
}

async fn list_redemptions(
    state: St,
    caller: Caller<Scope>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    caller.may(Scope::RedemptionsRead)?;
    let asked: RedemptionQuery = query(&uri)?;
    let stage = match asked.stage.as_deref() {
        Some(text) => Some(Stage::named(text).ok_or_else(|| {
            ApiError::bad(
                "invalid_stage",
                format!("'{text}' is not a redemption stage"),
            )
        })?),
        None => None,
    };
    let redemptions = state.store.redemptions(stage).await?;
    Ok(Json(json!({"object": "list", "data": redemptions})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementQuery {
    name: Option<String>,
}

/// `POST /v1/statements?name=FILE`: the file's bytes as the body, taken
/// once by their hash (sending it again is harmless).
async fn upload_statement(
    state: St,
    caller: Caller<Scope>,
    uri: Uri,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.may(Scope::StatementsWrite)?;
    let asked: StatementQuery = query(&uri)?;
    let limit = usize::try_from(MAX_FILE_BYTES).unwrap_or(usize::MAX);
    let raw = read_body(body, limit).await?;
    let name = asked.name.unwrap_or_else(|| "upload".into());
    match state
        .store
        .import_statement(&name, &raw, state.intake)
        .await
    {
        Ok(imported) => {
            let status = if imported.new_file {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((status, Json(json!({"statement": imported}))))
        }
        Err(ImportError::Bank(error)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_bank_file",
            error.to_string(),
        )),
        Err(ImportError::Store(error)) => Err(error.into()),
    }
}

async fn list_reconciliations(state: St, caller: Caller<Scope>) -> Result<Json<Value>, ApiError> {
    caller.may(Scope::ReconciliationsRead)?;
    let data = state.store.reconciliations().await?;
    Ok(Json(json!({"object": "list", "data": data})))
}
