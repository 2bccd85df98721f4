//! The HTTP transport under [`super::RpcLedger`]: JSON-RPC over HTTP, gentle
//! with public nodes. A request the node could not answer now — `429 Too
//! Many Requests` or a 5xx — is tried again after a doubling pause (from
//! 250 ms, at most 30 s, eight tries), or after the node's `Retry-After`
//! when it gives one; a request that got no answer (a timeout, a refused or
//! dropped connection) is tried three times in all, so a node that is down
//! is named soon; and with a rate, requests are
//! spaced to at most that many a second. Every HTTP request sent is counted.
//!
//! `sendTransaction` is the exception: it is tried again only when it cannot
//! have reached the node (no connection, or `429`). After a 5xx, a timeout or
//! a body cut short the node may have taken the transaction, and the answer
//! to a second try (already processed, or a preflight run on a state the
//! first one changed) would be read as if it were the first's; the send path
//! confirms by signature instead (`super::send`).
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use solana_rpc_client::rpc_sender::{RpcSender, RpcTransportStats};
use solana_rpc_client_api::client_error::Result;
use solana_rpc_client_api::custom_error::JSON_RPC_SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE;
use solana_rpc_client_api::error_object::RpcErrorObject;
use solana_rpc_client_api::request::{RpcError, RpcRequest, RpcResponseErrorData};
use solana_rpc_client_api::response::RpcSimulateTransactionResult;

/// How a request that got no JSON-RPC answer is reported: this, the URL,
/// `": "` and what failed. [`super::RpcLedger`] reads it back as
/// [`crate::ClientError::Unreachable`] (the RPC client wraps some errors
/// in text of its own, `AccountNotFound: pubkey=…: …`).
pub(crate) const UNREACHABLE: &str = "cannot reach the RPC node ";

/// What failed, in a few words, for a request that got no JSON-RPC answer.
pub(crate) fn what_failed(url: &str, error: &reqwest::Error, timeout: Duration) -> String {
    use std::error::Error as _;
    if error.is_timeout() {
        return format!("no answer within {} s", timeout.as_secs_f64());
    }
    if let Some(status) = error.status() {
        return format!("it answered HTTP {status}");
    }
    let mut causes = Vec::new();
    let mut next = error.source();
    while let Some(cause) = next {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".into(),
                std::io::ErrorKind::ConnectionReset => return "connection reset".into(),
                std::io::ErrorKind::TimedOut => return "connecting timed out".into(),
                _ => {}
            }
        }
        causes.push(cause.to_string());
        next = cause.source();
    }
    let said = causes.join(": ");
    // Connected, but no TLS session came of it (a plain HTTP server, a
    // certificate refused): the TLS layer's own words.
    if error.is_connect() && url.starts_with("https:") {
        return format!("TLS failed ({})", causes.last().map_or("", String::as_str));
    }
    if error.is_connect() {
        return if said.is_empty() {
            "could not connect".into()
        } else {
            format!("could not connect ({said})")
        };
    }
    if error.is_decode() || error.is_body() {
        return "the answer is not JSON-RPC".into();
    }
    if error.is_builder() {
        return format!("the request could not be made ({error})");
    }
    if said.is_empty() {
        "the connection failed".into()
    } else {
        format!("the connection failed ({said})")
    }
}

/// Tries of one request, the first included: refused for load, and unanswered.
const TRIES: u32 = 8;
const UNANSWERED_TRIES: u32 = 3;
const FIRST_PAUSE: Duration = Duration::from_millis(250);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);
/// A `Retry-After` longer than this is not waited for.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(120);

/// How a [`GentleSender`] treats the node.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// Requests a second at most (`None`: as fast as answered).
    pub rate: Option<u32>,
}

pub struct GentleSender {
    client: reqwest::Client,
    url: String,
    /// How long one request may take.
    timeout: Duration,
    id: AtomicU64,
    /// The earliest the next request may leave, with a rate.
    interval: Option<Duration>,
    next: tokio::sync::Mutex<Instant>,
    requests: AtomicU64,
    retried: AtomicU64,
    stats: std::sync::Mutex<RpcTransportStats>,
}

