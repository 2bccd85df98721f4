//! The gateway over a localnet mint, in-process, and a real HTTP receiver
//! of its webhooks that verifies each signature and can be told to fail.
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use usd1_gateway::store::keys::Scope;
use usd1_gateway::store::outbox::Backoff;
use usd1_gateway::{Running, Settings};

/// A gateway for `wallet`'s treasury of `mint` on the localnet at `rpc_url`,
/// quick to poll and to retry (1 s, never longer).
pub fn settings(database: &str, rpc_url: &str, wallet: Pubkey, mint: Pubkey) -> Settings {
    Settings {
        database: database.to_string(),
        rpc_url: rpc_url.to_string(),
        ws_url: None,
        commitment: CommitmentConfig::finalized(),
        wallet,
        mint,
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        poll: Duration::from_millis(100),
        backoff: Backoff {
            first_secs: 1,
            cap_secs: 1,
            give_up_secs: 3600,
        },
        rate: usd1_gateway::api::RateLimit {
            per_second: 1000.0,
            burst: 1000.0,
            ..Default::default()
        },
        lists: Vec::new(),
        case_key: Some(case_key_for(database)),
        // The tests' receivers listen on 127.0.0.1.
        allow_private_webhooks: true,
        max_webhooks_per_key: usd1_gateway::store::webhooks::DEFAULT_MAX_PER_KEY,
        timeouts: usd1_gateway::server::Timeouts {
            headers: Duration::from_secs(2),
            request: Duration::from_secs(3),
        },
        invoices: usd1_gateway::api::InvoiceLimits::default(),
        vanish_after: Duration::from_secs(90),
        max_list_loss_bps: usd1_gateway::rescreen::DEFAULT_MAX_LOSS_BPS,
        database_timeout: usd1_gateway::store::DEFAULT_ACQUIRE_TIMEOUT,
    }
}

/// The case key of a database's gateways: one file per database (every
/// instance on one database shares it).
pub fn case_key_for(database: &str) -> std::path::PathBuf {
    // Beside a SQLite file (removed with its directory); PostgreSQL's in
    // the temporary directory, by the URL's digest.
    if let Some(path) = database.strip_prefix("sqlite:") {
        return std::path::PathBuf::from(format!("{}.case-key", path.trim_start_matches("//")));
    }
    let digest = usd1_client::hex(&usd1_client::sha256(database.as_bytes())[..8]);
    std::env::temp_dir().join(format!("usd1-gateway-{digest}.case-key"))
}

/// A new operator's name: each API key the harness makes is another person.
pub fn new_operator() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    format!(
        "operator-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The API of a running gateway, as one key.
pub struct Api {
    pub base: String,
    pub key: String,
    client: reqwest::Client,
}

impl Api {
    /// A key with every scope on `running`'s database.
    pub async fn with_all_scopes(running: &Running) -> Self {
        Self::with_scopes(running, &Scope::ALL).await
    }

    /// A key of the person `operator`, with every scope.
    pub async fn as_operator(running: &Running, operator: &str) -> Self {
        let (_, key) = running
            .store
            .create_key("test", operator, &Scope::ALL)
            .await
            .expect("key");
        Api {
            base: format!("http://{}", running.addr),
            key,
            client: reqwest::Client::new(),
        }
    }

    pub async fn with_scopes(running: &Running, scopes: &[Scope]) -> Self {
        let (_, key) = running
            .store
            .create_key("test", &new_operator(), scopes)
            .await
            .expect("key");
        Api {
            base: format!("http://{}", running.addr),
            key,
            client: reqwest::Client::new(),
        }
    }

    /// The API at `base` (a gateway process) as `key`.
    pub fn at(base: &str, key: &str) -> Api {
        Api {
            base: base.to_string(),
            key: key.to_string(),
            client: reqwest::Client::new(),
        }
    }

    /// The same API as another key (any text: an unknown one too).
    pub fn with_key(&self, key: &str) -> Api {
        Api {
            base: self.base.clone(),
            key: key.to_string(),
            client: self.client.clone(),
        }
    }

    /// `METHOD path` with an optional raw body: (status, JSON or text).
    pub async fn call(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, url).bearer_auth(&self.key);
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, Some(&body.to_string())).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None).await
    }
}

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    /// When it arrived.
    pub at: std::time::Instant,
    pub event_id: String,
    /// The `Usd1-Signature` header as sent.
    pub signature: String,
    /// The body's bytes as sent (what the signature covers).
    pub raw: Vec<u8>,
    pub body: Value,
    pub verified: bool,
    /// The Standard Webhooks headers as sent: `webhook-id`,
    /// `webhook-timestamp`, `webhook-signature`.
    pub standard: [String; 3],
}

