//! Solana PubSub over websocket, on the RPC port + 1 as solana-test-validator
//! serves it: `accountSubscribe`, `programSubscribe`, `signatureSubscribe`,
//! `slotSubscribe`, `logsSubscribe` and their `*Unsubscribe`, with agave's
//! notification shapes. What `@solana/web3.js` confirms transactions and
//! follows accounts through.
//!
//! The localnet executes a transaction when it is sent and never rolls
//! back, so a transaction is processed, confirmed and finalized at once:
//! every notification is sent on landing, whatever commitment was asked.
//! Each connection may hold [`MAX_SUBSCRIPTIONS`]; messages are capped at
//! [`MAX_MESSAGE_BYTES`]; a connection's subscriptions go with it.
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use solana_account_decoder_client_types::{UiAccountEncoding, UiDataSliceConfig};
use solana_rpc_client_api::filter::RpcFilterType;
use solana_rpc_client_api::response::{
    ProcessedSignatureResult, ReceivedSignatureResult, Response, RpcKeyedAccount, RpcLogsResponse,
    RpcResponseContext, RpcSignatureResult, SlotInfo,
};
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::chain::{Chain, ChainEvent, Record};
use crate::encode;
use crate::rpc::{allows, encoding_of};

/// Subscriptions one connection may hold at once.
pub const MAX_SUBSCRIPTIONS: usize = 1024;
/// Largest message (and frame) a client may send.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// What one subscription listens for.
enum Subscription {
    Account {
        address: Pubkey,
        encoding: UiAccountEncoding,
        slice: Option<UiDataSliceConfig>,
    },
    Program {
        program: Pubkey,
        encoding: UiAccountEncoding,
        slice: Option<UiDataSliceConfig>,
        filters: Vec<RpcFilterType>,
    },
    Signature {
        signature: Signature,
        received: bool,
    },
    Slot,
    /// `mentions: None`: every transaction.
    Logs {
        mentions: Option<Pubkey>,
    },
}

impl Subscription {
    /// The method that ends it.
    fn unsubscribe_method(&self) -> &'static str {
        match self {
            Self::Account { .. } => "accountUnsubscribe",
            Self::Program { .. } => "programUnsubscribe",
            Self::Signature { .. } => "signatureUnsubscribe",
            Self::Slot => "slotUnsubscribe",
            Self::Logs { .. } => "logsUnsubscribe",
        }
    }
}

/// Accepts websocket clients on `listener` until `cancel`.
pub async fn serve(listener: TcpListener, chain: Arc<Chain>, cancel: CancellationToken) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(connection(stream, chain.clone(), cancel.clone()));
                }
            }
        }
    }
}

/// One client: its requests and the notifications its subscriptions earn.
struct Client {
    chain: Arc<Chain>,
    subscriptions: HashMap<u64, Subscription>,
    next_id: u64,
}

async fn connection(stream: TcpStream, chain: Arc<Chain>, cancel: CancellationToken) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES));
    let Ok(socket) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let (mut sink, mut source) = socket.split();
    let mut events = chain.subscribe();
    let mut client = Client {
        chain,
        subscriptions: HashMap::new(),
        next_id: 1,
    };
    loop {
        let outgoing = tokio::select! {
            _ = cancel.cancelled() => break,
            message = source.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    client.chain.touch();
                    client.request(text.as_str()).await
                }
                Some(Ok(Message::Ping(payload))) => {
                    if sink.send(Message::Pong(payload)).await.is_err() {
                        break;
                    }
                    continue;
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => continue,
            },
            event = events.recv() => match event {
                Ok(event) => client.notifications(&event).await,
                // A subscriber that fell this far behind misses some; it stays connected.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            },
        };
        for message in outgoing {
            if sink.send(Message::text(message.to_string())).await.is_err() {
                return;
            }
        }
    }
    let _ = sink.close().await;
}

fn reply(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "result": result, "id": id})
}

fn error(id: &Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id})
}

fn notification(method: &str, subscription: u64, result: Value) -> Value {
    json!({
        "jsonrpc": "2.0",
        "method": method,
        "params": {"result": result, "subscription": subscription},
    })
}

fn in_context(slot: u64, value: impl serde::Serialize) -> Value {
    json!(Response {
        context: RpcResponseContext {
            slot,
            api_version: None
        },
        value,
    })
}

/// Where a closed account stands: no lamports, no data, the system program's.
fn closed() -> Account {
    Account {
        owner: anchor_lang::solana_program::system_program::ID,
        ..Account::default()
    }
}

