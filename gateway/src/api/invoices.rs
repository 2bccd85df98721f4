//! `/v1/invoices`: create (idempotent by `external_id`), list, get, cancel,
//! and the Solana Pay request as a QR code.
use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::solana_pay::TransferRequest;
use usd1_client::{parse_amount, AmountError};

use super::{query, ApiError, AppState, Caller, State};
use crate::store::invoices::{Created, Invoice, NewInvoice, Status};
use crate::store::keys::Scope;
use crate::store::payload::DECIMALS;

/// The longest memo, label, message and external id accepted.
const MAX_MEMO: usize = 256;
const MAX_TEXT: usize = 256;
const MAX_EXTERNAL_ID: usize = 128;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInvoice {
    amount: Value,
    memo: Option<String>,
    label: Option<String>,
    message: Option<String>,
    expires_at: Option<Value>,
    external_id: Option<String>,
    metadata: Option<Value>,
}

/// The invoice with its Solana Pay URL and QR code's address.
fn shown(state: &AppState, invoice: &Invoice) -> Value {
    let mut value = invoice.json();
    value["url"] = Value::String(request_of(state, invoice).url(DECIMALS));
    value["qr_url"] = Value::String(format!("/v1/invoices/{}/qr.svg", invoice.id));
    value
}

fn request_of(state: &AppState, invoice: &Invoice) -> TransferRequest {
    TransferRequest {
        recipient: state.treasury.wallet,
        amount: Some(invoice.amount),
        spl_token: Some(state.treasury.mint),
        references: invoice.reference.parse().into_iter().collect(),
        label: invoice.label.clone(),
        message: invoice.message.clone(),
        memo: invoice.memo.clone(),
    }
}

fn amount_of(value: &Value) -> Result<u64, ApiError> {
    let Value::String(text) = value else {
        return Err(ApiError::bad(
            "invalid_amount",
            "amount must be a decimal string, e.g. \"12.50\"",
        ));
    };
    let units = parse_amount(text, DECIMALS).map_err(|e| match e {
        AmountError::TooPrecise { .. } => ApiError::bad("amount_too_precise", e.to_string()),
        AmountError::Negative(_) => ApiError::bad("negative_amount", e.to_string()),
        AmountError::Overflow(_) => ApiError::bad("amount_too_large", e.to_string()),
        _ => ApiError::bad("invalid_amount", e.to_string()),
    })?;
    if units == 0 {
        return Err(ApiError::bad("invalid_amount", "amount must be above zero"));
    }
    if i64::try_from(units).is_err() {
        return Err(ApiError::bad(
            "amount_too_large",
            format!("amount '{text}' is too large"),
        ));
    }
    Ok(units)
}

