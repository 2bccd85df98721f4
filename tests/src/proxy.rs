//! A JSON-RPC proxy in front of a node, misbehaving on purpose as an RPC
//! provider's load balancer does: per method, the next N requests meet a
//! fault ([`Fault`]). Every other request is forwarded unchanged. It speaks
//! just enough HTTP/1.1 for JSON-RPC clients: one request per connection,
//! answered with `Connection: close`.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forwards it, waits for the node's answer, then answers `502 Bad
    /// Gateway`: a balancer whose upstream timed out after it forwarded.
    BadGatewayAfterForwarding,
    /// Forwards it, then answers nothing for this long (past the client's
    /// timeout) and closes the connection.
    SilentAfterForwarding(Duration),
    /// Answers `429 Too Many Requests` with `Retry-After` (seconds), without
    /// forwarding.
    TooManyRequests { retry_after_secs: u64 },
    /// Closes the connection without forwarding or answering.
    DropBeforeForwarding,
    /// Answers as a node that lags behind the one that gave out the
    /// blockhash: `sendTransaction` with a preflight is refused with
    /// `BlockhashNotFound` (not forwarded; without a preflight it is),
    /// `isBlockhashValid` says false; other methods are forwarded.
    Lagging,
    /// Answers with a JSON-RPC error, without forwarding: a public node
    /// that does not serve the method (as most refuse `getProgramAccounts`).
    Refused,
}

impl Fault {
    /// Every fault, for tests that try each.
    pub fn all() -> [Fault; 5] {
        [
            Fault::BadGatewayAfterForwarding,
            Fault::SilentAfterForwarding(Duration::from_secs(4)),
            Fault::TooManyRequests {
                retry_after_secs: 1,
            },
            Fault::DropBeforeForwarding,
            Fault::Lagging,
        ]
    }

    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::BadGatewayAfterForwarding => "502 after forwarding",
            Fault::SilentAfterForwarding(_) => "timeout after forwarding",
            Fault::TooManyRequests { .. } => "429 with Retry-After",
            Fault::DropBeforeForwarding => "connection dropped before forwarding",
            Fault::Lagging => "a node that lags",
            Fault::Refused => "method refused",
        }
    }
}

#[derive(Default)]
struct Plan {
    /// Statuses said `confirmed` where the node says `finalized`: a cluster
    /// that has not finalized them yet.
    unfinalized: bool,
    /// Signatures the node is made to forget (a fork dropped them): no
    /// status, no transaction, not in any signature list.
    forgotten: std::collections::HashSet<String>,
    /// Method → the fault and how many more requests meet it.
    faults: HashMap<String, (Fault, u32)>,
    /// Method → requests received.
    seen: HashMap<String, u32>,
    /// Method → requests that met a fault.
    faulted: HashMap<String, u32>,
}

