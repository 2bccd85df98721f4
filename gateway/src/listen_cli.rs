//! `usd1-gateway listen --forward-to URL`: the sandbox's receiver, as the
//! Stripe CLI's `listen` is. It subscribes a temporary webhook (pointing at
//! a port of its own on 127.0.0.1) through the gateway's API, forwards each
//! delivery, body and signature headers unchanged, to `--forward-to`, answers
//! the gateway with the receiver's status (so a failing receiver is retried
//! as any is), prints one line per delivery — its type, event id and the
//! receiver's status — and deletes the subscription when stopped.
//! The gateway must let webhooks reach loopback (`serve
//! --allow-private-webhooks`), as a developer's sandbox does.
use std::net::SocketAddr;

use anyhow::{bail, Context as _};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

/// The headers a delivery is signed and named with, forwarded as they came.
const FORWARDED: [&str; 6] = [
    "content-type",
    "usd1-signature",
    "usd1-event-id",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

#[derive(Debug, clap::Args)]
pub struct Listen {
    /// Where each delivery is forwarded (your receiver).
    #[arg(long, value_name = "URL")]
    forward_to: String,
    /// The gateway's API.
    #[arg(long, default_value = "http://127.0.0.1:8787")]
    api: String,
    /// An API key with webhooks:write (and the scopes of the events asked for).
    #[arg(long, env = "USD1_GATEWAY_API_KEY", hide_env_values = true)]
    api_key: String,
    /// The events to hear (repeatable; default: every invoice event).
    #[arg(long = "event", value_name = "KIND")]
    events: Vec<String>,
    /// The local address deliveries come to.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

/// One call to the gateway's API at `base` with `key`: its status and JSON
/// answer (the sandbox's commands' client).
pub async fn call(
    client: &reqwest::Client,
    (base, key): (&str, &str),
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let mut request = client
        .request(method, format!("{}{path}", base.trim_end_matches('/')))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("the gateway's API at {base} did not answer"))?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

pub async fn run(args: Listen) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener.local_addr()?;
    let events: Vec<String> = if args.events.is_empty() {
        usd1_gateway::store::webhooks::EVENT_KINDS
            .iter()
            .filter(|k| k.starts_with("invoice."))
            .map(|k| k.to_string())
            .collect()
    } else {
        args.events.clone()
    };
    let client = reqwest::Client::new();
    let api = (args.api.as_str(), args.api_key.as_str());
    let (status, hook) = call(
        &client,
        api,
        reqwest::Method::POST,
        "/v1/webhooks",
        Some(json!({"url": format!("http://{local}/"), "events": events})),
    )
    .await?;
    if status != 201 {
        let error = &hook["error"];
        bail!(
            "the gateway refused the temporary webhook ({status} {}): {}",
            error["code"].as_str().unwrap_or("?"),
            error["message"].as_str().unwrap_or("")
        );
    }
    let id = hook["id"].as_str().unwrap_or_default().to_string();
    eprintln!(
        "Ready! Forwarding {} to {}; the signing secret is {} (^C to stop)",
        events.join(", "),
        args.forward_to,
        hook["secret"].as_str().unwrap_or_default()
    );
    let forward_to = args.forward_to.clone();
    let forwarder = reqwest::Client::new();
    let handler = move |headers: HeaderMap, body: Bytes| {
        let (client, target) = (forwarder.clone(), forward_to.clone());
        async move {
            let mut request = client.post(&target).body(body.to_vec());
            for name in FORWARDED {
                if let Some(value) = headers.get(name) {
                    request = request.header(name, value.as_bytes());
                }
            }
            let kind = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["type"].as_str().map(str::to_string))
                .unwrap_or_else(|| "?".into());
            let event = headers
                .get("usd1-event-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?")
                .to_string();
            let status = match request.send().await {
                Ok(response) => response.status().as_u16(),
                Err(_) => 502,
            };
            let shown = match status {
                502 => "unreachable (502 to the gateway)".to_string(),
                s => s.to_string(),
            };
            println!("{kind} {event} -> {shown}");
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY)
        }
    };
    let app = axum::Router::new().fallback(handler);
    let server = axum::serve(listener, app).with_graceful_shutdown(stopped());
    let served = server.await;
    let (status, _) = call(
        &client,
        api,
        reqwest::Method::DELETE,
        &format!("/v1/webhooks/{id}"),
        None,
    )
    .await?;
    eprintln!("Stopped: the temporary webhook {id} deleted ({status})");
    served.context("the local receiver failed")
}

/// ^C or a TERM signal.
async fn stopped() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a TERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