/// Unix seconds, or an RFC 3339 time.
fn time_of(value: &Value) -> Result<i64, ApiError> {
    let bad = || {
        ApiError::bad(
            "invalid_expires_at",
            "expires_at is unix seconds or an RFC 3339 time",
        )
    };
    match value {
        Value::Number(n) => n.as_i64().ok_or_else(bad),
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp())
            .map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn text_of(name: &str, value: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    match value {
        Some(text) if text.len() > max => Err(ApiError::bad(
            "field_too_long",
            format!("{name} is over {max} bytes"),
        )),
        other => Ok(other),
    }
}

impl CreateInvoice {
    fn validate(self, now: i64) -> Result<NewInvoice, ApiError> {
        let amount = amount_of(&self.amount)?;
        let expires_at = self.expires_at.as_ref().map(time_of).transpose()?;
        if let Some(at) = expires_at {
            if at <= now {
                return Err(ApiError::bad(
                    "expires_at_in_past",
                    "expires_at is not in the future",
                ));
            }
        }
        let metadata = match self.metadata {
            None | Some(Value::Null) => None,
            Some(object @ Value::Object(_)) => Some(object.to_string()),
            Some(_) => {
                return Err(ApiError::bad(
                    "invalid_metadata",
                    "metadata must be a JSON object",
                ))
            }
        };
        if metadata.as_ref().is_some_and(|m| m.len() > 8 * 1024) {
            return Err(ApiError::bad("field_too_long", "metadata is over 8 KiB"));
        }
        let external_id = text_of("external_id", self.external_id, MAX_EXTERNAL_ID)?;
        if external_id.as_ref().is_some_and(|e| e.is_empty()) {
            return Err(ApiError::bad("invalid_field", "external_id is empty"));
        }
        Ok(NewInvoice {
            amount,
            memo: text_of("memo", self.memo, MAX_MEMO)?,
            label: text_of("label", self.label, MAX_TEXT)?,
            message: text_of("message", self.message, MAX_TEXT)?,
            expires_at,
            external_id,
            metadata,
        })
    }
}

/// `POST /v1/invoices`: once per `external_id`, and once per
/// `Idempotency-Key` (the same request again gets the first answer).
pub async fn create(
    state: State,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let key = caller.may(Scope::InvoicesWrite)?;
    let raw = usd1_service::api::read_body(body, super::BODY_LIMIT).await?;
    let request: CreateInvoice = usd1_service::api::parse_json(&raw)?;
    let now = crate::store::now();
    let mut new = request.validate(now)?;
    // Every invoice ends: one created without a deadline gets the gateway's.
    if new.expires_at.is_none() {
        new.expires_at = Some(now.saturating_add(state.invoices.ttl_secs));
    }
    if state.store.payable_invoices_of(&key.id).await? >= state.invoices.max_open_per_key {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "too_many_open_invoices",
            format!(
                "this key has {} invoices still open, the most it may; cancel some or let them expire",
                state.invoices.max_open_per_key
            ),
        ));
    }
    usd1_service::api::once(state.store.kit(), &key.id, &headers, &raw, || async {
        let reference = Keypair::new().pubkey().to_string();
        match state
            .store
            .create_invoice(&key.id, &new, &reference)
            .await?
        {
            Created::New(invoice) => Ok((StatusCode::CREATED, shown(&state, &invoice))),
            Created::Existing(invoice) => Ok((StatusCode::OK, shown(&state, &invoice))),
            Created::Conflict(invoice) => Err(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_conflict",
                format!(
                    "external_id is already invoice {} for another amount",
                    invoice.id
                ),
            )),
        }
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<i64>,
}

pub async fn list(state: State, caller: Caller, uri: Uri) -> Result<Json<Value>, ApiError> {
    let key = caller.may(Scope::InvoicesRead)?;
    let query: ListQuery = query(&uri)?;
    let status =
        match query.status.as_deref() {
            None => None,
            Some(text) => Some(Status::named(text).ok_or_else(|| {
                ApiError::bad("invalid_status", format!("unknown status '{text}'"))
            })?),
        };
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let invoices = state.store.invoices(&key.id, status, limit).await?;
    let data: Vec<Value> = invoices.iter().map(|i| shown(&state, i)).collect();
    Ok(Json(serde_json::json!({"object": "list", "data": data})))
}

/// The caller's invoice `id`, if its key may read invoices.
async fn readable(state: &AppState, caller: &Caller, id: &str) -> Result<Invoice, ApiError> {
    let key = caller.may(Scope::InvoicesRead)?;
    state
        .store
        .invoice(&key.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("invoice"))
}

pub async fn show(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let invoice = readable(&state, &caller, &id).await?;
    Ok(Json(shown(&state, &invoice)))
}

pub async fn cancel(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = caller.may(Scope::InvoicesWrite)?;
    let invoice = state
        .store
        .cancel_invoice(&key.id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("invoice"))?;
    if invoice.status != Status::Cancelled {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invoice_not_open",
            format!(
                "invoice {} is {}, not open",
                invoice.id,
                invoice.status.as_str()
            ),
        ));
    }
    Ok(Json(shown(&state, &invoice)))
}

pub async fn qr(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let invoice = readable(&state, &caller, &id).await?;
    let url = request_of(&state, &invoice).url(DECIMALS);
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "qr_failed",
            e.to_string(),
        )
    })?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(256, 256)
        .build();
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}
