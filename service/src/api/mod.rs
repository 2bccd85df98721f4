//! What every service's HTTP API shares: an error is a JSON body
//! `{"error": {"code", "message"}}` with a stable code (never a driver's
//! words; the database away is 503 with Retry-After), bodies of at most
//! 64 KiB read strictly (unknown fields refused), query strings read
//! strictly, and token buckets for rate limits.
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

mod gate;
pub mod openapi;
pub mod webhooks;

pub use gate::{Caller, Gate, HasGate, RateLimit};

use crate::cases::CaseError;
use crate::store::{new_id, StoreError};

/// The largest request body read.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The service this process runs ("gateway"), as its errors name it.
static SERVICE: OnceLock<&'static str> = OnceLock::new();

/// Names the service in the errors its API answers with (once per process;
/// "service" until then).
pub fn name_service(name: &'static str) {
    let _ = SERVICE.set(name);
}

fn service() -> &'static str {
    SERVICE.get().copied().unwrap_or("service")
}

/// A refusal: HTTP status, stable code, human message.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
    /// It came from the database: counted in `/metrics`.
    from_store: bool,
}

/// On a response whose error came from the database (for `/metrics`).
#[derive(Clone, Copy, Debug)]
pub struct StoreFailed;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
            from_store: false,
        }
    }

    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        )
    }
}

impl From<StoreError> for ApiError {
    /// The database away (its pool gave no connection in time, it is
    /// locked, or a connection broke): 503 with Retry-After. Anything else:
    /// 500 with a reference the operator's log carries beside the detail.
    /// Neither says what the driver said.
    fn from(error: StoreError) -> Self {
        if error.is_unavailable() {
            let mut unavailable = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                format!(
                    "the {}'s database is not answering; try again shortly",
                    service()
                ),
            );
            unavailable.retry_after = Some(1);
            unavailable.from_store = true;
            return unavailable;
        }
        let reference = new_id("err");
        eprintln!("usd1-{}: API: {reference}: {error}", service());
        let mut internal = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!(
                "the {} could not do that (reference {reference}, in its log)",
                service()
            ),
        );
        internal.from_store = true;
        internal
    }
}

/// The request's query string as `T`, read strictly: an unknown parameter or
/// a value of the wrong kind is `invalid_query`. Handlers read it after the
/// caller is known.
pub fn query<T: DeserializeOwned>(uri: &axum::http::Uri) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad("invalid_query", e.body_text()))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = openapi::ErrorBody {
            error: openapi::ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.from_store {
            response.extensions_mut().insert(StoreFailed);
        }
        response
    }
}

/// A request body of at most [`BODY_LIMIT`] bytes as `T`, strictly.
pub async fn read_json<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    parse_json(&read_body(body, BODY_LIMIT).await?)
}

/// A request body's bytes, at most `limit` of them (`body_too_large` past it).
pub async fn read_body(body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    axum::body::to_bytes(body, limit)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body is over {limit} bytes"),
            )
        })
}

/// Bytes as `T`, strictly: an unknown field, bad JSON and a wrong value
/// each have their code.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        if text.starts_with("unknown field") {
            ApiError::bad("unknown_field", text)
        } else if e.is_syntax() || e.is_eof() {
            ApiError::bad("malformed_json", text)
        } else {
            ApiError::bad("invalid_field", text)
        }
    })
}

/// Token buckets by name, refilled at a rate.
#[derive(Default)]
pub struct Buckets(Mutex<HashMap<String, (f64, Instant)>>);

