//! The `usd1-gateway` binary's own command line: keys created, listed and
//! revoked on an embedded database; bad input refused by name. (Also makes
//! `cargo test --workspace` build the binary the tour and the fault tests run.)
use std::process::Command;

fn gateway(database: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_usd1-gateway"))
        .args(["--database", database])
        .args(args)
        .output()
        .expect("run usd1-gateway");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn api_keys_are_shown_once_listed_without_secrets_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("g.db").display());
    let (ok, secret, told) = gateway(
        &database,
        &["api-key", "create", "--scope", "invoices:read"],
    );
    assert!(ok, "{told}");
    let secret = secret.trim();
    assert!(
        secret.starts_with("usd1_sk_") && secret.len() == 8 + 64,
        "{secret}"
    );
    let id = told.split_whitespace().nth(1).unwrap().to_string();
    assert!(told.contains("shown once"), "{told}");
    let (ok, listed, _) = gateway(&database, &["api-key", "list"]);
    assert!(ok);
    assert!(listed.contains(&id) && listed.contains("invoices:read") && listed.contains("live"));
    assert!(!listed.contains(secret), "the list never shows a secret");
    assert!(gateway(&database, &["api-key", "revoke", &id]).0);
    let (ok, _, err) = gateway(&database, &["api-key", "revoke", &id]);
    assert!(!ok);
    assert_eq!(err.trim(), format!("error: no live API key {id}"));
    let (_, listed, _) = gateway(&database, &["api-key", "list"]);
    assert!(listed.contains("revoked"), "{listed}");
}

#[test]
fn bad_input_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("g.db").display());
    let (ok, _, err) = gateway(
        &database,
        &["api-key", "create", "--scope", "invoices:delete"],
    );
    assert!(!ok);
    assert!(err.contains("unknown scope 'invoices:delete'"), "{err}");
    let (ok, _, err) = gateway("mysql://db", &["api-key", "list"]);
    assert!(!ok);
    assert_eq!(
        err.trim(),
        "error: 'mysql://db' is neither sqlite:PATH nor postgres://…"
    );
    let (ok, _, err) = gateway(&database, &["export", "--treasury", "x"]);
    assert!(!ok);
    assert!(err.contains("'x' is not a public key"), "{err}");
}
