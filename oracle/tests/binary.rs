//! The `usd1-oracle` binary as an operator runs it: `--check-config` on the
//! shipped example and on broken configs (one-line errors, exit 2), `--once`
//! with the RPC node down (exit 5), and a running daemon that reports
//! unhealthy while the node is down and exits 0 on SIGTERM and on SIGINT.
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use solana_sdk::signature::{Keypair, Signer};

const BIN: &str = env!("CARGO_BIN_EXE_usd1-oracle");
const EXAMPLE: &str = include_str!("../usd1-oracle.example.toml");

/// A folder holding the example config and the keys and export it names.
fn setup() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("keys")).unwrap();
    for name in ["oracle-payer", "attestor-1", "attestor-2"] {
        write_keypair(
            &dir.path().join(format!("keys/{name}.json")),
            &Keypair::new(),
        );
    }
    std::fs::write(dir.path().join("usd1-oracle.toml"), EXAMPLE).unwrap();
    let mint = Keypair::new().pubkey().to_string();
    (dir, mint)
}

fn write_keypair(path: &Path, keypair: &Keypair) {
    std::fs::write(
        path,
        serde_json::to_string(&keypair.to_bytes().to_vec()).unwrap(),
    )
    .unwrap();
}

fn oracle(dir: &Path, mint: &str, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("--config")
        .arg(dir.join("usd1-oracle.toml"))
        .args(args)
        .env("USD1_ORACLE_MINT", mint)
        .env_remove("USD1_ORACLE_RPC_URLS")
        .env_remove("USD1_ORACLE_METRICS_ADDR");
    command
}

fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A change to the example config.
type Edit = Box<dyn Fn(&str) -> String>;

#[test]
fn check_config_accepts_the_example_and_names_each_mistake() {
    let (dir, mint) = setup();
    let (code, stdout, stderr) = run(&mut oracle(dir.path(), &mint, &["--check-config"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("mint:            {mint}")),
        "{stdout}"
    );
    assert!(stdout.contains(
        "source custodian-b: http https://custodian-b.example/api/v1/reserves (max age 3600s)"
    ));
    assert!(stdout.ends_with("config OK\n"));

    let config = dir.path().join("usd1-oracle.toml");
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "bad mint",
            Box::new(|t: &str| t.to_string()),
            "mint not-a-key is not a base58 address",
        ),
        (
            "missing payer key",
            Box::new(|t: &str| t.replace("keys/oracle-payer.json", "keys/nobody.json")),
            "keys/nobody.json does not exist",
        ),
        (
            "wrong-shape key",
            Box::new(|t: &str| t.replace("keys/attestor-2.json", "usd1-oracle.toml")),
            "usd1-oracle.toml is not a solana-keygen keypair file",
        ),
        (
            "same attestor twice",
            Box::new(|t: &str| t.replace("keys/attestor-2.json", "keys/attestor-1.json")),
            "is listed twice",
        ),
        (
            "unknown key",
            Box::new(|t: &str| t.replace("interval_secs", "intervall_secs")),
            "unknown field `intervall_secs`",
        ),
        (
            "two sources, one name",
            Box::new(|t: &str| t.replace("name = \"custodian-b\"", "name = \"custodian-a\"")),
            "two sources are named custodian-a",
        ),
        (
            "bad source url",
            Box::new(|t: &str| t.replace("https://custodian-b", "ftp://custodian-b")),
            "url must be http or https",
        ),
        (
            "too large a drop",
            Box::new(|t: &str| t.replace("max_drop_bps = 100", "max_drop_bps = 20000")),
            "max_drop_bps is at most 10000",
        ),
        (
            "a T-bill with no maturity",
            Box::new(|t: &str| t.replace(", maturity = \"2027-02-25\"", "")),
            "source custodian-b: a treasury_bill holding needs its maturity (YYYY-MM-DD)",
        ),
        (
            "a maturity that is no date",
            Box::new(|t: &str| t.replace("maturity = \"2027-02-25\"", "maturity = \"2027-02-30\"")),
            "source custodian-b: maturity 2027-02-30 is not a YYYY-MM-DD date",
        ),
        (
            "an unknown asset class",
            Box::new(|t: &str| t.replace("asset_class = \"cash\"", "asset_class = \"crypto\"")),
            "unknown variant `crypto`",
        ),
        (
            "a custodian share above 100%",
            Box::new(|t: &str| {
                t.replace(
                    "max_custodian_share_bps = 6000",
                    "max_custodian_share_bps = 12000",
                )
            }),
            "[eligibility]: max_custodian_share_bps must be 1..=10000",
        ),
        (
            "no sources",
            Box::new(|t: &str| t[..t.find("[[sources]]").unwrap()].to_string()),
            "missing field `sources`",
        ),
    ];
    for (case, edit, expected) in cases {
        std::fs::write(&config, edit(EXAMPLE)).unwrap();
        let mint = if case == "bad mint" {
            "not-a-key"
        } else {
            mint.as_str()
        };
        let (code, stdout, stderr) = run(&mut oracle(dir.path(), mint, &["--check-config"]));
        assert_eq!(code, 2, "{case}: {stdout}{stderr}");
        assert!(stderr.contains(expected), "{case}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{case}: one line, got {stderr}");
    }
    let (code, _, stderr) =
        run(Command::new(BIN).args(["--config", "/no/such/file.toml", "--check-config"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read config file /no/such/file.toml"),
        "{stderr}"
    );
}

#[test]
fn once_exits_5_when_the_rpc_node_is_down() {
    let (dir, mint) = setup();
    let down = format!("http://127.0.0.1:{}", free_port());
    let (code, _, stderr) =
        run(oracle(dir.path(), &mint, &["--once"]).env("USD1_ORACLE_RPC_URLS", down));
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("outcome=\"rpc_error\"") || stderr.contains("outcome=rpc_error"),
        "{stderr}"
    );
}