impl Buckets {
    /// Takes one from `name`'s bucket, or says how many seconds until one is there.
    pub fn take(&self, name: &str, per_second: f64, burst: f64) -> Result<(), u64> {
        let mut buckets = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if buckets.len() > 100_000 {
            // Addresses come and go: forget the full buckets.
            buckets.retain(|_, (tokens, _)| *tokens < burst);
        }
        let (tokens, at) = buckets.entry(name.to_string()).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

impl Buckets {
    /// Whether `name`'s bucket is empty now (how long until it is not),
    /// taking nothing from it.
    pub fn empty(&self, name: &str, per_second: f64, burst: f64) -> Option<u64> {
        let buckets = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, at) = buckets.get(name)?;
        let now = (*tokens + at.elapsed().as_secs_f64() * per_second).min(burst);
        (now < 1.0).then(|| ((1.0 - now) / per_second).ceil().max(1.0) as u64)
    }
}

/// A case refused: its stable code.
impl From<CaseError> for ApiError {
    fn from(error: CaseError) -> Self {
        let message = error.to_string();
        match error {
            CaseError::NotFound(_) => ApiError::not_found("case"),
            CaseError::Closed { .. } => ApiError::new(StatusCode::CONFLICT, "case_closed", message),
            CaseError::FourEyes { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, "four_eyes", message)
            }
            CaseError::NoFreezeProposed(_) => {
                ApiError::new(StatusCode::CONFLICT, "no_freeze_proposed", message)
            }
            CaseError::NothingProposed(_) => {
                ApiError::new(StatusCode::CONFLICT, "nothing_proposed", message)
            }
            CaseError::FreezeAlreadyProposed(_) | CaseError::FreezeAlreadyApproved(_) => {
                ApiError::new(StatusCode::CONFLICT, "freeze_already_decided", message)
            }
            CaseError::ReleaseAlreadyProposed(_) => {
                ApiError::new(StatusCode::CONFLICT, "release_already_proposed", message)
            }
            CaseError::DecisionPending { .. } => {
                ApiError::new(StatusCode::CONFLICT, "decision_pending", message)
            }
            CaseError::NotReleasable { .. } => {
                ApiError::new(StatusCode::CONFLICT, "not_releasable", message)
            }
            CaseError::KeyNamesNoOperator(_) => {
                ApiError::new(StatusCode::FORBIDDEN, "key_names_no_operator", message)
            }
            CaseError::NoOperator => ApiError::bad("operator_required", message),
            CaseError::BadSubject(_) => ApiError::bad("invalid_subject", message),
            CaseError::Store(error) => error.into(),
        }
    }
}

/// The header a client names a create with, so that sending it again does it once.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Runs `create` once per idempotency key of the caller's: the same request
/// again gets the first answer (marked `Idempotent-Replayed: true`); another
/// body under the same key is `idempotency_conflict`; one still being worked
/// on is `idempotency_in_progress`. Without the header, `create` just runs.
pub async fn once<S, F, Fut, T>(
    store: &crate::store::Store<S>,
    key_id: &str,
    headers: &axum::http::HeaderMap,
    request: &[u8],
    create: F,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(StatusCode, T), ApiError>>,
    T: serde::Serialize,
{
    // Through a Value, as the answers were always written (keys sorted).
    let text = |body: &T| {
        serde_json::to_value(body)
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let respond = |status: StatusCode, body: String| {
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    };
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else {
        let (status, body) = create().await?;
        return Ok(respond(status, text(&body)));
    };
    let idem = value
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::bad(
                "invalid_idempotency_key",
                "an Idempotency-Key is 1 to 255 visible ASCII characters",
            )
        })?;
    let hash = usd1_client::hex(&usd1_client::sha256(request));
    match store.claim_idempotent(key_id, idem, &hash).await? {
        crate::idempotency::Claim::New => match create().await {
            Ok((status, body)) => {
                let body = text(&body);
                store
                    .answer_idempotent(key_id, idem, Some((status.as_u16(), &body)))
                    .await?;
                Ok(respond(status, body))
            }
            Err(error) => {
                store.answer_idempotent(key_id, idem, None).await?;
                Err(error)
            }
        },
        crate::idempotency::Claim::Answered { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = respond(status, body);
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(response)
        }
        crate::idempotency::Claim::Conflict => Err(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_conflict",
            format!("the Idempotency-Key {idem} was used with another request"),
        )),
        crate::idempotency::Claim::InProgress => {
            let mut error = ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                format!("a request with the Idempotency-Key {idem} is being worked on; retry"),
            );
            error.retry_after = Some(1);
            Err(error)
        }
    }
}
