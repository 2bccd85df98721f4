//! `/v1/cases`: list and show (`cases:read`), assign, note, decide and
//! approve a release or a freeze (`cases:write`), each action recorded
//! under the operator the API key belongs to and the key itself; the case
//! files; the history chain's verification.
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use usd1_service::api::openapi::{ErrorBody, List};
use usd1_service::cases::{Broken, Case, Entry};
use utoipa::ToSchema;

use super::{query, read_json, ApiError, Caller, State};
use crate::store::cases::{Actor, CaseStatus, Decided, Decision};
use crate::store::keys::Scope;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only cases in this status (`under-review` is read as `under review`).
    #[param(value_type = Option<CaseStatus>)]
    status: Option<String>,
}

const NO_CASE: &str = "`not_found`: no such case.";

/// The compliance cases.
#[utoipa::path(
    get, path = "/v1/cases", operation_id = "list_cases", tag = "cases",
    security(("api_key" = ["cases:read"])),
    params(ListQuery),
    responses(
        (status = 200, description = "The cases.", body = List<Case>),
        (status = 400, description = "`invalid_status`, `invalid_query`.", body = ErrorBody),
    )
)]
pub async fn list(state: State, caller: Caller, uri: Uri) -> Result<Json<List<Case>>, ApiError> {
    caller.may(Scope::CasesRead)?;
    let query: ListQuery = query(&uri)?;
    let status = match &query.status {
        Some(text) => Some(CaseStatus::named(text).ok_or_else(|| {
            ApiError::bad("invalid_status", format!("'{text}' is not a case status"))
        })?),
        None => None,
    };
    let cases = state.store.cases(status).await?;
    Ok(Json(List::of(cases)))
}

/// A case with its history and its files.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    #[serde(flatten)]
    case: Case,
    /// Every action on it, hash-chained, oldest first.
    history: Vec<Entry>,
    files: Vec<FileRef>,
}

/// A case file: a report for the officer, or an approved order.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileRef {
    /// `report` or `order`.
    kind: String,
    /// Its SHA-256, hex: `/v1/cases/{id}/files/{sha256}`.
    sha256: String,
    created_at: i64,
}

/// One case.
#[utoipa::path(
    get, path = "/v1/cases/{id}", operation_id = "get_case", tag = "cases",
    security(("api_key" = ["cases:read"])),
    params(("id" = String, Path, description = "The case's id.")),
    responses(
        (status = 200, description = "The case.", body = CaseView),
        (status = 404, description = NO_CASE, body = ErrorBody),
    )
)]
pub async fn show(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    caller.may(Scope::CasesRead)?;
    let case = state
        .store
        .case(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("case"))?;
    let history = state.store.case_history(&id).await?;
    let files = state
        .store
        .case_files(&id)
        .await?
        .into_iter()
        .map(|f| FileRef {
            kind: f.kind,
            sha256: f.sha256,
            created_at: f.created_at,
        })
        .collect();
    Ok(Json(CaseView {
        case,
        history,
        files,
    }))
}

/// A case file's exact bytes (what a freeze's order hash covers).
#[utoipa::path(
    get, path = "/v1/cases/{id}/files/{sha256}", operation_id = "get_case_file", tag = "cases",
    security(("api_key" = ["cases:read"])),
    params(
        ("id" = String, Path, description = "The case's id."),
        ("sha256" = String, Path, description = "The file's SHA-256, hex."),
    ),
    responses(
        (status = 200, description = "The file, byte for byte as hashed.", body = Object),
        (status = 404, description = "`not_found`: no such case file.", body = ErrorBody),
    )
)]
pub async fn file(
    state: State,
    caller: Caller,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<(HeaderMap, String), ApiError> {
    caller.may(Scope::CasesRead)?;
    let file = state
        .store
        .case_files(&id)
        .await?
        .into_iter()
        .find(|f| f.sha256 == sha256)
        .ok_or_else(|| ApiError::not_found("case file"))?;
    let mut out = HeaderMap::new();
    out.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    Ok((out, file.body))
}

/// An operator's action; each endpoint reads the fields it needs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// The operator the key belongs to, if the caller says it: another
    /// name is refused, never recorded.
    operator: Option<String>,
    /// Why, recorded in the history.
    #[serde(default)]
    why: String,
    /// `assign`: to whom.
    assignee: Option<String>,
    /// `notes`: the note.
    note: Option<String>,
    /// `decisions`: `release`, `escalate`, `report` or `freeze`.
    #[schema(value_type = Option<DecisionName>)]
    decision: Option<String>,
    /// `decisions` with `freeze`: the lawful order's reason code.
    reason_code: Option<u16>,
}

/// A decision's name.
#[derive(ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
pub enum DecisionName {
    Release,
    Escalate,
    Report,
    Freeze,
}

/// What every action may be refused with, beyond its own.
const ACTION_REFUSED: &str =
    "`invalid_field`, `operator_required`, `unknown_field`, `malformed_json`.";

