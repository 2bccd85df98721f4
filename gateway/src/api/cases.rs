//! `/v1/cases`: list and show (`cases:read`), assign, note, decide and
//! approve a release or a freeze (`cases:write`), each action recorded
//! under the operator the API key belongs to and the key itself; the case
//! files; the history chain's verification.
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{query, read_json, ApiError, Caller, State};
use crate::store::cases::{Actor, CaseStatus, Decided, Decision};
use crate::store::keys::Scope;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
}

pub async fn list(state: State, caller: Caller, uri: Uri) -> Result<Json<Value>, ApiError> {
    caller.may(Scope::CasesRead)?;
    let query: ListQuery = query(&uri)?;
    let status = match &query.status {
        Some(text) => Some(CaseStatus::named(text).ok_or_else(|| {
            ApiError::bad("invalid_status", format!("'{text}' is not a case status"))
        })?),
        None => None,
    };
    let cases = state.store.cases(status).await?;
    Ok(Json(json!({"object": "list", "data": cases})))
}

pub async fn show(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.may(Scope::CasesRead)?;
    let case = state
        .store
        .case(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("case"))?;
    let history = state.store.case_history(&id).await?;
    let files: Vec<Value> = state
        .store
        .case_files(&id)
        .await?
        .iter()
        .map(|f| json!({"kind": f.kind, "sha256": f.sha256, "created_at": f.created_at}))
        .collect();
    let mut value = serde_json::to_value(&case).unwrap_or_default();
    value["history"] = serde_json::to_value(history).unwrap_or_default();
    value["files"] = Value::Array(files);
    Ok(Json(value))
}

/// A case file's exact bytes (what a freeze's order hash covers).
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// The operator the key belongs to, if the caller says it: another
    /// name is refused, never recorded.
    operator: Option<String>,
    #[serde(default)]
    why: String,
    assignee: Option<String>,
    note: Option<String>,
    decision: Option<String>,
    reason_code: Option<u16>,
}

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

pub async fn assign(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let (actor, action) = acting(&caller, body).await?;
    let assignee = action
        .assignee
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| ApiError::bad("invalid_field", "assignee is required"))?;
    let case = state
        .store
        .assign_case(&id, &assignee, &actor, &action.why)
        .await?;
    Ok(Json(serde_json::to_value(case).unwrap_or_default()))
}

pub async fn note(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (actor, action) = acting(&caller, body).await?;
    let note = action
        .note
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad("invalid_field", "note is required"))?;
    let entry = state.store.note_case(&id, &actor, &note).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(entry).unwrap_or_default()),
    ))
}

pub async fn decide(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
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
    let mut value = json!({"case": state.store.case(&id).await?});
    match decided {
        Decided::Released(outcomes) => value["released_payments"] = json!(outcomes.len()),
        Decided::ReleaseProposed => value["approval_needed"] = json!(true),
        Decided::Reported(file) => {
            value["case_file"] = json!({"sha256": file.sha256, "url": format!("/v1/cases/{id}/files/{}", file.sha256)})
        }
        Decided::Escalated | Decided::FreezeProposed => {}
    }
    Ok(Json(value))
}

/// The second operator's approval of what is proposed: a release (the held
/// payments applied), or a freeze (the order file and the freeze for the
/// freezer to sign).
pub async fn approve(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
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
        return Ok(Json(
            json!({"case": state.store.case(&id).await?, "released_payments": released}),
        ));
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
    plan["order_url"] = json!(format!("/v1/cases/{id}/files/{}", order.sha256));
    Ok(Json(json!({"case": case, "freeze": plan})))
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

pub async fn verify(state: State, caller: Caller) -> Result<Json<Value>, ApiError> {
    // The whole history at once.
    state.heavy(caller.may(Scope::CasesRead)?)?;
    Ok(Json(match state.store.verify_cases().await? {
        Ok(verified) => {
            json!({"intact": true, "entries": verified.entries, "cases": verified.cases, "head": verified.head})
        }
        Err(broken) => {
            json!({"intact": false, "first_broken": broken, "message": broken.to_string()})
        }
    }))
}
