//! The `usd1-localnet` binary: it prints its URL and faucet, answers JSON-RPC
//! (and "method not found" for what it does not serve), and exits 0 on
//! SIGTERM and SIGINT.
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn post(port: u16, body: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

/// A port of 127.0.0.1 nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn serves_json_rpc_and_stops_cleanly_on_a_signal() {
    for signal in ["TERM", "INT"] {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let faucet = dir.path().join("faucet.json");
        let mut child = Command::new(env!("CARGO_BIN_EXE_usd1-localnet"))
            .args(["--port", &port.to_string(), "--ledger"])
            .arg(dir.path().join("ledger"))
            .arg("--faucet")
            .arg(&faucet)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(
            lines.next().unwrap().unwrap(),
            format!("Ledger location: {}", dir.path().join("ledger").display())
        );
        assert_eq!(
            lines.next().unwrap().unwrap(),
            format!("JSON RPC URL: http://127.0.0.1:{port}")
        );
        assert_eq!(
            lines.next().unwrap().unwrap(),
            format!("WebSocket PubSub URL: ws://127.0.0.1:{}", port + 1)
        );
        assert_eq!(
            lines.next().unwrap().unwrap(),
            format!("Faucet keypair: {}", faucet.display())
        );
        let key: Vec<u8> = serde_json::from_slice(&std::fs::read(&faucet).unwrap()).unwrap();
        assert_eq!(key.len(), 64);
        // A keypair file: readable by its owner only (issue 22, item 16).
        use std::os::unix::fs::PermissionsExt;
        for secret in [faucet.clone(), dir.path().join("ledger/faucet.json")] {
            let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", secret.display());
        }

        let health = post(port, r#"{"jsonrpc":"2.0","id":1,"method":"getHealth"}"#);
        assert_eq!(health, r#"{"id":1,"jsonrpc":"2.0","result":"ok"}"#);
        let unknown = post(
            port,
            r#"{"jsonrpc":"2.0","id":7,"method":"getNoSuchThing","params":[]}"#,
        );
        let unknown: serde_json::Value = serde_json::from_str(&unknown).unwrap();
        assert_eq!(unknown["error"]["code"], -32601);
        assert_eq!(unknown["error"]["message"], "Method not found");
        assert_eq!(unknown["id"], 7);

        let killed = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert!(status.success(), "SIG{signal}: {status}");
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert!(
            stderr.contains(&format!("SIG{signal}: stopping")),
            "{stderr}"
        );
    }
}

#[test]
fn a_kill_9_keeps_every_transaction_it_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let start = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_usd1-localnet"))
            .args(["--port", &port.to_string(), "--ledger"])
            .arg(dir.path().join("ledger"))
            .arg("--faucet")
            .arg(dir.path().join("faucet.json"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert!(lines
            .next()
            .unwrap()
            .unwrap()
            .starts_with("Ledger location: "));
        assert!(lines.next().unwrap().unwrap().starts_with("JSON RPC URL: "));
        std::thread::spawn(move || lines.for_each(drop));
        child
    };
    let address = solana_sdk::pubkey::Pubkey::new_unique().to_string();
    let balance = || {
        let answer = post(
            port,
            &format!(r#"{{"jsonrpc":"2.0","id":1,"method":"getBalance","params":["{address}"]}}"#),
        );
        serde_json::from_str::<serde_json::Value>(&answer).unwrap()["result"]["value"]
            .as_u64()
            .unwrap()
    };

    let mut child = start();
    let before = balance();
    let airdrop = post(
        port,
        &format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"requestAirdrop","params":["{address}", 5000000000]}}"#
        ),
    );
    let signature = serde_json::from_str::<serde_json::Value>(&airdrop).unwrap()["result"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(balance(), before + 5_000_000_000);
    // No goodbye: the process is killed outright.
    assert!(Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let _ = child.wait();

    let mut child = start();
    assert_eq!(
        balance(),
        before + 5_000_000_000,
        "the confirmed airdrop survived kill -9"
    );
    let statuses = post(
        port,
        &format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"getSignatureStatuses","params":[["{signature}"]]}}"#
        ),
    );
    let statuses: serde_json::Value = serde_json::from_str(&statuses).unwrap();
    assert_eq!(
        statuses["result"]["value"][0]["err"],
        serde_json::Value::Null
    );
    assert!(
        statuses["result"]["value"][0]["slot"].is_u64(),
        "{statuses}"
    );
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    assert!(child.wait().unwrap().success());
}

/// solana-test-validator's flags (issue 12): `--rpc-port`, `--bind-address`,
/// `--quiet` (nothing printed), `--faucet-sol`, `--reset` without a ledger
/// folder, and PubSub on the RPC port + 1.
#[test]
fn takes_solana_test_validators_flags() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let faucet = dir.path().join("faucet.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_usd1-localnet"))
        .args([
            "--rpc-port",
            &port.to_string(),
            "--bind-address",
            "127.0.0.1",
        ])
        .args(["--quiet", "--reset", "--faucet-sol", "42.5", "--faucet"])
        .arg(&faucet)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Quiet: no startup lines, so wait for the endpoint itself.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "the RPC port opens");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The faucet file is written after the chain starts; wait for it too.
    while !faucet.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the faucet file appears"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    let key: Vec<u8> = serde_json::from_slice(&std::fs::read(&faucet).unwrap()).unwrap();
    let faucet_key = solana_sdk::pubkey::Pubkey::try_from(&key[32..64]).unwrap();
    let answer = post(
        port,
        &format!(r#"{{"jsonrpc":"2.0","id":1,"method":"getBalance","params":["{faucet_key}"]}}"#),
    );
    let balance: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(balance["result"]["value"], 42_500_000_000u64, "{answer}");
    // PubSub listens on the next port.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port + 1)).is_ok());

    let killed = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success());
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(stderr, "", "quiet");
    // The natively run program's logs are the only stdout; none ran here.
    assert_eq!(stdout, "", "quiet");
}
