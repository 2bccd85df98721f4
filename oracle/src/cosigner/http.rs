//! The co-signer's HTTP side: `/sign`, `/metrics` and `/health`, and the
//! proposer's request to a co-signer.
use axum::extract::Request;

use super::*;

/// Serves `/sign`, `/metrics` and `/health` on `listener` until `cancel`.
pub async fn serve(
    listener: TcpListener,
    cosigner: Arc<Cosigner>,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/sign", post(sign_handler))
        .route("/metrics", get(metrics_handler))
        .route("/health", get(health_handler))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(cosigner);
    axum::serve(listener, app)
        .with_graceful_shutdown(cancel.cancelled_owned())
        .await
}

fn refusal_response(refusal: &Refusal) -> Response {
    let body = RefusalBody {
        error: refusal.name().to_string(),
        message: refusal.to_string(),
    };
    (
        refusal.status(),
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&body).unwrap_or_default(),
    )
        .into_response()
}

/// `/sign`. The caller's credential and rate are checked before its body
/// is read, so neither a stranger nor a flood costs more than its headers.
async fn sign_handler(State(cosigner): State<Arc<Cosigner>>, request: Request) -> Response {
    let decided = async {
        if !cosigner.authorized(request.headers()) {
            return Err(Refusal::Unauthorized);
        }
        if !cosigner.within_rate() {
            return Err(Refusal::RateLimited(cosigner.max_requests_per_minute));
        }
        let body = axum::body::to_bytes(request.into_body(), MAX_REQUEST_BYTES)
            .await
            .map_err(|e| {
                Refusal::BadRequest(format!(
                    "unreadable or above {MAX_REQUEST_BYTES} bytes: {e}"
                ))
            })?;
        let request: SignRequest = serde_json::from_slice(&body)
            .map_err(|e| Refusal::BadRequest(format!("not a sign request: {e}")))?;
        cosigner.consider(&request).await
    }
    .await;
    match decided {
        Ok(signed) => {
            let counter = if signed.repeated {
                &cosigner.counters.repeated
            } else {
                &cosigner.counters.signed
            };
            counter.fetch_add(1, Ordering::Relaxed);
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::to_string(&signed).unwrap_or_default(),
            )
                .into_response()
        }
        Err(refusal) => {
            cosigner.counters.refused(refusal.name());
            tracing::warn!(refusal = %refusal, "refused to sign");
            refusal_response(&refusal)
        }
    }
}

async fn metrics_handler(State(cosigner): State<Arc<Cosigner>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        cosigner.render_metrics(),
    )
}

async fn health_handler(State(cosigner): State<Arc<Cosigner>>) -> impl IntoResponse {
    let mut reasons = Vec::new();
    if let Err(e) = cosigner.usd1.config().await {
        reasons.push(format!("the chain could not be read: {e}"));
    }
    if let Some(why) = cosigner.signer_down() {
        reasons.push(format!("the attestor key did not sign: {why}"));
    }
    if cosigner.alarm_raised() {
        reasons.push(
            "equivocation alarm: asked to sign a second digest for a signed seq \
             (usd1-oracle cosign --clear-alarm --operator NAME clears it)"
                .into(),
        );
    }
    let status = if reasons.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({ "healthy": reasons.is_empty(), "reasons": reasons });
    (status, body.to_string())
}

/// The most of a co-signer's answer the proposer reads: a signature is a
/// few hundred bytes, a refusal a line.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Longest refusal text from a co-signer the proposer repeats in its logs.
const MAX_REASON_CHARS: usize = 500;

/// Why a co-signer's signature did not come: `label` is from a closed list
/// (a refusal's name, or what went wrong on the way), fit for a metrics
/// label whatever the co-signer wrote; `reason` is the whole story.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsigned {
    pub label: &'static str,
    pub reason: String,
}

impl Unsigned {
    fn new(label: &'static str, reason: impl Into<String>) -> Self {
        Self {
            label,
            reason: reason.into(),
        }
    }

    /// A refusal the co-signer named: its name if it is one of
    /// [`Refusal::NAMES`], `other` if not.
    fn refused(name: &str, message: &str) -> Self {
        let label = Refusal::NAMES
            .iter()
            .find(|known| **known == name)
            .copied()
            .unwrap_or("other");
        let mut reason: String = message.chars().take(MAX_REASON_CHARS).collect();
        if message.chars().count() > MAX_REASON_CHARS {
            reason.push('…');
        }
        Self::new(label, reason)
    }
}

impl std::fmt::Display for Unsigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// The answer's body, read up to [`MAX_ANSWER_BYTES`].
async fn capped_body(mut answer: reqwest::Response) -> Result<Vec<u8>, Unsigned> {
    let mut body = Vec::new();
    while let Some(chunk) = answer
        .chunk()
        .await
        .map_err(|e| Unsigned::new("Unreachable", format!("Unreachable: {e}")))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(Unsigned::new(
                "TooLarge",
                format!("TooLarge: an answer above {MAX_ANSWER_BYTES} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The proposer's side: asks the co-signer at `url` for its signature,
/// giving up after `timeout`. A refusal comes back named.
pub async fn ask(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    request: &SignRequest,
    timeout: Duration,
) -> Result<AttestorSignature, Unsigned> {
    let endpoint = format!("{}/sign", url.trim_end_matches('/'));
    let answer = client
        .post(&endpoint)
        .bearer_auth(token)
        .json(request)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                Unsigned::new(
                    "Timeout",
                    format!("Timeout: no answer within {}ms", timeout.as_millis()),
                )
            } else {
                Unsigned::new("Unreachable", format!("Unreachable: {e}"))
            }
        })?;
    let status = answer.status();
    let body = capped_body(answer).await?;
    if !status.is_success() {
        return Err(match serde_json::from_slice::<RefusalBody>(&body) {
            Ok(refusal) => Unsigned::refused(&refusal.error, &refusal.message),
            Err(_) => Unsigned::new("HttpStatus", format!("HttpStatus: {status}")),
        });
    }
    let malformed = |what: String| Unsigned::new("Malformed", format!("Malformed: {what}"));
    let signed: SignResponse =
        serde_json::from_slice(&body).map_err(|e| malformed(e.to_string()))?;
    let attestor = Pubkey::from_str(&signed.attestor)
        .map_err(|_| malformed(format!("attestor {}", signed.attestor)))?;
    let signature = Signature::from_str(&signed.signature)
        .map_err(|_| malformed(format!("signature {}", signed.signature)))?;
    Ok(AttestorSignature {
        attestor,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_labelled_only_by_a_known_name() {
        let known = Unsigned::refused("Equivocation", "Equivocation: seq 3 was signed");
        assert_eq!(known.label, "Equivocation");
        let unknown = Unsigned::refused("Pwned\"} 1\nfake_metric{", "anything");
        assert_eq!(unknown.label, "other");
        let long = Unsigned::refused("BadRequest", &"x".repeat(10_000));
        assert_eq!(long.reason.chars().count(), MAX_REASON_CHARS + 1);
    }
}
