//! The `usd1-gateway` binary's own command line: keys created, listed and
//! revoked on an embedded database; bad input refused by name. (Also makes
//! `cargo test --workspace` build the binary the tour and the fault tests run.)
use std::process::Command;

fn gateway(database: &str, args: &[&str]) -> (bool, String, String) {
    gateway_as(database, None, args)
}

/// `usd1-gateway ARGS` with `operator_key` as the operator's credential (and
/// the database's case key beside it).
fn gateway_as(database: &str, operator_key: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let case_key = format!("{}.case-key", database.trim_start_matches("sqlite:"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_usd1-gateway"));
    command
        .args(["--database", database, "--case-key", &case_key])
        .args(args);
    if let Some(key) = operator_key {
        command.env("USD1_GATEWAY_OPERATOR_KEY", key);
    }
    let out = command.output().expect("run usd1-gateway");
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
        &[
            "api-key",
            "create",
            "--operator",
            "alice",
            "--scope",
            "invoices:read",
        ],
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
    assert!(
        listed.contains(&id)
            && listed.contains("alice")
            && listed.contains("invoices:read")
            && listed.contains("live")
    );
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
        &[
            "api-key",
            "create",
            "--operator",
            "alice",
            "--scope",
            "invoices:delete",
        ],
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

/// A case operator's key (cases:read and cases:write), its secret.
fn operator_key(database: &str, operator: &str) -> String {
    let (ok, secret, err) = gateway(
        database,
        &[
            "api-key",
            "create",
            "--operator",
            operator,
            "--scope",
            "cases:read",
            "--scope",
            "cases:write",
        ],
    );
    assert!(ok, "{err}");
    secret.trim().to_string()
}

#[test]
fn cases_are_worked_from_the_command_line_and_a_tampered_history_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("g.db").display());
    let (ok, said, err) = gateway(&database, &["case-key", "new"]);
    assert!(ok && said.starts_with("case key "), "{err}");
    let (ok, _, err) = gateway(&database, &["case-key", "new"]);
    assert!(
        !ok && err.contains("cannot write the case key"),
        "never overwritten: {err}"
    );
    let (alice, bob, carol) = (
        operator_key(&database, "alice"),
        operator_key(&database, "bob"),
        operator_key(&database, "carol"),
    );
    let subject = "5FMtxLU8q6AJ6oXecMa59biheG194Fy7rfEivmCQ34sH";
    // No credential, or an unknown one: nothing recorded.
    let (ok, _, err) = gateway(&database, &["case", "open", subject, "--reason", "x"]);
    assert!(!ok && err.contains("--operator-key"), "{err}");
    let (ok, _, err) = gateway_as(
        &database,
        Some("usd1_sk_nobody"),
        &["case", "open", subject, "--reason", "x"],
    );
    assert!(
        !ok && err.contains("the operator key is unknown or revoked"),
        "{err}"
    );
    let (ok, id, err) = gateway_as(
        &database,
        Some(&alice),
        &["case", "open", subject, "--reason", "a court order"],
    );
    assert!(ok, "{err}");
    let id = id.trim().to_string();
    assert!(id.starts_with("case_"), "{id}");
    let (ok, said, err) = gateway_as(
        &database,
        Some(&alice),
        &["case", "assign", &id, "--to", "bob", "--why", "yours"],
    );
    assert!(ok, "{err}");
    assert_eq!(
        said.trim(),
        format!("case {id} assigned to bob: under review")
    );
    let (ok, _, err) = gateway_as(&database, Some(&bob), &["case", "decide", &id, "freeze"]);
    assert!(!ok);
    assert_eq!(err.trim(), "error: a freeze needs its reason_code");
    let (ok, _, err) = gateway_as(
        &database,
        Some(&bob),
        &["case", "decide", &id, "freeze", "--reason-code", "7"],
    );
    assert!(ok, "{err}");
    // bob cannot approve his own freeze from here either.
    let (ok, _, err) = gateway_as(&database, Some(&bob), &["case", "approve", &id]);
    assert!(!ok);
    assert!(err.contains("four eyes: bob proposed this freeze"), "{err}");
    let (ok, listed, _) = gateway(&database, &["case", "list", "--output", "json"]);
    assert!(ok);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["freeze"]["proposed_by"], "bob");
    assert_eq!(listed[0]["status"], "under review");
    let (ok, said, _) = gateway(&database, &["case", "verify"]);
    assert!(ok);
    assert!(
        said.starts_with("intact: 3 entries over 1 case(s), head "),
        "{said}"
    );
    assert!(said.contains("sealed, anchored at entry 3"), "{said}");

    // A report's case file, written where asked.
    let file = dir.path().join("case.json");
    let (ok, said, err) = gateway_as(
        &database,
        Some(&carol),
        &[
            "case",
            "decide",
            &id,
            "report",
            "--out",
            file.to_str().unwrap(),
            "--why",
            "SAR",
        ],
    );
    assert!(ok, "{err}");
    let body = std::fs::read(&file).unwrap();
    let hash = usd1_client::hex(&usd1_client::sha256(&body));
    assert_eq!(
        said.trim(),
        format!("case {id} reported: case file sha256 {hash}")
    );

    // Someone edits a row behind the gateway's back.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = usd1_gateway::store::Store::open(&database).await.unwrap();
        sqlx::query("UPDATE case_history SET why = 'nothing' WHERE seq = 2")
            .execute(store.pool())
            .await
            .unwrap();
    });
    let (ok, _, err) = gateway(&database, &["case", "verify"]);
    assert!(!ok);
    assert_eq!(
        err.trim(),
        format!("error: the case history is broken at entry 2 (case {id}): its content does not match its hash (edited)")
    );
}

/// Issue 33, item 8: a revoked operator key acts no more, and a key made
/// without cases:write decides nothing.
#[test]
fn a_revoked_or_read_only_operator_key_decides_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("g.db").display());
    assert!(gateway(&database, &["case-key", "new"]).0);
    let (ok, reader, err) = gateway(
        &database,
        &[
            "api-key",
            "create",
            "--operator",
            "dave",
            "--scope",
            "cases:read",
        ],
    );
    assert!(ok, "{err}");
    let subject = "5FMtxLU8q6AJ6oXecMa59biheG194Fy7rfEivmCQ34sH";
    let (ok, _, err) = gateway_as(
        &database,
        Some(reader.trim()),
        &["case", "open", subject, "--reason", "x"],
    );
    assert!(!ok && err.contains("lacks the scope cases:write"), "{err}");
    let erin = operator_key(&database, "erin");
    let (_, listed, _) = gateway(&database, &["api-key", "list"]);
    let id = listed
        .lines()
        .find(|l| l.contains("erin"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    assert!(gateway(&database, &["api-key", "revoke", &id]).0);
    let (ok, _, err) = gateway_as(
        &database,
        Some(&erin),
        &["case", "open", subject, "--reason", "x"],
    );
    assert!(!ok && err.contains("unknown or revoked"), "{err}");
    let (_, listed, _) = gateway(&database, &["case", "list"]);
    assert!(listed.trim().is_empty(), "nothing opened: {listed}");
}
