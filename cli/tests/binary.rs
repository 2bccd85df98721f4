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