impl GentleSender {
    pub fn new(url: String, timeout: Duration, limits: Limits) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .pool_idle_timeout(timeout)
            .build()
            .expect("an HTTP client with a timeout always builds");
        Self {
            client,
            url,
            timeout,
            id: AtomicU64::new(0),
            interval: limits
                .rate
                .filter(|r| *r > 0)
                .map(|r| Duration::from_secs_f64(1.0 / f64::from(r))),
            next: tokio::sync::Mutex::new(Instant::now()),
            requests: AtomicU64::new(0),
            retried: AtomicU64::new(0),
            stats: std::sync::Mutex::new(RpcTransportStats::default()),
        }
    }

    /// HTTP requests sent so far, retries included, and how many were retries.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.retried.load(Ordering::Relaxed),
        )
    }

    /// Waits for this request's turn under the rate.
    async fn turn(&self) -> Duration {
        let Some(interval) = self.interval else {
            return Duration::ZERO;
        };
        let wait = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + interval;
            at - now
        };
        tokio::time::sleep(wait).await;
        wait
    }

    /// One HTTP exchange; `Err(Some(pause))` when it is worth trying again.
    async fn exchange(&self, body: &str) -> std::result::Result<serde_json::Value, Refused> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let sent = self
            .client
            .post(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => {
                // No answer came (no connection, a timeout, a connection
                // closed before the answer): worth a few more tries.
                let unanswered = !e.is_builder();
                return Err(Refused {
                    tries: if unanswered { UNANSWERED_TRIES } else { 1 },
                    pause: Duration::ZERO,
                    reached: !e.is_connect(),
                    error: e,
                });
            }
        };
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
                .filter(|d| *d <= LONGEST_RETRY_AFTER);
            let again = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
            let error = response
                .error_for_status()
                .expect_err("a status that is not success is an error");
            return Err(Refused {
                tries: if again { TRIES } else { 1 },
                pause: retry_after.unwrap_or(Duration::ZERO),
                // Refused for load: turned away before anything was done.
                reached: status != StatusCode::TOO_MANY_REQUESTS,
                error,
            });
        }
        response.json().await.map_err(|e| Refused {
            tries: if e.is_timeout() { UNANSWERED_TRIES } else { 1 },
            pause: Duration::ZERO,
            reached: true,
            error: e,
        })
    }
}

/// An exchange that failed: how many tries such a failure is worth, and
/// the least pause the node asked for before the next.
struct Refused {
    tries: u32,
    pause: Duration,
    /// The request may have reached the node (and been acted on).
    reached: bool,
    error: reqwest::Error,
}

/// The JSON-RPC answer's result, or its error as the RPC client names it.
fn answer(mut json: serde_json::Value) -> Result<serde_json::Value> {
    if !json["error"].is_object() {
        return Ok(json["result"].take());
    }
    let error = json["error"].take();
    let object: RpcErrorObject = serde_json::from_value(error.clone())
        .map_err(|e| RpcError::RpcRequestError(format!("a malformed RPC error: {error} ({e})")))?;
    let data = match object.code {
        JSON_RPC_SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE => {
            serde_json::from_value::<RpcSimulateTransactionResult>(error["data"].clone())
                .map(RpcResponseErrorData::SendTransactionPreflightFailure)
                .unwrap_or(RpcResponseErrorData::Empty)
        }
        _ => RpcResponseErrorData::Empty,
    };
    Err(RpcError::RpcResponseError {
        code: object.code,
        message: object.message,
        data,
    }
    .into())
}

#[async_trait]
impl RpcSender for GentleSender {
    async fn send(
        &self,
        request: RpcRequest,
        params: serde_json::Value,
    ) -> Result<serde_json::Value> {
        let started = Instant::now();
        let id = self.id.fetch_add(1, Ordering::Relaxed);
        // A transaction that may have reached the node is not sent again here.
        let once_reached = request == RpcRequest::SendTransaction;
        let body = request.build_request_json(id, params).to_string();
        let mut waited = Duration::ZERO;
        let mut pause = FIRST_PAUSE;
        let mut tries = 0;
        let outcome: Result<serde_json::Value> = loop {
            tries += 1;
            waited += self.turn().await;
            match self.exchange(&body).await {
                Ok(json) => break Ok(json),
                Err(refused) if tries < refused.tries && !(once_reached && refused.reached) => {
                    let wait = refused.pause.max(pause);
                    self.retried.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(wait).await;
                    waited += wait;
                    pause = (pause * 2).min(LONGEST_PAUSE);
                }
                Err(refused) => {
                    let why = what_failed(&self.url, &refused.error, self.timeout);
                    break Err(RpcError::RpcRequestError(format!(
                        "{UNREACHABLE}{}: {why}",
                        self.url
                    ))
                    .into());
                }
            }
        };
        {
            let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
            stats.request_count += 1;
            stats.elapsed_time += started.elapsed();
            stats.rate_limited_time += waited;
        }
        answer(outcome?)
    }

    fn get_transport_stats(&self) -> RpcTransportStats {
        self.stats.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn url(&self) -> String {
        self.url.clone()
    }
}
