//! `/v1/exports/ledger.csv` and `.json`: the treasury account's movements
//! with a running balance, for accountants.
use axum::extract::Query;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{authorize, ApiError, State};
use crate::export::{self, Format};
use crate::store::keys::Scope;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    from: Option<String>,
    to: Option<String>,
}

async fn rendered(
    state: State,
    headers: HeaderMap,
    range: Range,
    format: Format,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, Scope::ExportsRead).await?;
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

pub async fn csv(
    state: State,
    headers: HeaderMap,
    Query(range): Query<Range>,
) -> Result<Response, ApiError> {
    rendered(state, headers, range, Format::Csv).await
}

pub async fn json(
    state: State,
    headers: HeaderMap,
    Query(range): Query<Range>,
) -> Result<Response, ApiError> {
    rendered(state, headers, range, Format::Json).await
}
