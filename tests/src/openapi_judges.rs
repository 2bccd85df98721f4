//! The judges of a service's OpenAPI contract (issue 37), shared by the
//! gateway's and the desk's tests: the committed file against the served
//! one, `@redocly/cli lint` and `schemathesis` (tools nobody here wrote),
//! and the operations a contract lists with the scopes each names.
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::node;

/// The workspace's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// `clients/gateway` (where the contract's npm tools are), its packages
/// installed from its lock file.
pub fn client_dir() -> PathBuf {
    let dir = root().join("clients/gateway");
    node::install_in(
        &dir,
        &[
            "@redocly/cli",
            "openapi-typescript",
            "openapi-fetch",
            "typescript",
        ],
    );
    dir
}

/// Fails unless `served` is `docs/openapi/NAME.json` byte for byte
/// (`USD1_UPDATE_OPENAPI=1` rewrites it first); returns it parsed.
pub fn assert_committed(served: &str, name: &str) -> Value {
    let path = root().join(format!("docs/openapi/{name}.json"));
    if std::env::var_os("USD1_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, served).expect("write the contract");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        served == committed,
        "docs/openapi/{name}.json is not what the service serves: run \
         USD1_UPDATE_OPENAPI=1 cargo test -p usd1-tests openapi and commit it"
    );
    let doc: Value = serde_json::from_str(served).expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    doc
}

/// The event kinds the contract's `webhooks` describe, sorted.
pub fn described_events(doc: &Value) -> Vec<String> {
    let mut kinds: Vec<String> = doc["webhooks"]
        .as_object()
        .expect("webhooks")
        .keys()
        .cloned()
        .collect();
    kinds.sort();
    kinds
}

/// One operation of a contract: its method, path, the path with every
/// parameter `x`, and the scopes its `security` names.
pub struct Operation {
    pub method: String,
    pub path: String,
    pub concrete: String,
    pub scopes: Vec<String>,
}

pub fn operations(doc: &Value) -> Vec<Operation> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let concrete = path
            .split('/')
            .map(|part| if part.starts_with('{') { "x" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        for (method, operation) in item.as_object().expect("a path item") {
            let scopes = operation["security"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["api_key"].as_array())
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect();
            all.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                concrete: concrete.clone(),
                scopes,
            });
        }
    }
    all
}

/// `redocly lint` (its recommended rules) of `docs/openapi/NAME.json`:
/// fails on any error.
pub fn redocly_lint(name: &str) {
    let output = Command::new("npx")
        .args(["--no-install", "redocly", "lint", "--format", "stylish"])
        .arg(format!("../../docs/openapi/{name}.json"))
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .current_dir(client_dir())
        .output()
        .expect("npx");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{said}");
    assert!(output.status.success(), "redocly lint failed:\n{said}");
    assert!(
        said.contains("Woohoo! Your API description is valid"),
        "{said}"
    );
}

/// What schemathesis checks: no 5xx, every answer as the contract says
/// (status, content type, headers, body), every request the contract
/// forbids refused, and no operation that needs a key answering without one.
const SCHEMATHESIS_CHECKS: &str = "not_a_server_error,status_code_conformance,\
content_type_conformance,response_headers_conformance,response_schema_conformance,\
negative_data_rejection,ignored_auth";

/// schemathesis on every operation of `docs/openapi/NAME.json` against the
/// service at `base` as `key`, in four phases; fails on anything it finds.
/// Another seed explores other requests: `USD1_SCHEMATHESIS_SEED=N`.
pub async fn schemathesis(name: &str, base: &str, key: &str) -> String {
    let contract = root().join(format!("docs/openapi/{name}.json"));
    let seed = std::env::var("USD1_SCHEMATHESIS_SEED").unwrap_or_else(|_| "37".into());
    let (base, key) = (base.to_string(), key.to_string());
    let output = tokio::task::spawn_blocking(move || {
        let report = tempfile::tempdir().expect("a folder");
        Command::new("schemathesis")
            .arg("run")
            .arg(&contract)
            .args(["--url", &base])
            .args(["--header", &format!("Authorization: Bearer {key}")])
            .args(["--checks", SCHEMATHESIS_CHECKS])
            .args(["--phases", "examples,coverage,fuzzing,stateful"])
            .args(["--max-examples", "30", "--seed", &seed, "--workers", "2"])
            .args(["--request-timeout", "10", "--no-color"])
            .arg("--report-dir")
            .arg(report.path())
            // Its example database stays out of the project.
            .current_dir(report.path())
            .output()
            .expect("schemathesis must be installed (pip install schemathesis==4.32.5)")
    })
    .await
    .expect("schemathesis ran");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{said}");
    assert!(
        output.status.success(),
        "schemathesis found a problem:\n{said}"
    );
    said
}

/// Every delivered body in `events` is one the contract's `webhooks`
/// describes, checked by PyPI's `jsonschema` (JSON Schema 2020-12, as
/// OpenAPI 3.1 is), nothing of ours: the event bodies cannot drift from the
/// document a receiver generates its types from.
pub fn assert_events_conform(name: &str, events: &[Value]) {
    use std::io::Write;
    let script = root().join("tests/python/events_conform.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(root().join(format!("docs/openapi/{name}.json")))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 with jsonschema (schemathesis brings it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&serde_json::to_vec(events).expect("JSON"))
        .expect("write the events");
    let output = child.wait_with_output().expect("python3 ran");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "delivered events break the contract:\n{said}"
    );
    assert!(
        said.contains(&format!("{} events checked, 0 problems", events.len())),
        "{said}"
    );
}

/// `METHOD base+path` as `key` (a POST with `{}`): the status and the JSON.
async fn call(base: &str, key: &str, method: &str, path: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method.parse().expect("a method"), format!("{base}{path}"))
        .bearer_auth(key);
    if method == "POST" {
        request = request
            .header("content-type", "application/json")
            .body("{}");
    }
    let response = request.send().await.expect("the service answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// Every operation of `doc` is served by the service at `base`: one that
/// takes no key answers without one; one that names scopes refuses a key
/// without them (`key_with(&[])`) by name, 403 `missing_scope` (so the route
/// exists and asks), and lets a key holding exactly them past the door.
/// Returns how many operations there were.
pub async fn every_operation_is_served<F, Fut>(doc: &Value, base: &str, key_with: F) -> usize
where
    F: Fn(Vec<String>) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let none = key_with(Vec::new()).await;
    let operations = operations(doc);
    for op in &operations {
        let (method, path) = (&op.method, &op.path);
        let (status, answer) = call(base, &none, method, &op.concrete).await;
        if op.scopes.is_empty() {
            assert!(
                status == 200 || status == 503,
                "{method} {path} without a key: {status} {answer}"
            );
            continue;
        }
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (403, Some("missing_scope")),
            "{method} {path}"
        );
        let holder = key_with(op.scopes.clone()).await;
        let (status, answer) = call(base, &holder, method, &op.concrete).await;
        assert_ne!(
            answer["error"]["code"], "missing_scope",
            "{method} {path} with {:?}: {status} {answer}",
            op.scopes
        );
        assert!(
            status != 404
                || !answer["error"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with("endpoint"),
            "{method} {path} is not routed: {answer}"
        );
    }
    operations.len()
}