/// A webhook receiver on 127.0.0.1 that answers 500 to its first
/// `fail_first` requests and 200 after, verifying each signature. While
/// `down`, it refuses connections (and answers 503 on any left open).
pub struct Receiver {
    pub url: String,
    pub addr: SocketAddr,
    pub down: Arc<std::sync::atomic::AtomicBool>,
    /// How long it takes to answer.
    pub delay: Duration,
    fail_first: usize,
    pub secret: Arc<Mutex<String>>,
    pub accepted: Arc<Mutex<Vec<Received>>>,
    pub requests: Arc<AtomicUsize>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().expect("task").take() {
            task.abort();
        }
    }
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Self {
        Self::start_with(fail_first, Duration::ZERO).await
    }

    pub async fn start_with(fail_first: usize, delay: Duration) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let receiver = Receiver {
            url: format!("http://{addr}/hook"),
            addr,
            down: Arc::default(),
            delay,
            fail_first,
            secret: Arc::new(Mutex::new(String::new())),
            accepted: Arc::default(),
            requests: Arc::new(AtomicUsize::new(0)),
            task: Mutex::new(None),
        };
        receiver.serve(listener);
        receiver
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let (s, a, r, down) = (
            self.secret.clone(),
            self.accepted.clone(),
            self.requests.clone(),
            self.down.clone(),
        );
        let (fail_first, delay) = (self.fail_first, self.delay);
        let handler = move |headers: HeaderMap, body: axum::body::Bytes| {
            let (s, a, r, down) = (s.clone(), a.clone(), r.clone(), down.clone());
            async move {
                tokio::time::sleep(delay).await;
                if down.load(Ordering::SeqCst) {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                if r.fetch_add(1, Ordering::SeqCst) < fail_first {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                let signature = header(usd1_gateway::signature::SIGNATURE_HEADER);
                let secret = s.lock().expect("secret").clone();
                let now = usd1_gateway::store::now();
                let verified =
                    usd1_gateway::signature::verify(&signature, &secret, &body, now, 300).is_ok();
                a.lock().expect("accepted").push(Received {
                    at: std::time::Instant::now(),
                    event_id: header(usd1_gateway::signature::EVENT_ID_HEADER),
                    signature: signature.clone(),
                    raw: body.to_vec(),
                    body: serde_json::from_slice(&body).unwrap_or_default(),
                    verified,
                    standard: [
                        header("webhook-id"),
                        header("webhook-timestamp"),
                        header("webhook-signature"),
                    ],
                });
                StatusCode::OK
            }
        };
        let app = axum::Router::new().route("/hook", axum::routing::post(handler));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        *self.task.lock().expect("task") = Some(task);
    }

    /// Stops listening: new connections are refused until [`Self::up`].
    pub fn go_down(&self) {
        self.down.store(true, Ordering::SeqCst);
        if let Some(task) = self.task.lock().expect("task").take() {
            task.abort();
        }
    }

    /// Listens again, on the same port.
    pub async fn up(&self) {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("the receiver's port again");
        self.down.store(false, Ordering::SeqCst);
        self.serve(listener);
    }

    /// The accepted events, each event id once (as a de-duplicating receiver keeps them).
    pub fn unique(&self) -> Vec<Received> {
        let mut seen = std::collections::HashSet::new();
        self.accepted()
            .into_iter()
            .filter(|r| seen.insert(r.event_id.clone()))
            .collect()
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.accepted.lock().expect("accepted").clone()
    }

    /// Waits (up to a minute) until an event of `kind` was accepted.
    pub async fn wait_for_kind(&self, kind: &str) -> Received {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if let Some(found) = self.accepted().into_iter().find(|r| r.body["type"] == kind) {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let kinds: Vec<Value> = self
            .accepted()
            .iter()
            .map(|r| r.body["type"].clone())
            .collect();
        panic!("no {kind} among the events the receiver got: {kinds:?}");
    }

    /// Waits (up to a minute) until `count` events were accepted.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        self.wait(count, Duration::from_secs(60), Self::accepted)
            .await
    }

    /// Waits up to `patience` until `count` distinct events were accepted.
    pub async fn wait_for_unique(&self, count: usize, patience: Duration) -> Vec<Received> {
        self.wait(count, patience, Self::unique).await
    }

    async fn wait(
        &self,
        count: usize,
        patience: Duration,
        got: fn(&Self) -> Vec<Received>,
    ) -> Vec<Received> {
        let deadline = std::time::Instant::now() + patience;
        while std::time::Instant::now() < deadline {
            let got = got(self);
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the receiver got {} events, not {count}: {:?}",
            got(self).len(),
            got(self)
        );
    }
}

