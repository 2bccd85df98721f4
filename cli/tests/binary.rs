//! The `usd1` binary as a shell runs it: its version, and a bad keypair file
//! refused in one line with a non-zero exit before anything is sent.
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
            "status",
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
