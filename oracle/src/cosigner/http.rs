//! The co-signer's HTTP side: `/sign`, `/metrics` and `/health`, and the
//! proposer's request to a co-signer.
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

async fn sign_handler(
    State(cosigner): State<Arc<Cosigner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let decided = async {
        if !cosigner.authorized(&headers) {
            return Err(Refusal::Unauthorized);
        }
        if !cosigner.within_rate() {
            return Err(Refusal::RateLimited(cosigner.max_requests_per_minute));
        }
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
    if cosigner.counters.equivocation_alarm.load(Ordering::Relaxed) {
        reasons.push("equivocation alarm: asked to sign a second digest for a signed seq".into());
    }
    let status = if reasons.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({ "healthy": reasons.is_empty(), "reasons": reasons });
    (status, body.to_string())
}

/// The proposer's side: asks the co-signer at `url` for its signature,
/// giving up after `timeout`. A refusal comes back named.
pub async fn ask(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    request: &SignRequest,
    timeout: Duration,
) -> Result<AttestorSignature, String> {
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
                format!("Timeout: no answer within {}ms", timeout.as_millis())
            } else {
                format!("Unreachable: {e}")
            }
        })?;
    let status = answer.status();
    let text = answer
        .text()
        .await
        .map_err(|e| format!("Unreachable: {e}"))?;
    if !status.is_success() {
        return Err(match serde_json::from_str::<RefusalBody>(&text) {
            Ok(refusal) => refusal.message,
            Err(_) => format!("HttpStatus: {status}"),
        });
    }
    let signed: SignResponse =
        serde_json::from_str(&text).map_err(|e| format!("Malformed: {e}"))?;
    let attestor = Pubkey::from_str(&signed.attestor)
        .map_err(|_| format!("Malformed: attestor {}", signed.attestor))?;
    let signature = Signature::from_str(&signed.signature)
        .map_err(|_| format!("Malformed: signature {}", signed.signature))?;
    Ok(AttestorSignature {
        attestor,
        signature,
    })
}
