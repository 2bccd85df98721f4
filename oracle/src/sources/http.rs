//! `http`: a custodian's JSON endpoint. The credential comes from an
//! environment variable (read on every request, so it can be rotated and is
//! never written to the config); JSON pointers name the amount and as-of time.
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::{check_fresh, reading_from_json, Reading, Source, SourceError};

/// Larger answers are refused: a reserve figure is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

fn default_timeout_secs() -> u64 {
    10
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HttpSourceConfig {
    pub name: String,
    pub url: String,
    /// Environment variable holding the credential, sent as `auth_header`.
    pub auth_env: Option<String>,
    /// Header the credential goes in (default `Authorization`).
    pub auth_header: Option<String>,
    /// Whole-request limit: connect, answer and body.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    pub amount_pointer: String,
    pub as_of_pointer: String,
    pub max_age_secs: u64,
    /// What the line holds and where (asset class, custodian, account,
    /// a T-bill's maturity): the report's composition.
    pub holding: Option<usd1_client::reserve_report::Holding>,
}

pub struct HttpSource {
    config: HttpSourceConfig,
    client: reqwest::Client,
}

impl HttpSource {
    pub fn new(config: HttpSourceConfig) -> Result<Self, String> {
        let url = reqwest::Url::parse(&config.url)
            .map_err(|e| format!("source {}: bad url {}: {e}", config.name, config.url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("source {}: url must be http or https", config.name));
        }
        if config.timeout_secs == 0 {
            return Err(format!(
                "source {}: timeout_secs must be positive",
                config.name
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs))
            .build()
            .map_err(|e| format!("source {}: {e}", config.name))?;
        Ok(Self { config, client })
    }

    async fn fetch(&self) -> Result<String, SourceError> {
        let mut request = self.client.get(&self.config.url);
        if let Some(variable) = &self.config.auth_env {
            let credential = std::env::var(variable)
                .map_err(|_| SourceError::MissingCredential(variable.clone()))?;
            let header = self
                .config
                .auth_header
                .as_deref()
                .unwrap_or("Authorization");
            request = request.header(header, credential);
        }
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                SourceError::Timeout(self.config.timeout_secs)
            } else {
                // Without the URL: reqwest would repeat it, and it may carry a token.
                SourceError::Unreachable(e.without_url().to_string())
            }
        };
        let mut response = request.send().await.map_err(transport)?;
        if !response.status().is_success() {
            return Err(SourceError::HttpStatus(response.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len().saturating_add(chunk.len()) > MAX_BODY_BYTES {
                return Err(SourceError::Malformed(format!(
                    "answer larger than {MAX_BODY_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|_| SourceError::Malformed("answer is not UTF-8".into()))
    }
}

#[async_trait]
impl Source for HttpSource {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn read(&self, decimals: u8, now: i64) -> Result<Reading, SourceError> {
        let body = self.fetch().await?;
        let (amount, as_of) = reading_from_json(
            &body,
            &self.config.amount_pointer,
            &self.config.as_of_pointer,
            decimals,
        )?;
        check_fresh(as_of, now, self.config.max_age_secs)?;
        Ok(Reading {
            name: self.config.name.clone(),
            kind: "http".into(),
            location: self.config.url.clone(),
            amount,
            as_of,
            holding: self.config.holding.clone(),
        })
    }
}
