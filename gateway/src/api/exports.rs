//! `/v1/exports/ledger.csv` and `.json`: the treasury account's movements
//! with a running balance, for accountants.
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{query, ApiError, Caller, State};
use crate::export::{self, Format};
use crate::store::keys::Scope;

/// Without `from` and `to`, the whole ledger (one such read a second per key).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Range {
    /// From this time on: a `YYYY-MM-DD` date, an RFC 3339 time or unix seconds.
    from: Option<String>,
    /// Before this time, in the same forms.
    to: Option<String>,
}

async fn rendered(
    state: State,
    caller: Caller,
    uri: Uri,
    format: Format,
) -> Result<Response, ApiError> {
    let key = caller.may(Scope::ExportsRead)?;
    let range: Range = query(&uri)?;
    // The whole ledger at once is a read of the whole table.
    if range.from.is_none() && range.to.is_none() {
        state.heavy(key)?;
    }
    let bound = |text: &Option<String>| {
        text.as_deref()
            .map(export::parse_time)
            .transpose()
            .map_err(|e| ApiError::bad("invalid_time", e))
    };
    let (from, to) = (bound(&range.from)?, bound(&range.to)?);
    let rows = export::ledger(&state.store, &state.treasury.wallet, from, to).await?;
    let (kind, body) = match format {
        Format::Csv => ("text/csv; charset=utf-8", export::csv(&rows)),
        Format::Json => ("application/json", export::json(&rows)),
    };
    Ok(([(header::CONTENT_TYPE, kind)], body).into_response())
}

/// The treasury's movements with a running balance, as CSV.
#[utoipa::path(
    get, path = "/v1/exports/ledger.csv", operation_id = "export_ledger_csv", tag = "exports",
    security(("api_key" = ["exports:read"])),
    params(Range),
    responses(
        (status = 200, description = "One row per movement, the columns of the JSON form's fields.", content_type = "text/csv", body = String),
        (status = 400, description = "`invalid_time`, `invalid_query`.", body = usd1_service::api::openapi::ErrorBody),
    )
)]
pub async fn csv(state: State, caller: Caller, uri: Uri) -> Result<Response, ApiError> {
    rendered(state, caller, uri, Format::Csv).await
}

/// The treasury's movements with a running balance, as JSON.
#[utoipa::path(
    get, path = "/v1/exports/ledger.json", operation_id = "export_ledger_json", tag = "exports",
    security(("api_key" = ["exports:read"])),
    params(Range),
    responses(
        (status = 200, description = "The movements, oldest first.", body = Vec<crate::export::Row>),
        (status = 400, description = "`invalid_time`, `invalid_query`.", body = usd1_service::api::openapi::ErrorBody),
    )
)]
pub async fn json(state: State, caller: Caller, uri: Uri) -> Result<Response, ApiError> {
    rendered(state, caller, uri, Format::Json).await
}