/// A gateway on `database` for `wallet`'s treasury of the platform's mint
/// on `localnet`, with the tests' [`settings`].
pub async fn start_for(
    database: &str,
    localnet: &usd1_localnet::Localnet,
    f: &crate::Platform,
    wallet: Pubkey,
) -> Running {
    start(&settings(database, &localnet.url, wallet, f.usd1.mint())).await
}

/// Starts a gateway, panicking with the reason if it cannot.
pub async fn start(settings: &Settings) -> Running {
    usd1_gateway::start(settings).await.expect("gateway")
}

/// Waits until the gateway's first pass has read the chain (its program
/// cursor is set): what happens after this is announced.
pub async fn watching(running: &Running) {
    let key = format!(
        "program:{}",
        usd1_client::pda::config(&running.treasury.mint)
    );
    for _ in 0..300 {
        if running.store.cursor(&key).await.expect("cursor").is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the gateway never read the chain");
}

/// A fresh SQLite database in a folder of its own (removed with the folder).
pub fn sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite:{}", dir.path().join("gateway.db").display());
    (dir, url)
}

/// The localnet mint with 400 held by the holder, who pays its own fees as
/// a wallet does, and a treasury wallet of its own.
pub async fn funded_platform(localnet: &usd1_localnet::Localnet) -> (crate::Platform, Pubkey) {
    use solana_sdk::signature::Signer;
    let f = crate::Fixture::on_localnet(localnet, 10_000 * crate::ONE, 400 * crate::ONE).await;
    localnet
        .chain
        .airdrop(&f.holder.pubkey(), 10_000_000_000)
        .await
        .expect("airdrop");
    (f, solana_sdk::signature::Keypair::new().pubkey())
}

impl Api {
    /// Subscribes `receiver` to `events`, handing it the signing secret;
    /// the subscription as the API answered.
    pub async fn subscribe(&self, receiver: &Receiver, events: &[&str]) -> Value {
        let body = serde_json::json!({"url": receiver.url, "events": events});
        let (status, hook) = self.post("/v1/webhooks", body).await;
        assert_eq!(status, 201, "{hook}");
        *receiver.secret.lock().expect("secret") =
            hook["secret"].as_str().expect("secret").to_string();
        hook
    }

    /// A new invoice for `amount` (answered 201).
    pub async fn invoice(&self, amount: &str) -> Value {
        let (status, invoice) = self
            .post("/v1/invoices", serde_json::json!({"amount": amount}))
            .await;
        assert_eq!(status, 201, "{invoice}");
        invoice
    }

    /// Polls `GET path` every 100 ms until `done` holds of the answer (60 s at most).
    pub async fn until(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let started = std::time::Instant::now();
        loop {
            let (_, last) = self.get(path).await;
            if done(&last) {
                return last;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{path} never got there: {last}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
