//! Independent attestors as separate processes, for the tests: an
//! operator's co-signer (`usd1-oracle cosign`) with its own key, custodian
//! file, port and journal; a proposer's config that holds no attestor key;
//! one `usd1-oracle --once` round.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::tour;
use usd1_oracle::cosigner::SignRequest;

/// One operator's co-signer process.
pub struct Operator {
    pub config: PathBuf,
    pub custody: PathBuf,
    pub token_env: String,
    pub token: String,
    pub url: String,
    child: Option<Child>,
}

pub fn write_custody(path: &Path, balance: &str) {
    std::fs::write(
        path,
        format!(
            r#"{{"balance": "{balance}", "as_of": {}}}"#,
            tour::unix_now()
        ),
    )
    .unwrap();
}

impl Operator {
    pub fn new(dir: &Path, n: usize, url: &str, mint: &str, attestor: &Path) -> Self {
        let port = tour::free_port().unwrap();
        let custody = dir.join(format!("custody-{n}.json"));
        write_custody(&custody, "1000");
        let token_env = format!("USD1_TEST_COSIGNER_{n}_TOKEN");
        let config = dir.join(format!("cosigner-{n}.toml"));
        std::fs::write(
            &config,
            format!(
                "rpc_urls = [\"{url}\"]\nmint = \"{mint}\"\nattestor_keypair = {:?}\n\
                 journal = \"journal-{n}.jsonl\"\nlisten_addr = \"127.0.0.1:{port}\"\n\
                 token_env = \"{token_env}\"\n\
                 [[sources]]\nkind = \"file\"\nname = \"custodian-{n}\"\npath = \"custody-{n}.json\"\namount = \"/balance\"\nmax_age_secs = 600\n",
                attestor.display().to_string()
            ),
        )
        .unwrap();
        let mut operator = Self {
            config,
            custody,
            token_env,
            token: format!("secret-of-operator-{n}"),
            url: format!("http://127.0.0.1:{port}"),
            child: None,
        };
        operator.start();
        operator
    }

    pub fn start(&mut self) {
        let mut child = Command::new(tour::binary("usd1-oracle").unwrap())
            .args(["cosign", "--config"])
            .arg(&self.config)
            .env(&self.token_env, &self.token)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = lines.next().expect("the co-signer starts").unwrap();
        assert!(line.starts_with("co-signer listening on "), "{line}");
        std::thread::spawn(move || lines.for_each(drop));
        self.child = Some(child);
    }

    /// `kill -9`: no chance to flush anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    pub fn metrics(&self) -> String {
        http("GET", &self.url, "/metrics", None, "").1
    }

    /// POST /sign with `token`: the status code and the answer's JSON.
    pub fn sign(&self, token: &str, request: &SignRequest) -> (u16, serde_json::Value) {
        let body = serde_json::to_string(request).unwrap();
        let (status, text) = http("POST", &self.url, "/sign", Some(token), &body);
        (status, serde_json::from_str(&text).unwrap_or_default())
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One HTTP/1.1 request to `base` (http://127.0.0.1:PORT): status and body.
pub fn http(
    method: &str,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let auth = token.map_or(String::new(), |t| format!("authorization: Bearer {t}\r\n"));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n{auth}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

/// The proposer's config: its own custodian file, no attestor key, the three co-signers.
pub fn proposer(dir: &Path, stage: &tour::Stage, operators: &[Operator]) -> PathBuf {
    proposer_via(dir, stage, operators, &stage.url)
}

/// [`proposer`], reaching the chain through `url` (a proxy).
pub fn proposer_via(dir: &Path, stage: &tour::Stage, operators: &[Operator], url: &str) -> PathBuf {
    let keys: Vec<String> = stage
        .cast
        .attestors
        .iter()
        .map(|a| stage.cast.pubkey(a))
        .collect();
    proposer_for(dir, stage, operators, &keys, url)
}

/// The proposer's config, each operator's co-signer vouching for the
/// attestor key beside it in `keys`.
pub fn proposer_for(
    dir: &Path,
    stage: &tour::Stage,
    operators: &[Operator],
    keys: &[String],
    url: &str,
) -> PathBuf {
    let config = dir.join("proposer.toml");
    let mut text = format!(
        "rpc_urls = [\"{}\"]\nmint = \"{}\"\npayer_keypair = {:?}\n\
         output_dir = \"proposer-reports\"\nmetrics_addr = \"127.0.0.1:{}\"\n\
         [round]\nretry_backoff_ms = 200\ncosign_timeout_ms = 3000\nheartbeat_secs = 1\n\
         [[sources]]\nkind = \"file\"\nname = \"issuer\"\npath = \"custody-proposer.json\"\namount = \"/balance\"\nmax_age_secs = 600\n",
        url,
        stage.mint,
        stage.cast.oracle_payer.display().to_string(),
        tour::free_port().unwrap()
    );
    for (operator, key) in operators.iter().zip(keys) {
        text.push_str(&format!(
            "[[cosigners]]\nurl = \"{}\"\nattestor = \"{key}\"\ntoken_env = \"{}\"\n",
            operator.url, operator.token_env
        ));
    }
    std::fs::write(&config, text).unwrap();
    config
}

/// `usd1-oracle --once` as the proposer: its exit code and its log.
pub fn propose(config: &Path, operators: &[Operator]) -> (i32, String) {
    let mut command = Command::new(tour::binary("usd1-oracle").unwrap());
    command.arg("--config").arg(config).arg("--once");
    for operator in operators {
        command.env(&operator.token_env, &operator.token);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn latest(stage: &tour::Stage) -> serde_json::Value {
    let status = stage
        .usd1(
            &stage.cast.admin,
            &["status", "--mint", &stage.mint, "--output", "json"],
        )
        .unwrap();
    serde_json::from_str(&status).unwrap()
}