fn health(port: u16) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    Some((status, answer))
}

fn start_daemon(dir: &Path, mint: &str, port: u16) -> Child {
    oracle(dir, mint, &[])
        .env(
            "USD1_ORACLE_RPC_URLS",
            format!("http://127.0.0.1:{}", free_port()),
        )
        .env("USD1_ORACLE_METRICS_ADDR", format!("127.0.0.1:{port}"))
        .env("USD1_ORACLE_INTERVAL_SECS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for_exit(child: &mut Child) -> (i32, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            return (status.code().unwrap_or(-1), stderr);
        }
        assert!(Instant::now() < deadline, "the daemon did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn reports_unhealthy_while_the_rpc_is_down_and_stops_cleanly_on_a_signal() {
    for signal in ["TERM", "INT"] {
        let (dir, mint) = setup();
        let port = free_port();
        let mut child = start_daemon(dir.path(), &mint, port);
        let deadline = Instant::now() + Duration::from_secs(20);
        let answer = loop {
            if let Some((status, body)) = health(port) {
                if body.contains("could not be read") {
                    break (status, body);
                }
            }
            assert!(Instant::now() < deadline, "no /health answer");
            std::thread::sleep(Duration::from_millis(100));
        };
        assert_eq!(answer.0, 503, "{}", answer.1);

        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let (code, stderr) = wait_for_exit(&mut child);
        assert_eq!(code, 0, "SIG{signal}: {stderr}");
        assert!(stderr.contains(&format!("SIG{signal}")), "{stderr}");
        assert!(stderr.contains("stopped"), "{stderr}");
    }
}

const COSIGNER_EXAMPLE: &str = include_str!("../usd1-cosigner.example.toml");

/// `usd1-oracle cosign --check-config` on the shipped co-signer example, and
/// the mistakes an operator could make in it (issue 13), each named in one
/// line with exit 2 — a co-signer never starts without its bearer token.
#[test]
fn cosign_check_config_accepts_the_example_and_names_each_mistake() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("keys")).unwrap();
    let attestor = Keypair::new();
    write_keypair(&dir.path().join("keys/attestor-2.json"), &attestor);
    let mint = Keypair::new().pubkey().to_string();
    let config = dir.path().join("usd1-cosigner.toml");
    let example = COSIGNER_EXAMPLE.replace("USD1MintAddressGoesHere111111111111111111111", &mint);
    let check = |text: &str, token: Option<&str>| {
        std::fs::write(&config, text).unwrap();
        let mut command = Command::new(BIN);
        command
            .args(["cosign", "--check-config", "--config"])
            .arg(&config)
            .env_remove("USD1_COSIGNER_TOKEN");
        if let Some(token) = token {
            command.env("USD1_COSIGNER_TOKEN", token);
        }
        run(&mut command)
    };
    let (code, stdout, stderr) = check(&example, Some("s3cret"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("attestor:  {}", attestor.pubkey())),
        "{stdout}"
    );
    assert!(
        stdout.contains("listen:    http://127.0.0.1:9470/sign"),
        "{stdout}"
    );

    let (code, _, stderr) = check(&example, None);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("the bearer token variable USD1_COSIGNER_TOKEN is not set"),
        "{stderr}"
    );
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "bad mint",
            example.replace(&mint, "not-a-key"),
            "mint not-a-key is not a base58 address",
        ),
        (
            "missing key",
            example.replace("keys/attestor-2.json", "keys/nobody.json"),
            "keys/nobody.json does not exist",
        ),
        (
            "no journal",
            example.replace("journal = \"cosigner-journal.jsonl\"\n", ""),
            "missing field `journal`",
        ),
        (
            "tolerance over 100%",
            example.replace("tolerance_bps = 0", "tolerance_bps = 20000"),
            "tolerance_bps is at most 10000",
        ),
        (
            "no sources",
            example[..example.find("[[sources]]").unwrap()].to_string(),
            "missing field `sources`",
        ),
    ];
    for (case, text, expected) in cases {
        let (code, stdout, stderr) = check(&text, Some("s3cret"));
        assert_eq!(code, 2, "{case}: {stdout}{stderr}");
        assert!(stderr.contains(expected), "{case}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{case}: one line, got {stderr}");
    }
}
