//! `/v1/invoices`: create (idempotent by `external_id`), list, get, cancel,
//! and the Solana Pay request as a QR code.
use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::solana_pay::TransferRequest;
use usd1_client::{parse_amount, AmountError};
use usd1_service::api::openapi::{ErrorBody, List};
use utoipa::ToSchema;

use super::{query, ApiError, AppState, Caller, State};
use crate::store::invoices::InvoiceData;
use crate::store::invoices::{Created, Invoice, NewInvoice, Status};
use crate::store::keys::Scope;
use crate::store::payload::DECIMALS;

/// The longest memo, label, message and external id accepted.
const MAX_MEMO: usize = 256;
const MAX_TEXT: usize = 256;
const MAX_EXTERNAL_ID: usize = 128;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvoice {
    /// What is to be paid, in USD1 (at most 6 decimals, above zero).
    #[schema(value_type = crate::store::payload::Dollars)]
    amount: Value,
    /// The memo the payment carries (at most 256 bytes).
    #[schema(max_length = 256)]
    memo: Option<String>,
    /// Shown by the wallet: who asks (at most 256 bytes).
    #[schema(max_length = 256)]
    label: Option<String>,
    /// Shown by the wallet: what for (at most 256 bytes).
    #[schema(max_length = 256)]
    message: Option<String>,
    /// When it stops accepting payment, in the future (default: the
    /// gateway's invoice lifetime, a day unless configured).
    #[schema(value_type = Option<usd1_service::api::webhooks::TimeOrSeconds>)]
    expires_at: Option<Value>,
    /// Your own id for it: the same id again gives the same invoice
    /// (1 to 128 bytes).
    #[schema(min_length = 1, max_length = 128)]
    external_id: Option<String>,
    /// Any JSON object (at most 8 KiB), returned unchanged.
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
}

/// An invoice with its Solana Pay URL and its QR code's address.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceView {
    #[serde(flatten)]
    invoice: InvoiceData,
    /// The `solana:` transfer request a wallet pays.
    url: String,
    /// `/v1/invoices/{id}/qr.svg`
    qr_url: String,
}

fn shown(state: &AppState, invoice: &Invoice) -> InvoiceView {
    InvoiceView {
        invoice: invoice.data(),
        url: request_of(state, invoice).url(DECIMALS),
        qr_url: format!("/v1/invoices/{}/qr.svg", invoice.id),
    }
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
#[utoipa::path(
    post, path = "/v1/invoices", operation_id = "create_invoice", tag = "invoices",
    security(("api_key" = ["invoices:write"])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Sending the same request with the same key again does it once: the first answer comes back, marked `Idempotent-Replayed: true` (1 to 255 visible ASCII characters).")),
    request_body = CreateInvoice,
    responses(
        (status = 201, description = "Made.", body = InvoiceView),
        (status = 200, description = "This `external_id` names it already, for the same amount.", body = InvoiceView),
        (status = 400, description = "`invalid_amount`, `amount_too_precise`, `negative_amount`, `amount_too_large`, `invalid_expires_at`, `expires_at_in_past`, `invalid_metadata`, `field_too_long`, `invalid_field`, `invalid_idempotency_key`, `unknown_field`, `malformed_json`.", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict` (the `external_id` is another amount's, or the `Idempotency-Key` another request's), `idempotency_in_progress`, `too_many_open_invoices`.", body = ErrorBody),
        (status = 413, description = "`body_too_large`: over 64 KiB.", body = ErrorBody),
    )
)]
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only invoices in this status.
    #[param(value_type = Option<Status>)]
    status: Option<String>,
    /// How many, newest first (1 to 1000; default 100; others are brought into that range).
    limit: Option<i64>,
}

/// The key's invoices, newest first.
#[utoipa::path(
    get, path = "/v1/invoices", operation_id = "list_invoices", tag = "invoices",
    security(("api_key" = ["invoices:read"])),
    params(ListQuery),
    responses(
        (status = 200, description = "The invoices.", body = List<InvoiceView>),
        (status = 400, description = "`invalid_status`, `invalid_query`.", body = ErrorBody),
    )
)]
pub async fn list(
    state: State,
    caller: Caller,
    uri: Uri,
) -> Result<Json<List<InvoiceView>>, ApiError> {
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
    Ok(Json(List::of(
        invoices.iter().map(|i| shown(&state, i)).collect(),
    )))
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

/// One of the key's invoices.
#[utoipa::path(
    get, path = "/v1/invoices/{id}", operation_id = "get_invoice", tag = "invoices",
    security(("api_key" = ["invoices:read"])),
    params(("id" = String, Path, description = "The invoice's id (`inv_…`).")),
    responses(
        (status = 200, description = "The invoice.", body = InvoiceView),
        (status = 404, description = "`not_found`: no such invoice of this key's.", body = ErrorBody),
    )
)]
pub async fn show(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<InvoiceView>, ApiError> {
    let invoice = readable(&state, &caller, &id).await?;
    Ok(Json(shown(&state, &invoice)))
}

/// Cancels an open invoice: a payment naming it later is `invoice.paid_after_close`.
#[utoipa::path(
    post, path = "/v1/invoices/{id}/cancel", operation_id = "cancel_invoice", tag = "invoices",
    security(("api_key" = ["invoices:write"])),
    params(("id" = String, Path, description = "The invoice's id (`inv_…`).")),
    responses(
        (status = 200, description = "Cancelled.", body = InvoiceView),
        (status = 404, description = "`not_found`: no such invoice of this key's.", body = ErrorBody),
        (status = 409, description = "`invoice_not_open`: it is paid, expired or cancelled already.", body = ErrorBody),
    )
)]
pub async fn cancel(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<InvoiceView>, ApiError> {
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

/// The invoice's Solana Pay request as a QR code.
#[utoipa::path(
    get, path = "/v1/invoices/{id}/qr.svg", operation_id = "get_invoice_qr", tag = "invoices",
    security(("api_key" = ["invoices:read"])),
    params(("id" = String, Path, description = "The invoice's id (`inv_…`).")),
    responses(
        (status = 200, description = "The QR code.", content_type = "image/svg+xml", body = String),
        (status = 404, description = "`not_found`: no such invoice of this key's.", body = ErrorBody),
    )
)]
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