async fn acting(caller: &Caller, body: Body) -> Result<(Actor, Action), ApiError> {
    let key = caller.may(Scope::CasesWrite)?;
    let action: Action = read_json(body).await?;
    let actor = Actor::of_key(key)?;
    if let Some(named) = action.operator.as_deref().map(str::trim) {
        if named != actor.operator {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "operator_mismatch",
                format!(
                    "this key belongs to {}; an action is recorded under its key's operator, not '{named}'",
                    actor.operator
                ),
            ));
        }
    }
    Ok((actor, action))
}

/// Assigns the case to an operator.
#[utoipa::path(
    post, path = "/v1/cases/{id}/assign", operation_id = "assign_case", tag = "cases",
    security(("api_key" = ["cases:write"])),
    params(("id" = String, Path, description = "The case's id.")),
    request_body = Action,
    responses(
        (status = 200, description = "Assigned.", body = Case),
        (status = 400, description = ACTION_REFUSED, body = ErrorBody),
        (status = 403, description = "Or `operator_mismatch`, `key_names_no_operator`.", body = ErrorBody),
        (status = 404, description = NO_CASE, body = ErrorBody),
        (status = 409, description = "`case_closed`.", body = ErrorBody),
        (status = 413, description = "`body_too_large`.", body = ErrorBody),
    )
)]
pub async fn assign(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Case>, ApiError> {
    let (actor, action) = acting(&caller, body).await?;
    let assignee = action
        .assignee
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| ApiError::bad("invalid_field", "assignee is required"))?;
    let case = state
        .store
        .assign_case(&id, &assignee, &actor, &action.why)
        .await?;
    Ok(Json(case))
}

/// Adds a note to the case's history.
#[utoipa::path(
    post, path = "/v1/cases/{id}/notes", operation_id = "note_case", tag = "cases",
    security(("api_key" = ["cases:write"])),
    params(("id" = String, Path, description = "The case's id.")),
    request_body = Action,
    responses(
        (status = 201, description = "The history's new entry.", body = Entry),
        (status = 400, description = ACTION_REFUSED, body = ErrorBody),
        (status = 403, description = "Or `operator_mismatch`, `key_names_no_operator`.", body = ErrorBody),
        (status = 404, description = NO_CASE, body = ErrorBody),
        (status = 413, description = "`body_too_large`.", body = ErrorBody),
    )
)]
pub async fn note(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Entry>), ApiError> {
    let (actor, action) = acting(&caller, body).await?;
    let note = action
        .note
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad("invalid_field", "note is required"))?;
    let entry = state.store.note_case(&id, &actor, &note).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// What a decision did.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct DecisionView {
    case: Option<Case>,
    /// `release` by the operator who proposed nothing: the held payments applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    released_payments: Option<usize>,
    /// A release or a freeze proposed: another operator approves it.
    #[serde(skip_serializing_if = "Option::is_none")]
    approval_needed: Option<bool>,
    /// `report`: the case file made for the officer.
    #[serde(skip_serializing_if = "Option::is_none")]
    case_file: Option<FileLink>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FileLink {
    sha256: String,
    url: String,
}

/// Decides the case: release, escalate, report, or propose a freeze.
#[utoipa::path(
    post, path = "/v1/cases/{id}/decisions", operation_id = "decide_case", tag = "cases",
    security(("api_key" = ["cases:write"])),
    params(("id" = String, Path, description = "The case's id.")),
    request_body = Action,
    responses(
        (status = 200, description = "Decided.", body = DecisionView),
        (status = 400, description = "`invalid_decision`, `invalid_subject`, `invalid_field`, `operator_required`, `unknown_field`, `malformed_json`.", body = ErrorBody),
        (status = 403, description = "Or `operator_mismatch`, `key_names_no_operator`.", body = ErrorBody),
        (status = 404, description = NO_CASE, body = ErrorBody),
        (status = 409, description = "`case_closed`, `decision_pending`, `freeze_already_decided`, `release_already_proposed`.", body = ErrorBody),
        (status = 413, description = "`body_too_large`.", body = ErrorBody),
    )
)]
pub async fn decide(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<DecisionView>, ApiError> {
    let (actor, action) = acting(&caller, body).await?;
    let name = action
        .decision
        .ok_or_else(|| ApiError::bad("invalid_field", "decision is required"))?;
    let decision = Decision::named(&name, action.reason_code)
        .map_err(|e| ApiError::bad("invalid_decision", e))?;
    let decided = state
        .store
        .decide_case(&id, decision, &actor, &action.why)
        .await?;
    let mut view = DecisionView {
        case: state.store.case(&id).await?,
        ..DecisionView::default()
    };
    match decided {
        Decided::Released(outcomes) => view.released_payments = Some(outcomes.len()),
        Decided::ReleaseProposed => view.approval_needed = Some(true),
        Decided::Reported(file) => {
            view.case_file = Some(FileLink {
                url: format!("/v1/cases/{id}/files/{}", file.sha256),
                sha256: file.sha256,
            })
        }
        Decided::Escalated | Decided::FreezeProposed => {}
    }
    Ok(Json(view))
}

/// What an approval did: the held payments released, or the freeze for the
/// freezer to sign.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalView {
    case: Option<Case>,
    #[serde(skip_serializing_if = "Option::is_none")]
    released_payments: Option<usize>,
    /// The freeze instruction to sign, the order it cites and `order_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    freeze: Option<Value>,
}

