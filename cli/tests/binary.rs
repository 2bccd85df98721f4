//! The `usd1` binary as a shell runs it: its version, and a bad keypair file
//! (missing, unreadable, of the wrong shape) refused in one line with a
//! non-zero exit before anything is sent.
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_usd1");

#[test]
fn prints_its_version_and_refuses_a_missing_keypair_in_one_line() {
    let version = Command::new(BIN).arg("--version").output().unwrap();
    assert!(version.status.success());
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("usd1 "));

    let output = Command::new(BIN)
        .args([
            "-u",
            "http://127.0.0.1:1",
            "-k",
            "/no/such/key.json",
            "pause",
            "--mint",
            "11111111111111111111111111111111",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        "error: keypair file /no/such/key.json does not exist"
    );
}

/// `usd1 pause` (a command that signs) with `keypair` as `-k`, against an
/// RPC address nobody serves: the keypair is read first, so its refusal is
/// what the shell sees. (Read-only commands load no keypair: `read_only.rs`.)
fn pause_with_keypair(keypair: &str) -> (Option<i32>, String) {
    let output = Command::new(BIN)
        .args([
            "-u",
            "http://127.0.0.1:1",
            "-k",
            keypair,
            "pause",
            "--mint",
            "11111111111111111111111111111111",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    (output.status.code(), stderr)
}

/// SECURITY.md: a keypair file that exists but cannot be read, and one that
/// is not a keypair. (Tests run as root, who reads any mode, so "cannot be
/// read" is a directory standing where the file should be.)
#[test]
fn refuses_an_unreadable_or_misshapen_keypair_in_one_line() {
    let dir = std::env::temp_dir().join(format!("usd1-keypair-test-{}", std::process::id()));
    let unreadable = dir.join("id.json");
    std::fs::create_dir_all(&unreadable).unwrap();
    let (code, stderr) = pause_with_keypair(&unreadable.to_string_lossy());
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        format!(
            "error: cannot read keypair file {}: Is a directory (os error 21)",
            unreadable.display()
        )
    );

    for (name, text) in [("short.json", "[1,2,3]"), ("words.json", "not json")] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let (code, stderr) = pause_with_keypair(&path.to_string_lossy());
        assert_eq!(code, Some(1));
        assert_eq!(
            stderr,
            format!(
                "error: {} is not a solana-keygen keypair file (expected a JSON array of 64 bytes)",
                path.display()
            )
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A server on 127.0.0.1 answering every connection with `answer` (raw
/// HTTP), on a thread of its own: its port.
fn serving(answer: &'static str) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    port
}

/// `usd1 ARGS` against `url`: exit code and stderr, whole.
fn against(url: &str, args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(BIN)
        .args(["-u", url])
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Issue 38: a node that cannot be reached is named as such (not "account
/// not found"), with the URL and what failed, on one line ending the
/// output, and the exit is non-zero: by every read-only command, and by
/// one that signs.
#[test]
fn an_unreachable_node_is_named_with_what_failed() {
    const MINT: &str = "11111111111111111111111111111111";
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let refused = format!("http://127.0.0.1:{closed}");
    let dir = std::env::temp_dir().join(format!("usd1-unreachable-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keypair = dir.join("id.json");
    let bytes = solana_sdk::signature::Keypair::new().to_bytes().to_vec();
    std::fs::write(&keypair, serde_json::to_string(&bytes).unwrap()).unwrap();
    let keypair = keypair.display().to_string();
    let commands: [&[&str]; 6] = [
        &["balance", MINT, "--mint", MINT],
        &["status", "--mint", MINT],
        &["attestations", "--mint", MINT],
        &["audit", "--mint", MINT],
        &["redeem", "list", "--mint", MINT],
        &["-k", &keypair, "transfer", "1", MINT, "--mint", MINT],
    ];
    for args in commands {
        let (code, stderr) = against(&refused, args);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert_eq!(
            stderr,
            format!("error: cannot reach the RPC node {refused}: connection refused\n"),
            "{args:?}"
        );
    }
    let status = ["status", "--mint", MINT];
    let cases = [
        (
            format!(
                "http://127.0.0.1:{}",
                serving("HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            ),
            "it answered HTTP 401 Unauthorized",
        ),
        (
            format!(
                "http://127.0.0.1:{}",
                serving("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 13\r\nconnection: close\r\n\r\n<html></html>")
            ),
            "the answer is not JSON-RPC",
        ),
    ];
    for (url, why) in &cases {
        let (code, stderr) = against(url, &status);
        assert_eq!(code, Some(1), "{stderr}");
        assert_eq!(
            stderr,
            format!("error: cannot reach the RPC node {url}: {why}\n")
        );
    }
    // TLS asked of a server that speaks plain HTTP.
    let plain = serving("HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    let url = format!("https://127.0.0.1:{plain}");
    let (code, stderr) = against(&url, &status);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: cannot reach the RPC node {url}: TLS failed ("
        )) && stderr.ends_with(")\n"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
