//! `/v1/exports/ledger.csv` and `.json`: the treasury account's movements
//! with a running balance, for accountants.
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{query, ApiError, Caller, State};
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

pub async fn csv(state: State, caller: Caller, uri: Uri) -> Result<Response, ApiError> {
    rendered(state, caller, uri, Format::Csv).await
}

pub async fn json(state: State, caller: Caller, uri: Uri) -> Result<Response, ApiError> {
    rendered(state, caller, uri, Format::Json).await
}
