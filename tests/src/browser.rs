//! A page rendered by a real headless Chromium (Debian's `chromium`), driven
//! over the DevTools protocol: its visible text, its console errors and
//! failed loads, its width against the viewport, and a PNG screenshot.
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

/// What the browser saw.
#[derive(Debug)]
pub struct Rendered {
    /// `document.body.innerText`.
    pub text: String,
    /// Console errors, uncaught exceptions and resources that failed to load.
    pub errors: Vec<String>,
    /// The document's full width in CSS pixels (more than the viewport: it scrolls sideways).
    pub scroll_width: u64,
    pub png: Vec<u8>,
}

/// The Chromium binary, if this machine has one.
pub fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .map(String::from)
}

/// Loads `page` (a local file) in a viewport `width` CSS pixels wide and
/// reports what the browser saw.
pub async fn render(page: &Path, width: u32) -> Result<Rendered> {
    let binary = chromium().context("no chromium on this machine (apt-get install chromium)")?;
    let profile = tempfile::tempdir()?;
    let mut child = tokio::process::Command::new(&binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {binary}"))?;
    let stderr = child.stderr.take().context("chromium stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let endpoint = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(url) = line.strip_prefix("DevTools listening on ") {
                return Ok::<_, anyhow::Error>(url.trim().to_string());
            }
        }
        bail!("chromium exited before listening")
    })
    .await
    .context("chromium did not start its DevTools endpoint")??;
    // Keep draining stderr so chromium never blocks on it.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let (ws, _) = tokio_tungstenite::connect_async(endpoint.as_str()).await?;
    let mut cdp = Cdp {
        ws,
        next_id: 0,
        events: Vec::new(),
        session: None,
    };
    let target = cdp
        .call("Target.createTarget", json!({"url": "about:blank"}))
        .await?;
    let target_id = target["targetId"].as_str().context("targetId")?.to_string();
    let attached = cdp
        .call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        )
        .await?;
    cdp.session = Some(
        attached["sessionId"]
            .as_str()
            .context("sessionId")?
            .to_string(),
    );
    for method in ["Page.enable", "Runtime.enable", "Log.enable"] {
        cdp.call(method, json!({})).await?;
    }
    cdp.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600}),
    )
    .await?;
    let url = format!("file://{}", page.canonicalize()?.display());
    cdp.call("Page.navigate", json!({"url": url})).await?;
    tokio::time::timeout(Duration::from_secs(30), cdp.wait_for("Page.loadEventFired"))
        .await
        .context("the page did not finish loading")??;
    let text = cdp.evaluate("document.body.innerText").await?;
    let scroll_width = cdp.evaluate("document.documentElement.scrollWidth").await?;
    let shot = cdp
        .call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        )
        .await?;
    use base64::Engine as _;
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().context("screenshot data")?)?;
    let errors = cdp.events.iter().filter_map(error_of).collect();
    let _ = child.kill().await;
    Ok(Rendered {
        text: text.as_str().unwrap_or_default().to_string(),
        errors,
        scroll_width: scroll_width.as_u64().unwrap_or(0),
        png,
    })
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One DevTools connection: commands and their answers, and the events
/// that arrive meanwhile.
struct Cdp {
    ws: Socket,
    next_id: u64,
    events: Vec<Value>,
    /// The page's session, once attached.
    session: Option<String>,
}

impl Cdp {
    async fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({"id": id, "method": method, "params": params});
        if let Some(session) = &self.session {
            command["sessionId"] = json!(session);
        }
        self.ws
            .send(Message::Text(command.to_string().into()))
            .await?;
        let answer = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let value = self.receive().await?;
                if value["id"] == json!(id) {
                    return Ok::<_, anyhow::Error>(value);
                }
                self.events.push(value);
            }
        })
        .await
        .with_context(|| format!("{method} got no answer"))??;
        if let Some(error) = answer.get("error") {
            bail!("{method}: {error}");
        }
        Ok(answer["result"].clone())
    }

    async fn evaluate(&mut self, expression: &str) -> Result<Value> {
        let answer = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .await?;
        Ok(answer["result"]["value"].clone())
    }

    async fn wait_for(&mut self, method: &str) -> Result<()> {
        while !self.events.iter().any(|e| e["method"] == method) {
            let value = self.receive().await?;
            self.events.push(value);
        }
        Ok(())
    }

    async fn receive(&mut self) -> Result<Value> {
        loop {
            let message = self.ws.next().await.context("DevTools closed")??;
            if let Message::Text(text) = message {
                return Ok(serde_json::from_str(&text)?);
            }
        }
    }
}

/// A console error, an uncaught exception or a failed load, as one line.
fn error_of(event: &Value) -> Option<String> {
    let params = &event["params"];
    match event["method"].as_str()? {
        "Runtime.consoleAPICalled" if params["type"] == "error" || params["type"] == "assert" => {
            Some(format!("console.{}: {}", params["type"], params["args"]))
        }
        "Runtime.exceptionThrown" => Some(format!(
            "exception: {}",
            params["exceptionDetails"]["exception"]["description"]
        )),
        "Log.entryAdded" if params["entry"]["level"] == "error" => Some(format!(
            "{}: {} {}",
            params["entry"]["source"], params["entry"]["text"], params["entry"]["url"]
        )),
        _ => None,
    }
}
