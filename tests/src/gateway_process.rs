//! `usd1-gateway serve` as a real process: killed with SIGKILL when dropped
//! (no shutdown, no flush), its log kept in a file a test can read.
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use solana_sdk::pubkey::Pubkey;

use crate::tour::binary;

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// What a gateway process serves: its database, node, mint and treasury,
/// and any further `serve` flags.
#[derive(Clone, Debug)]
pub struct Serve {
    pub database: String,
    pub rpc: String,
    pub mint: Pubkey,
    pub wallet: Pubkey,
    pub port: u16,
    pub extra: Vec<String>,
}

impl Serve {
    pub fn new(database: &str, rpc: &str, mint: &Pubkey, wallet: &Pubkey) -> Self {
        Serve {
            database: database.to_string(),
            rpc: rpc.to_string(),
            mint: *mint,
            wallet: *wallet,
            port: free_port(),
            extra: Vec::new(),
        }
    }

    /// These flags too.
    pub fn with(mut self, flags: &[&str]) -> Self {
        self.extra.extend(flags.iter().map(ToString::to_string));
        self
    }
}

pub struct GatewayProcess {
    child: Child,
    pub serve: Serve,
    log: PathBuf,
    _log_dir: tempfile::TempDir,
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl GatewayProcess {
    /// Starts it and waits until it answers on its port.
    pub async fn spawn(serve: &Serve) -> Self {
        let log_dir = tempfile::tempdir().expect("log dir");
        let log = log_dir.path().join("usd1-gateway.log");
        let child = Command::new(binary("usd1-gateway").expect("binary"))
            .args(["--database", &serve.database, "--case-key"])
            .arg(crate::gateway_harness::case_key_for(&serve.database))
            .args(["serve", "--url", &serve.rpc, "--allow-private-webhooks"])
            .args(["--mint", &serve.mint.to_string()])
            .args(["--treasury", &serve.wallet.to_string()])
            .args(["--listen", &format!("127.0.0.1:{}", serve.port)])
            .args(["--poll-ms", "100", "--retry-cap-secs", "1"])
            .args(&serve.extra)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn usd1-gateway");
        let mut gateway = GatewayProcess {
            child,
            serve: serve.clone(),
            log,
            _log_dir: log_dir,
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(status)) = gateway.child.try_wait() {
                panic!("usd1-gateway exited ({status}): {}", gateway.log());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", serve.port))
                .await
                .is_ok()
            {
                return gateway;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("usd1-gateway did not start: {}", gateway.log());
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.serve.port)
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }

    /// What it has written to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Log lines containing `text`.
    pub fn log_lines(&self, text: &str) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.contains(text))
            .map(str::to_string)
            .collect()
    }

    /// `GET path` without a key: status and JSON body (text as a string).
    pub async fn probe(&self, path: &str) -> (u16, Value) {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", self.url()))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("probe");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }
}

/// Polls `probe` every 50 ms until `done` holds, within `patience`: how long it took.
pub async fn until_probe(
    gateway: &GatewayProcess,
    path: &str,
    patience: Duration,
    done: impl Fn(u16, &Value) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        let (status, body) = gateway.probe(path).await;
        if done(status, &body) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < patience,
            "{path} after {patience:?}: {status} {body}\nlog:\n{}",
            gateway.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A new API key of the person `operator` on `database`, with `scopes`,
/// made as an operator makes one (`usd1-gateway api-key create`).
pub fn create_key(database: &str, operator: &str, scopes: &[&str]) -> String {
    let mut command = Command::new(binary("usd1-gateway").expect("binary"));
    command.args(["--database", database, "api-key", "create"]);
    command.args(["--name", operator, "--operator", operator]);
    for scope in scopes {
        command.args(["--scope", scope]);
    }
    let out = command.output().expect("usd1-gateway api-key create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `usd1-gateway ARGS` on `database` as the holder of `operator_key`:
/// whether it succeeded, its stdout and its stderr.
pub fn command_as(database: &str, operator_key: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(binary("usd1-gateway").expect("binary"))
        .args(["--database", database, "--case-key"])
        .arg(crate::gateway_harness::case_key_for(database))
        .args(args)
        .env("USD1_GATEWAY_OPERATOR_KEY", operator_key)
        .output()
        .expect("usd1-gateway");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
