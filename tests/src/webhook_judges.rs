//! The Standard Webhooks libraries nobody here wrote (npm and PyPI
//! `standardwebhooks` 1.3.0), unchanged, judging deliveries as a receiver
//! would: each case's answer from each library, "ok" or its refusal.
use std::process::Command;

/// One delivery as a receiver sees it, and the secret it holds.
#[derive(Clone, Debug)]
pub struct Case {
    pub secret: String,
    pub body: String,
    pub headers: std::collections::BTreeMap<String, String>,
}

impl Case {
    pub fn new(secret: &str, body: &str, id: &str, timestamp: &str, signature: &str) -> Self {
        let headers = [
            ("webhook-id", id),
            ("webhook-timestamp", timestamp),
            ("webhook-signature", signature),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Case {
            secret: secret.into(),
            body: body.into(),
            headers,
        }
    }
}

const PYTHON: &str = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
for c in json.load(open(sys.argv[1])):
    try:
        Webhook(c["secret"]).verify(c["body"], c["headers"])
        print("ok")
    except Exception as e:
        print("refused: " + str(e))
"#;

/// Each case judged by the npm library and by the PyPI one: (npm, PyPI) per case.
pub fn judge(cases: &[Case]) -> Vec<(String, String)> {
    crate::node::install_packages();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("cases.json");
    let json: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| serde_json::json!({"secret": c.secret, "body": c.body, "headers": c.headers}))
        .collect();
    std::fs::write(&file, serde_json::to_vec(&json).expect("json")).expect("cases");
    let run = |mut command: Command, what: &str| -> Vec<String> {
        let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let mut node = Command::new("node");
    node.arg("standard_webhooks.mjs")
        .arg(&file)
        .current_dir(crate::node::node_dir());
    let mut python = Command::new("python3");
    python.args(["-c", PYTHON]).arg(&file);
    let npm = run(
        node,
        "node with standardwebhooks (npm ci --prefix tests/node)",
    );
    let pypi = run(
        python,
        "python3 with standardwebhooks (pip install standardwebhooks==1.3.0)",
    );
    assert_eq!((npm.len(), pypi.len()), (cases.len(), cases.len()));
    npm.into_iter().zip(pypi).collect()
}