/// The second operator's approval of what is proposed: a release (the held
/// payments applied), or a freeze (the order file and the freeze for the
/// freezer to sign).
#[utoipa::path(
    post, path = "/v1/cases/{id}/approve", operation_id = "approve_case", tag = "cases",
    security(("api_key" = ["cases:write"])),
    params(("id" = String, Path, description = "The case's id.")),
    request_body = Action,
    responses(
        (status = 200, description = "Approved.", body = ApprovalView),
        (status = 400, description = ACTION_REFUSED, body = ErrorBody),
        (status = 403, description = "Or `four_eyes` (the proposer may not approve), `operator_mismatch`, `key_names_no_operator`.", body = ErrorBody),
        (status = 404, description = NO_CASE, body = ErrorBody),
        (status = 409, description = "`nothing_proposed`, `no_freeze_proposed`, `freeze_already_decided`, `case_closed`.", body = ErrorBody),
        (status = 413, description = "`body_too_large`.", body = ErrorBody),
        (status = 502, description = "`chain_unavailable`: the node did not answer what a freeze needs; nothing was recorded.", body = ErrorBody),
    )
)]
pub async fn approve(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<ApprovalView>, ApiError> {
    let (actor, action) = acting(&caller, body).await?;
    let pending = state
        .store
        .case(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("case"))?;
    // Four eyes before anything is read from the chain.
    if pending.approvable_by(&actor)? == crate::store::cases::Proposal::Release {
        let approved = state
            .store
            .approve_case_seen(&id, &actor, &action.why, None)
            .await?;
        let released = match approved {
            crate::store::cases::Approved::Release(outcomes) => outcomes.len(),
            crate::store::cases::Approved::Freeze(..) => 0,
        };
        return Ok(Json(ApprovalView {
            case: state.store.case(&id).await?,
            released_payments: Some(released),
            freeze: None,
        }));
    }
    // What the freeze needs from the chain is read first: a node that is
    // down records no approval.
    let freezer = crate::freeze::freezer(state.ledger.as_ref(), &state.treasury.mint)
        .await
        .map_err(chain_unavailable)?;
    let on_chain = subject_on_chain(&state, &id).await?;
    let (case, order) = state
        .store
        .approve_freeze_seen(&id, &actor, &action.why, Some(&on_chain))
        .await?;
    let mut plan = crate::freeze::plan(
        &state.treasury.mint,
        &state.treasury.token_program,
        &freezer,
        &case,
        &order,
    )
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "freeze_plan",
            e.to_string(),
        )
    })?;
    plan["order_url"] = Value::String(format!("/v1/cases/{id}/files/{}", order.sha256));
    Ok(Json(ApprovalView {
        case: Some(case),
        released_payments: None,
        freeze: Some(plan),
    }))
}

fn chain_unavailable(error: anyhow::Error) -> ApiError {
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "chain_unavailable",
        usd1_client::one_line(error.as_ref()),
    )
}

/// The case's subject as the chain holds it.
async fn subject_on_chain(state: &State, id: &str) -> Result<Value, ApiError> {
    let case = state
        .store
        .case(id)
        .await?
        .ok_or_else(|| ApiError::not_found("case"))?;
    crate::freeze::on_chain(
        state.ledger.as_ref(),
        &state.treasury.mint,
        &state.treasury.token_program,
        &case.subject,
    )
    .await
    .map_err(chain_unavailable)
}

/// The case history's check.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ChainCheck {
    Intact {
        /// `true`.
        intact: bool,
        entries: i64,
        cases: usize,
        /// The last entry's hash.
        head: String,
    },
    Broken {
        /// `false`.
        intact: bool,
        first_broken: Broken,
        message: String,
    },
}

/// Recomputes the whole case history's hash chain (one a second per key).
#[utoipa::path(
    get, path = "/v1/cases/verify", operation_id = "verify_cases", tag = "cases",
    security(("api_key" = ["cases:read"])),
    responses((status = 200, description = "Intact, or the first thing found wrong.", body = ChainCheck))
)]
pub async fn verify(state: State, caller: Caller) -> Result<Json<ChainCheck>, ApiError> {
    // The whole history at once.
    state.heavy(caller.may(Scope::CasesRead)?)?;
    Ok(Json(match state.store.verify_cases().await? {
        Ok(verified) => ChainCheck::Intact {
            intact: true,
            entries: verified.entries,
            cases: verified.cases,
            head: verified.head,
        },
        Err(broken) => ChainCheck::Broken {
            intact: false,
            message: broken.to_string(),
            first_broken: broken,
        },
    }))
}
