//! The PubSub side of finding payments: an `accountSubscribe` on the
//! treasury's token account wakes the watcher as soon as it changes. The
//! signature lists stay the source of truth: on every (re)connection the
//! watcher is woken to catch up on what happened while the socket was down,
//! and a dropped socket is reopened, doubling the wait up to 5 s.
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use solana_sdk::pubkey::Pubkey;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

/// The PubSub URL beside a JSON-RPC URL, as the Solana CLI derives it:
/// `ws`/`wss` for `http`/`https`, at the next port when one is given.
pub fn pubsub_url(rpc_url: &str) -> Option<String> {
    let mut url = reqwest::Url::parse(rpc_url).ok()?;
    let scheme = match url.scheme() {
        "http" => "ws",
        "https" => "wss",
        _ => return None,
    };
    url.set_scheme(scheme).ok()?;
    if let Some(port) = url.port() {
        url.set_port(Some(port.checked_add(1)?)).ok()?;
    }
    Some(url.to_string())
}

/// Keeps a subscription to `account` open, waking `wake` on every
/// notification and every (re)connection. Runs until dropped.
pub async fn subscribe(ws_url: String, account: Pubkey, commitment: String, wake: Arc<Notify>) {
    let mut wait = Duration::from_millis(100);
    loop {
        if let Ok((mut socket, _)) = tokio_tungstenite::connect_async(ws_url.as_str()).await {
            let request = serde_json::json!({
                "jsonrpc": "2.0",
                "id": 1,
                "method": "accountSubscribe",
                "params": [account.to_string(), {"encoding": "base64", "commitment": commitment}],
            });
            if socket
                .send(Message::text(request.to_string()))
                .await
                .is_ok()
            {
                wait = Duration::from_millis(100);
                wake.notify_one();
                while let Some(Ok(message)) = socket.next().await {
                    if let Message::Text(text) = message {
                        if text.contains("accountNotification") {
                            wake.notify_one();
                        }
                    }
                }
            }
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::pubsub_url;

    #[test]
    fn the_pubsub_url_is_the_next_port() {
        assert_eq!(
            pubsub_url("http://127.0.0.1:8899").as_deref(),
            Some("ws://127.0.0.1:8900/")
        );
        assert_eq!(
            pubsub_url("https://api.mainnet-beta.solana.com").as_deref(),
            Some("wss://api.mainnet-beta.solana.com/")
        );
        assert_eq!(pubsub_url("ftp://x"), None);
    }
}