/// The proxy, listening on 127.0.0.1 until dropped.
pub struct Proxy {
    pub url: String,
    plan: Arc<Mutex<Plan>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// A proxy in front of the node at `upstream` (an http URL).
    pub async fn start(upstream: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let plan: Arc<Mutex<Plan>> = Arc::default();
        let client = reqwest::Client::new();
        let upstream = upstream.to_string();
        let serving = plan.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (plan, client, upstream) = (serving.clone(), client.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, &plan, &client, &upstream).await;
                });
            }
        });
        Ok(Self { url, plan, task })
    }

    /// The next `times` requests of `method` meet `fault` (replacing any
    /// fault planned for it).
    pub fn fail(&self, method: &str, fault: Fault, times: u32) {
        let mut plan = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        plan.faults.insert(method.to_string(), (fault, times));
    }

    /// From now on nothing reads as finalized (`confirmed` instead).
    pub fn hold_finality(&self) {
        self.plan
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .unfinalized = true;
    }

    /// From now on the node knows nothing of `signature`, as if the fork
    /// that held it did not last.
    pub fn forget(&self, signature: &str) {
        self.plan
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .forgotten
            .insert(signature.to_string());
    }

    /// No more faults.
    pub fn heal(&self) {
        self.plan
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .faults
            .clear();
    }

    /// Requests of `method` received so far.
    pub fn seen(&self, method: &str) -> u32 {
        let plan = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        plan.seen.get(method).copied().unwrap_or(0)
    }

    /// Requests of `method` that met a fault so far.
    pub fn faulted(&self, method: &str) -> u32 {
        let plan = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        plan.faulted.get(method).copied().unwrap_or(0)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One connection: read the request, meet its fault or forward it, answer.
async fn serve(
    mut stream: TcpStream,
    plan: &Mutex<Plan>,
    client: &reqwest::Client,
    upstream: &str,
) -> std::io::Result<()> {
    let Some(body) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let method = request["method"].as_str().unwrap_or_default().to_string();
    let fault = {
        let mut plan = plan.lock().unwrap_or_else(|p| p.into_inner());
        *plan.seen.entry(method.clone()).or_default() += 1;
        let fault = match plan.faults.get_mut(&method) {
            Some((fault, left)) if *left > 0 => {
                *left -= 1;
                Some(*fault)
            }
            _ => None,
        };
        if fault.is_some() {
            *plan.faulted.entry(method.clone()).or_default() += 1;
        }
        fault
    };
    let forward = || async {
        let answer = client
            .post(upstream)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .map_err(std::io::Error::other)?;
        let status = answer.status().as_u16();
        let bytes = answer.bytes().await.map_err(std::io::Error::other)?;
        Ok::<_, std::io::Error>((status, bytes.to_vec()))
    };
    match fault {
        None => {
            let (status, bytes) = forward().await?;
            let bytes = rewrite(plan, &method, &request, bytes);
            respond(&mut stream, status, &[], &bytes).await
        }
        Some(Fault::BadGatewayAfterForwarding) => {
            forward().await?;
            respond(&mut stream, 502, &[], b"<html>502 Bad Gateway</html>").await
        }
        Some(Fault::SilentAfterForwarding(silence)) => {
            forward().await?;
            tokio::time::sleep(silence).await;
            Ok(())
        }
        Some(Fault::TooManyRequests { retry_after_secs }) => {
            let retry = retry_after_secs.to_string();
            respond(
                &mut stream,
                429,
                &[("retry-after", retry.as_str())],
                b"Too Many Requests",
            )
            .await
        }
        Some(Fault::DropBeforeForwarding) => Ok(()),
        Some(Fault::Refused) => {
            let answer = json!({
                "jsonrpc": "2.0",
                "id": request["id"].clone(),
                "error": {"code": -32601, "message": format!("Method not found: {method} is not served here")},
            });
            respond(&mut stream, 200, &[], answer.to_string().as_bytes()).await
        }
        Some(Fault::Lagging) => match lagging_answer(&method, &request) {
            Some(answer) => respond(&mut stream, 200, &[], answer.to_string().as_bytes()).await,
            None => {
                let (status, bytes) = forward().await?;
                respond(&mut stream, status, &[], &bytes).await
            }
        },
    }
}

/// An answer as the plan has the node say it: statuses held below
/// `finalized`, forgotten signatures gone.
fn rewrite(plan: &Mutex<Plan>, method: &str, request: &Value, bytes: Vec<u8>) -> Vec<u8> {
    let (unfinalized, forgotten) = {
        let plan = plan.lock().unwrap_or_else(|p| p.into_inner());
        (plan.unfinalized, plan.forgotten.clone())
    };
    if !unfinalized && forgotten.is_empty() {
        return bytes;
    }
    let Ok(mut answer) = serde_json::from_slice::<Value>(&bytes) else {
        return bytes;
    };
    // Not finalized: a confirmation count (a node gives none once finalized).
    let demote = |entry: &mut Value| {
        if unfinalized && entry["confirmationStatus"] == json!("finalized") {
            entry["confirmationStatus"] = json!("confirmed");
            if entry.get("confirmations").is_some() {
                entry["confirmations"] = json!(10);
            }
        }
    };
    match method {
        "getSignatureStatuses" => {
            let asked: Vec<String> = request["params"][0]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(values) = answer["result"]["value"].as_array_mut() {
                for (entry, signature) in values.iter_mut().zip(&asked) {
                    if forgotten.contains(signature) {
                        *entry = Value::Null;
                    } else if entry.is_object() {
                        demote(entry);
                    }
                }
            }
        }
        "getSignaturesForAddress" => {
            if let Some(list) = answer["result"].as_array_mut() {
                list.retain(|e| {
                    !e["signature"]
                        .as_str()
                        .is_some_and(|s| forgotten.contains(s))
                });
                list.iter_mut().for_each(demote);
            }
        }
        "getTransaction" => {
            if request["params"][0]
                .as_str()
                .is_some_and(|s| forgotten.contains(s))
            {
                answer["result"] = Value::Null;
            }
        }
        _ => return bytes,
    }
    answer.to_string().into_bytes()
}

/// What a node that has not seen the latest blockhash answers itself.
fn lagging_answer(method: &str, request: &Value) -> Option<Value> {
    let id = request["id"].clone();
    match method {
        "sendTransaction" if request["params"][1]["skipPreflight"] != json!(true) => Some(json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": {
                "code": -32002,
                "message": "Transaction simulation failed: Blockhash not found",
                "data": {
                    "accounts": null, "err": "BlockhashNotFound", "innerInstructions": null,
                    "loadedAccountsDataSize": 0, "logs": [], "replacementBlockhash": null,
                    "returnData": null, "unitsConsumed": 0
                }
            }
        })),
        "isBlockhashValid" => Some(json!({
            "jsonrpc": "2.0",
            "id": id,
            "result": {"context": {"slot": 0}, "value": false}
        })),
        _ => None,
    }
}

/// The body of one HTTP request (`None` when the client closed first).
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at + 4;
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    Ok(Some(buffer[head_end..head_end + length].to_vec()))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.shutdown().await
}
