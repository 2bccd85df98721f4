//! Ed25519 keys in a vault's transit engine (HashiCorp Vault and OpenBao
//! answer the same API): the key made there, not exportable; the vault signs.
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;

use super::uri::VaultUri;
use super::{Backend, KeyError};

/// The transit key a `vault://` URI names, and the version it signs with.
pub struct Transit {
    uri: VaultUri,
    agent: ureq::Agent,
    token: String,
    version: u64,
    pubkey: Pubkey,
}

fn agent(uri: &VaultUri) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(uri.timeout))
        .http_status_as_error(false)
        .build()
        .into()
}

fn token(uri: &VaultUri) -> Result<String, KeyError> {
    if let Some(path) = &uri.token_file {
        let text = std::fs::read_to_string(path).map_err(|e| KeyError::Malformed {
            key: uri.text.clone(),
            why: format!("cannot read the vault token from {}: {e}", path.display()),
        })?;
        return Ok(text.trim().to_string());
    }
    std::env::var("VAULT_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| KeyError::NoVaultToken {
            key: uri.text.clone(),
        })
}

/// One call to the vault: its JSON answer, or the failure named.
fn call(
    uri: &VaultUri,
    agent: &ureq::Agent,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Option<Value>, KeyError> {
    let url = format!("{}/v1/{}/{path}", uri.base, uri.mount);
    let sent = match body {
        Some(body) => agent
            .post(&url)
            .header("X-Vault-Token", token)
            .header("Content-Type", "application/json")
            .send(body.to_string()),
        None => agent.get(&url).header("X-Vault-Token", token).call(),
    };
    let mut response = sent.map_err(|e| match e {
        ureq::Error::Timeout(_) => KeyError::TimedOut {
            key: uri.text.clone(),
            seconds: uri.timeout.as_secs(),
        },
        other => KeyError::Unavailable {
            key: uri.text.clone(),
            why: other.to_string(),
        },
    })?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| KeyError::Unavailable {
            key: uri.text.clone(),
            why: e.to_string(),
        })?;
    let errors = || {
        serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["errors"].as_array().cloned())
            .map(|e| {
                // Vault's errors are multi-line ("1 error occurred:\n\t* permission denied"):
                // their bullets, on one line.
                e.iter()
                    .filter_map(|e| e.as_str())
                    .flat_map(|e| {
                        let bullets: Vec<String> = e
                            .lines()
                            .filter_map(|l| l.trim().strip_prefix("* ").map(str::to_string))
                            .collect();
                        match bullets.is_empty() {
                            true => vec![e.split_whitespace().collect::<Vec<_>>().join(" ")],
                            false => bullets,
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| format!("HTTP {status}"))
    };
    match status {
        200..=299 if text.trim().is_empty() => Ok(Some(Value::Null)),
        200..=299 => serde_json::from_str(&text)
            .map(Some)
            .map_err(|_| KeyError::Unavailable {
                key: uri.text.clone(),
                why: "the vault's answer is not JSON".into(),
            }),
        404 => Ok(None),
        400 | 401 | 403 => Err(KeyError::Refused {
            key: uri.text.clone(),
            why: errors(),
        }),
        _ => Err(KeyError::Unavailable {
            key: uri.text.clone(),
            why: errors(),
        }),
    }
}

/// The key's description: its newest version and each version's public key.
fn describe(
    uri: &VaultUri,
    agent: &ureq::Agent,
    token: &str,
) -> Result<Option<(u64, Value)>, KeyError> {
    let Some(answer) = call(uri, agent, token, &format!("keys/{}", uri.name), None)? else {
        return Ok(None);
    };
    let data = &answer["data"];
    if data["type"].as_str() != Some("ed25519") {
        return Err(KeyError::NotEd25519 {
            key: uri.text.clone(),
        });
    }
    let latest = data["latest_version"]
        .as_u64()
        .ok_or_else(|| KeyError::Unavailable {
            key: uri.text.clone(),
            why: "the vault gave no latest_version".into(),
        })?;
    Ok(Some((latest, data["keys"].clone())))
}

fn pubkey_of(uri: &VaultUri, keys: &Value, version: u64) -> Result<Pubkey, KeyError> {
    let missing = || KeyError::NoSuchKey {
        key: format!("{} (version {version})", uri.text),
    };
    let text = keys[version.to_string()]["public_key"]
        .as_str()
        .ok_or_else(missing)?;
    let bytes = B64.decode(text).map_err(|_| missing())?;
    Pubkey::try_from(bytes.as_slice()).map_err(|_| KeyError::NotEd25519 {
        key: uri.text.clone(),
    })
}

impl Transit {
    /// The key as it is now: the version to sign with (the URI's, or the
    /// newest) and its public key.
    pub fn open(uri: &VaultUri) -> Result<Self, KeyError> {
        let (agent, token) = (agent(uri), token(uri)?);
        let (latest, keys) = describe(uri, &agent, &token)?.ok_or_else(|| KeyError::NoSuchKey {
            key: uri.text.clone(),
        })?;
        let version = uri.version.unwrap_or(latest);
        let pubkey = pubkey_of(uri, &keys, version)?;
        Ok(Transit {
            uri: uri.clone(),
            agent,
            token,
            version,
            pubkey,
        })
    }
}

impl Backend for Transit {
    fn public_key(&self) -> Result<Pubkey, KeyError> {
        Ok(self.pubkey)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let body = json!({"input": B64.encode(message), "key_version": self.version});
        let path = format!("sign/{}", self.uri.name);
        let answer =
            call(&self.uri, &self.agent, &self.token, &path, Some(body))?.ok_or_else(|| {
                KeyError::NoSuchKey {
                    key: self.uri.text.clone(),
                }
            })?;
        let wrong = || KeyError::WrongSignature {
            key: self.uri.text.clone(),
            expected: self.pubkey,
        };
        // `vault:vN:BASE64`.
        let text = answer["data"]["signature"].as_str().ok_or_else(wrong)?;
        let encoded = text.rsplit(':').next().ok_or_else(wrong)?;
        B64.decode(encoded).map_err(|_| wrong())
    }
}

/// Makes the transit key (Ed25519, not exportable); refuses a name in use.
pub fn create(uri: &VaultUri) -> Result<Pubkey, KeyError> {
    let (agent, token) = (agent(uri), token(uri)?);
    if let Some((latest, keys)) = describe(uri, &agent, &token)? {
        return Err(KeyError::Exists {
            key: uri.text.clone(),
            pubkey: pubkey_of(uri, &keys, latest)?,
        });
    }
    let body = json!({"type": "ed25519", "exportable": false});
    call(
        uri,
        &agent,
        &token,
        &format!("keys/{}", uri.name),
        Some(body),
    )?;
    let (latest, keys) = describe(uri, &agent, &token)?.ok_or_else(|| KeyError::NoSuchKey {
        key: uri.text.clone(),
    })?;
    pubkey_of(uri, &keys, latest)
}