impl Client {
    /// Answers one request; a subscription whose answer is already known
    /// (a signature that landed before it was asked about) notifies at once.
    async fn request(&mut self, text: &str) -> Vec<Value> {
        let Ok(request) = serde_json::from_str::<Value>(text) else {
            return vec![error(&Value::Null, -32700, "Parse error")];
        };
        // A notification (no id) asks for no answer, as JSON-RPC 2.0 has it:
        // web3.js sends `ping` so every few seconds.
        let Some(id) = request.get("id").cloned() else {
            return Vec::new();
        };
        let Some(method) = request.get("method").and_then(Value::as_str) else {
            return vec![error(&id, -32600, "Invalid request")];
        };
        let params = match request.get("params") {
            Some(Value::Array(params)) => params.clone(),
            None | Some(Value::Null) => Vec::new(),
            Some(_) => return vec![error(&id, -32602, "Invalid params")],
        };
        if let Some(kind) = method.strip_suffix("Unsubscribe") {
            let wanted = format!("{kind}Unsubscribe");
            let Some(sub) = params.first().and_then(Value::as_u64) else {
                return vec![error(
                    &id,
                    -32602,
                    "Invalid params: expected a subscription id",
                )];
            };
            let known = self
                .subscriptions
                .get(&sub)
                .is_some_and(|s| s.unsubscribe_method() == wanted);
            if !known {
                return vec![error(&id, -32602, "Invalid subscription id.")];
            }
            self.subscriptions.remove(&sub);
            return vec![reply(&id, json!(true))];
        }
        let subscription = match self.parse(method, &params) {
            Ok(subscription) => subscription,
            Err(message) => return vec![error(&id, -32602, &message)],
        };
        if self.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            return vec![error(
                &id,
                -32602,
                &format!("Too many subscriptions on this connection (at most {MAX_SUBSCRIPTIONS})"),
            )];
        }
        let sub = self.next_id;
        self.next_id += 1;
        let mut out = vec![reply(&id, json!(sub))];
        if let Subscription::Signature { signature, .. } = &subscription {
            if let Some(record) = self.chain.record(signature) {
                out.push(signature_processed(sub, &record));
                return out;
            }
        }
        self.subscriptions.insert(sub, subscription);
        out
    }

    fn parse(&self, method: &str, params: &[Value]) -> Result<Subscription, String> {
        let pubkey = |index: usize| {
            params
                .get(index)
                .and_then(Value::as_str)
                .and_then(|text| Pubkey::from_str(text).ok())
                .ok_or_else(|| "Invalid params: expected an address".to_string())
        };
        let config = params.get(1);
        let (encoding, slice) =
            encoding_of(config).map_err(|e| format!("Invalid params: {}", e.message()))?;
        match method {
            "accountSubscribe" => Ok(Subscription::Account {
                address: pubkey(0)?,
                encoding,
                slice,
            }),
            "programSubscribe" => {
                let filters = match config.and_then(|c| c.get("filters")) {
                    Some(filters) if !filters.is_null() => serde_json::from_value(filters.clone())
                        .map_err(|e| format!("Invalid params: bad filters: {e}"))?,
                    _ => Vec::new(),
                };
                Ok(Subscription::Program {
                    program: pubkey(0)?,
                    encoding,
                    slice,
                    filters,
                })
            }
            "signatureSubscribe" => {
                let signature = params
                    .first()
                    .and_then(Value::as_str)
                    .and_then(|text| Signature::from_str(text).ok())
                    .ok_or_else(|| "Invalid params: expected a signature".to_string())?;
                let received = config
                    .and_then(|c| c.get("enableReceivedNotification"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                Ok(Subscription::Signature {
                    signature,
                    received,
                })
            }
            "slotSubscribe" => Ok(Subscription::Slot),
            "logsSubscribe" => match params.first() {
                Some(Value::String(which)) if which == "all" || which == "allWithVotes" => {
                    Ok(Subscription::Logs { mentions: None })
                }
                Some(filter) => {
                    let mentions = filter
                        .get("mentions")
                        .and_then(Value::as_array)
                        .filter(|m| m.len() == 1)
                        .and_then(|m| m[0].as_str())
                        .and_then(|text| Pubkey::from_str(text).ok())
                        .ok_or_else(|| {
                            "Invalid params: expected \"all\", \"allWithVotes\" or {\"mentions\": [one address]}"
                                .to_string()
                        })?;
                    Ok(Subscription::Logs {
                        mentions: Some(mentions),
                    })
                }
                None => Err("Invalid params: expected a filter".into()),
            },
            _ => Err(format!("Method not found: {method}")),
        }
    }

    /// What `event` means to this client's subscriptions.
    async fn notifications(&mut self, event: &ChainEvent) -> Vec<Value> {
        let record = match event {
            ChainEvent::Slot { slot } => {
                let info = SlotInfo {
                    slot: *slot,
                    parent: slot.saturating_sub(1),
                    root: slot.saturating_sub(1),
                };
                return self
                    .subscriptions
                    .iter()
                    .filter(|(_, s)| matches!(s, Subscription::Slot))
                    .map(|(sub, _)| notification("slotNotification", *sub, json!(info)))
                    .collect();
            }
            ChainEvent::Landed(record) => record,
        };
        let mut out = Vec::new();
        // Accounts the transaction wrote, read once each.
        let mut written: Option<Vec<(Pubkey, Account)>> = None;
        let mut done = Vec::new();
        let mut subs: Vec<u64> = self.subscriptions.keys().copied().collect();
        subs.sort_unstable();
        for sub in subs {
            let Some(subscription) = self.subscriptions.get(&sub) else {
                continue;
            };
            match subscription {
                Subscription::Signature {
                    signature,
                    received,
                } if *signature == record.signature => {
                    if *received {
                        let value = RpcSignatureResult::ReceivedSignature(
                            ReceivedSignatureResult::ReceivedSignature,
                        );
                        out.push(notification(
                            "signatureNotification",
                            sub,
                            in_context(record.slot, value),
                        ));
                    }
                    out.push(signature_processed(sub, record));
                    // A signature subscription ends with its notification, as on a validator.
                    done.push(sub);
                }
                Subscription::Logs { mentions }
                    if mentions.is_none_or(|m| record.account_keys().any(|k| *k == m)) =>
                {
                    let value = RpcLogsResponse {
                        signature: record.signature.to_string(),
                        err: record.err.clone().map(Into::into),
                        logs: record.logs.clone(),
                    };
                    out.push(notification(
                        "logsNotification",
                        sub,
                        in_context(record.slot, value),
                    ));
                }
                Subscription::Account {
                    address,
                    encoding,
                    slice,
                } => {
                    let (address, encoding, slice) = (*address, *encoding, *slice);
                    let accounts = self.written(record, &mut written).await;
                    if let Some((_, account)) = accounts.iter().find(|(key, _)| *key == address) {
                        let account = account.clone();
                        let ui =
                            encode::account(&self.chain, &address, &account, encoding, slice).await;
                        out.push(notification(
                            "accountNotification",
                            sub,
                            in_context(record.slot, ui),
                        ));
                    }
                }
                Subscription::Program {
                    program,
                    encoding,
                    slice,
                    filters,
                } => {
                    let (program, encoding, slice) = (*program, *encoding, *slice);
                    let matching: Vec<(Pubkey, Account)> = self
                        .written(record, &mut written)
                        .await
                        .iter()
                        .filter(|(_, a)| a.owner == program)
                        .filter(|(_, a)| filters.iter().all(|f| allows(f, &a.data)))
                        .cloned()
                        .collect();
                    for (address, account) in matching {
                        let ui =
                            encode::account(&self.chain, &address, &account, encoding, slice).await;
                        let value = RpcKeyedAccount {
                            pubkey: address.to_string(),
                            account: ui,
                        };
                        out.push(notification(
                            "programNotification",
                            sub,
                            in_context(record.slot, value),
                        ));
                    }
                }
                _ => {}
            }
        }
        for sub in done {
            self.subscriptions.remove(&sub);
        }
        out
    }

    /// The accounts `record` wrote, as they stand now (read on first use).
    async fn written<'a>(
        &self,
        record: &Record,
        cache: &'a mut Option<Vec<(Pubkey, Account)>>,
    ) -> &'a [(Pubkey, Account)] {
        if cache.is_none() {
            let mut accounts = Vec::new();
            for key in record.writable_keys() {
                let account = self.chain.banks().get_account(key).await.ok().flatten();
                accounts.push((key, account.unwrap_or_else(closed)));
            }
            *cache = Some(accounts);
        }
        cache.as_deref().unwrap_or_default()
    }
}

fn signature_processed(sub: u64, record: &Record) -> Value {
    let value = RpcSignatureResult::ProcessedSignature(ProcessedSignatureResult {
        err: record.err.clone().map(Into::into),
    });
    notification("signatureNotification", sub, in_context(record.slot, value))
}
