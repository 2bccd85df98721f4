//! `/v1/customers`: customers with their KYB standing, wallets, linked bank
//! accounts and the deposit instructions they wire by.
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use usd1_service::api::openapi::{ErrorBody, List};
use usd1_service::api::{once, parse_json, read_body, read_json, ApiError, Caller};
use utoipa::ToSchema;

use super::{customer_error, operator, DepositAccount, St};
use crate::decide::Kyb;
use crate::scopes::Scope;
use crate::store::customers::{BankAccount, Customer, StatusChange, Wallet};

const NO_CUSTOMER: &str = "`not_found`: no such customer.";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    /// The customer's legal name (1 to 140 characters).
    #[schema(min_length = 1, max_length = 140)]
    name: String,
}

/// Where and how a customer wires dollars to be minted.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepositInstructions {
    beneficiary: String,
    bank: String,
    account_number: String,
    routing_number: String,
    /// The customer's reference: the wire's remittance information carries it.
    reference: String,
    note: &'static str,
}

fn instructions(account: &DepositAccount, reference: &str) -> DepositInstructions {
    DepositInstructions {
        beneficiary: account.beneficiary.clone(),
        bank: account.bank.clone(),
        account_number: account.account.clone(),
        routing_number: account.routing.clone(),
        reference: reference.to_string(),
        note: "put the reference in the wire's remittance information",
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerCreated {
    customer: Customer,
    deposit_instructions: DepositInstructions,
}

/// A new customer, KYB `pending`, with its reference and deposit instructions.
#[utoipa::path(
    post, path = "/v1/customers", operation_id = "create_customer", tag = "customers",
    security(("api_key" = ["customers:write"])),
    params(("Idempotency-Key" = Option<String>, Header, description = "The same request with the same key again does it once (1 to 255 visible ASCII characters).")),
    request_body = NewCustomer,
    responses(
        (status = 201, description = "Made.", body = CustomerCreated),
        (status = 400, description = "`invalid_field`, `invalid_idempotency_key`, `unknown_field`, `malformed_json`.", body = ErrorBody),
        (status = 403, description = "Or `key_names_no_operator`.", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`, `idempotency_in_progress`.", body = ErrorBody),
        (status = 413, description = "`body_too_large`.", body = ErrorBody),
    )
)]
pub async fn create_customer(
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
        let customer = state
            .store
            .create_customer(&request.name, &who)
            .await
            .map_err(customer_error)?;
        let made = CustomerCreated {
            deposit_instructions: instructions(&state.deposit_account, &customer.reference),
            customer,
        };
        Ok((StatusCode::CREATED, made))
    })
    .await
}

/// Every customer.
#[utoipa::path(
    get, path = "/v1/customers", operation_id = "list_customers", tag = "customers",
    security(("api_key" = ["customers:read"])),
    responses((status = 200, description = "The customers.", body = List<Customer>))
)]
pub async fn list_customers(
    state: St,
    caller: Caller<Scope>,
) -> Result<Json<List<Customer>>, ApiError> {
    caller.may(Scope::CustomersRead)?;
    Ok(Json(List::of(state.store.customers().await?)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    customer: Customer,
    wallets: Vec<Wallet>,
    /// Every KYB change, oldest first, with who made it and why.
    kyb_history: Vec<StatusChange>,
}

/// One customer, its wallets and its KYB history.
#[utoipa::path(
    get, path = "/v1/customers/{id}", operation_id = "get_customer", tag = "customers",
    security(("api_key" = ["customers:read"])),
    params(("id" = String, Path, description = "The customer's id.")),
    responses(
        (status = 200, description = "The customer.", body = CustomerView),
        (status = 404, description = NO_CUSTOMER, body = ErrorBody),
    )
)]
pub async fn show_customer(
    state: St,
    caller: Caller<Scope>,
    Path(id): Path<String>,
) -> Result<Json<CustomerView>, ApiError> {
    caller.may(Scope::CustomersRead)?;
    let customer = state
        .store
        .customer(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    let wallets = state.store.wallets(&id).await?;
    let kyb_history = state.store.kyb_history(&id).await?;
    Ok(Json(CustomerView {
        customer,
        wallets,
        kyb_history,
    }))
}

/// Where the customer wires to, with its reference.
#[utoipa::path(
    get, path = "/v1/customers/{id}/deposit_instructions", operation_id = "get_deposit_instructions", tag = "customers",
    security(("api_key" = ["customers:read"])),
    params(("id" = String, Path, description = "The customer's id.")),
    responses(
        (status = 200, description = "The instructions.", body = DepositInstructions),
        (status = 404, description = NO_CUSTOMER, body = ErrorBody),
    )
)]
pub async fn deposit_instructions(
    state: St,
    caller: Caller<Scope>,
    Path(id): Path<String>,
) -> Result<Json<DepositInstructions>, ApiError> {
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KybChange {
    /// The new standing.
    #[schema(value_type = Kyb)]
    status: String,
    /// Why, recorded in the customer's history.
    why: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerAnswer {
    customer: Customer,
}

/// Moves the customer's KYB standing (only `approved` money moves).
#[utoipa::path(
    post, path = "/v1/customers/{id}/kyb", operation_id = "set_kyb", tag = "customers",
    security(("api_key" = ["customers:write"])),
    params(("id" = String, Path, description = "The customer's id.")),
    request_body = KybChange,
    responses(
        (status = 200, description = "Its new standing.", body = CustomerAnswer),
        (status = 400, description = "`invalid_status`, `operator_required`, `unknown_field`, `malformed_json`, `invalid_field`.", body = ErrorBody),
        (status = 403, description = "Or `key_names_no_operator`.", body = ErrorBody),
        (status = 404, description = NO_CUSTOMER, body = ErrorBody),
        (status = 409, description = "`kyb_transition`: not a move its standing allows.", body = ErrorBody),
        (status = 413, description = "`body_too_large`.", body = ErrorBody),
    )
)]
pub async fn set_kyb(
    state: St,
    caller: Caller<Scope>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<CustomerAnswer>, ApiError> {
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
    Ok(Json(CustomerAnswer { customer }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWallet {
    /// A Solana address (base58), screened against the lists when registered.
    address: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WalletAnswer {
    wallet: Wallet,
}

/// Registers a wallet of the customer's: its mints go there.
#[utoipa::path(
    post, path = "/v1/customers/{id}/wallets", operation_id = "add_wallet", tag = "customers",
    security(("api_key" = ["customers:write"])),
    params(
        ("id" = String, Path, description = "The customer's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "The same request with the same key again does it once."),
    ),
    request_body = NewWallet,
    responses(
        (status = 201, description = "Registered.", body = WalletAnswer),
        (status = 400, description = "`invalid_wallet`, `operator_required`, `invalid_idempotency_key`, `unknown_field`, `malformed_json`, `invalid_field`.", body = ErrorBody),
        (status = 403, description = "Or `key_names_no_operator`.", body = ErrorBody),
        (status = 404, description = NO_CUSTOMER, body = ErrorBody),
        (status = 409, description = "`wallet_taken` (another customer's), `customer_listed` (the wallet is on a list), `idempotency_conflict`, `idempotency_in_progress`.", body = ErrorBody),
        (status = 413, description = "`body_too_large`.", body = ErrorBody),
    )
)]
pub async fn add_wallet(
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
        Ok((StatusCode::CREATED, WalletAnswer { wallet }))
    })
    .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankAccountAnswer {
    bank_account: BankAccount,
}

/// Links a bank account of the customer's: its redemptions are paid there.
#[utoipa::path(
    post, path = "/v1/customers/{id}/bank_accounts", operation_id = "add_bank_account", tag = "customers",
    security(("api_key" = ["customers:write"])),
    params(
        ("id" = String, Path, description = "The customer's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "The same request with the same key again does it once."),
    ),
    request_body(content = BankAccount, description = "A U.S. account number and ABA routing number, or an IBAN and BIC; `id` and `customer_id` are the desk's to give (leave them out)."),
    responses(
        (status = 201, description = "Linked.", body = BankAccountAnswer),
        (status = 400, description = "`invalid_bank_account`, `invalid_field`, `invalid_idempotency_key`, `unknown_field`, `malformed_json`.", body = ErrorBody),
        (status = 404, description = NO_CUSTOMER, body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`, `idempotency_in_progress`.", body = ErrorBody),
        (status = 413, description = "`body_too_large`.", body = ErrorBody),
    )
)]
pub async fn add_bank_account(
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
        let bank_account = state
            .store
            .add_bank_account(&id, &request)
            .await
            .map_err(customer_error)?;
        Ok((StatusCode::CREATED, BankAccountAnswer { bank_account }))
    })
    .await
}
