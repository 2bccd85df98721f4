//! Where the money is: `/v1/deposits` and their approval, `/v1/redemptions`,
//! `/v1/statements` uploaded, `/v1/reconciliations`.
use axum::body::Body;
use axum::extract::Path;
use axum::http::{StatusCode, Uri};
use axum::Json;
use serde::{Deserialize, Serialize};
use usd1_service::api::openapi::{ErrorBody, List};
use usd1_service::api::{query, read_body, ApiError, Caller};
use utoipa::ToSchema;

use super::{operator, St};
use crate::decide::redeem::Stage;
use crate::decide::State as DepositState;
use crate::scopes::Scope;
use crate::store::deposits::{Approval, ApprovalError, Deposit};
use crate::store::reconciliations::Reconciled;
use crate::store::redemptions::Redemption;
use crate::store::statements::{ImportError, Imported, MAX_FILE_BYTES};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DepositQuery {
    /// Only deposits in this state.
    #[param(value_type = Option<DepositState>)]
    state: Option<String>,
}

/// The deposits the bank's statements showed, oldest first.
#[utoipa::path(
    get, path = "/v1/deposits", operation_id = "list_deposits", tag = "deposits",
    security(("api_key" = ["deposits:read"])),
    params(DepositQuery),
    responses(
        (status = 200, description = "The deposits.", body = List<Deposit>),
        (status = 400, description = "`invalid_state`, `invalid_query`.", body = ErrorBody),
    )
)]
pub async fn list_deposits(
    state: St,
    caller: Caller<Scope>,
    uri: Uri,
) -> Result<Json<List<Deposit>>, ApiError> {
    caller.may(Scope::DepositsRead)?;
    let asked: DepositQuery = query(&uri)?;
    let wanted = match asked.state.as_deref() {
        Some(text) => Some(DepositState::named(text).ok_or_else(|| {
            ApiError::bad("invalid_state", format!("'{text}' is not a deposit state"))
        })?),
        None => None,
    };
    Ok(Json(List::of(state.store.deposits(wanted).await?)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepositAnswer {
    deposit: Deposit,
}

/// One deposit.
#[utoipa::path(
    get, path = "/v1/deposits/{id}", operation_id = "get_deposit", tag = "deposits",
    security(("api_key" = ["deposits:read"])),
    params(("id" = String, Path, description = "The deposit's id.")),
    responses(
        (status = 200, description = "The deposit.", body = DepositAnswer),
        (status = 404, description = "`not_found`: no such deposit.", body = ErrorBody),
    )
)]
pub async fn show_deposit(
    state: St,
    caller: Caller<Scope>,
    Path(id): Path<String>,
) -> Result<Json<DepositAnswer>, ApiError> {
    caller.may(Scope::DepositsRead)?;
    let deposit = state
        .store
        .deposit(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("deposit"))?;
    Ok(Json(DepositAnswer { deposit }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalAnswer {
    /// The deposit's id.
    deposit: String,
    approval: Approval,
}

/// An approval of a deposit above the approval threshold: the first
/// proposes, a second operator's makes it ready to mint.
#[utoipa::path(
    post, path = "/v1/deposits/{id}/approve", operation_id = "approve_deposit", tag = "deposits",
    security(("api_key" = ["deposits:approve"])),
    params(("id" = String, Path, description = "The deposit's id.")),
    responses(
        (status = 200, description = "Proposed, or approved.", body = ApprovalAnswer),
        (status = 400, description = "`operator_required`.", body = ErrorBody),
        (status = 403, description = "Or `four_eyes` (the proposer may not approve), `key_names_no_operator`.", body = ErrorBody),
        (status = 404, description = "`not_found`: no such deposit.", body = ErrorBody),
        (status = 409, description = "`not_awaiting_approval`.", body = ErrorBody),
    )
)]
pub async fn approve_deposit(
    state: St,
    caller: Caller<Scope>,
    Path(id): Path<String>,
) -> Result<Json<ApprovalAnswer>, ApiError> {
    let key = caller.may(Scope::DepositsApprove)?;
    let who = operator(key)?;
    match state.store.approve_deposit(&id, &who).await? {
        Ok(approval) => Ok(Json(ApprovalAnswer {
            deposit: id,
            approval,
        })),
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RedemptionQuery {
    /// Only redemptions at this stage.
    #[param(value_type = Option<Stage>)]
    stage: Option<String>,
}

/// The redemptions the desk pays, by their on-chain id.
#[utoipa::path(
    get, path = "/v1/redemptions", operation_id = "list_redemptions", tag = "redemptions",
    security(("api_key" = ["redemptions:read"])),
    params(RedemptionQuery),
    responses(
        (status = 200, description = "The redemptions.", body = List<Redemption>),
        (status = 400, description = "`invalid_stage`, `invalid_query`.", body = ErrorBody),
    )
)]
pub async fn list_redemptions(
    state: St,
    caller: Caller<Scope>,
    uri: Uri,
) -> Result<Json<List<Redemption>>, ApiError> {
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
    Ok(Json(List::of(state.store.redemptions(stage).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// The file's name, for the record (default `upload`).
    name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementAnswer {
    statement: Imported,
}

/// `POST /v1/statements?name=FILE`: the file's bytes as the body, taken
/// once by their hash (sending it again is harmless).
#[utoipa::path(
    post, path = "/v1/statements", operation_id = "upload_statement", tag = "statements",
    security(("api_key" = ["statements:write"])),
    params(StatementQuery),
    request_body(content = String, content_type = "application/octet-stream", description = "A bank file as the bank sent it: camt.053, camt.052, camt.054, BAI2 or pain.002 (at most 256 MiB)."),
    responses(
        (status = 201, description = "Taken: what it did.", body = StatementAnswer),
        (status = 200, description = "These very bytes were taken before: nothing changed.", body = StatementAnswer),
        (status = 400, description = "`invalid_query`.", body = ErrorBody),
        (status = 413, description = "`body_too_large`: over 256 MiB.", body = ErrorBody),
        (status = 422, description = "`bad_bank_file`: not a bank file the desk reads, or not whole; nothing of it kept.", body = ErrorBody),
    )
)]
pub async fn upload_statement(
    state: St,
    caller: Caller<Scope>,
    uri: Uri,
    body: Body,
) -> Result<(StatusCode, Json<StatementAnswer>), ApiError> {
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
        Ok(statement) => {
            let status = if statement.new_file {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((status, Json(StatementAnswer { statement })))
        }
        Err(ImportError::Bank(error)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_bank_file",
            error.to_string(),
        )),
        Err(ImportError::Store(error)) => Err(error.into()),
    }
}

/// Every day's three-way reconciliation, newest first.
#[utoipa::path(
    get, path = "/v1/reconciliations", operation_id = "list_reconciliations", tag = "reconciliations",
    security(("api_key" = ["reconciliations:read"])),
    responses((status = 200, description = "The reconciliations.", body = List<Reconciled>))
)]
pub async fn list_reconciliations(
    state: St,
    caller: Caller<Scope>,
) -> Result<Json<List<Reconciled>>, ApiError> {
    caller.may(Scope::ReconciliationsRead)?;
    Ok(Json(List::of(state.store.reconciliations().await?)))
}
