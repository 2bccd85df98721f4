//! The key sources' URIs: RFC 7512 `pkcs11:` (path attributes `token`,
//! `object`, `slot-id`; query attributes `module-path`, `pin-source`) and
//! `vault://HOST:PORT/MOUNT/keys/NAME` (`vault+http://` for a vault on a
//! plain-HTTP listener; query attributes `token-file`, `version`), both
//! with `timeout=SECONDS`.
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::{KeyError, DEFAULT_TIMEOUT};

/// Where a PIN is read from: a file (its first line) or an environment variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinSource {
    File(PathBuf),
    Env(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pkcs11Uri {
    pub text: String,
    pub token: Option<String>,
    pub slot_id: Option<u64>,
    /// The key's label (`CKA_LABEL`).
    pub object: String,
    pub module: PathBuf,
    pub pin: PinSource,
    pub timeout: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultUri {
    pub text: String,
    /// `https://HOST:PORT` or `http://HOST:PORT`.
    pub base: String,
    /// The transit engine's mount (`transit`).
    pub mount: String,
    pub name: String,
    pub token_file: Option<PathBuf>,
    /// The key version to sign with (default: the newest when opened).
    pub version: Option<u64>,
    pub timeout: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Pkcs11(Pkcs11Uri),
    Vault(VaultUri),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Pkcs11(uri) => f.write_str(&uri.text),
            Source::Vault(uri) => f.write_str(&uri.text),
        }
    }
}

/// `%XX` escapes decoded (RFC 3986), as RFC 7512 writes attribute values.
fn decode(source: &str, value: &str) -> Result<String, KeyError> {
    let bad = || KeyError::Malformed {
        key: source.to_string(),
        why: format!("'{value}' has a broken %-escape"),
    };
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// `name=value` pairs split by `separator`, values decoded.
fn pairs(source: &str, text: &str, separator: char) -> Result<Vec<(String, String)>, KeyError> {
    text.split(separator)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').ok_or_else(|| KeyError::Malformed {
                key: source.to_string(),
                why: format!("'{part}' is not name=value"),
            })?;
            Ok((name.to_ascii_lowercase(), decode(source, value)?))
        })
        .collect()
}

fn timeout(source: &str, value: &str) -> Result<Duration, KeyError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .ok_or_else(|| KeyError::Malformed {
            key: source.to_string(),
            why: format!("timeout={value} is not a number of seconds"),
        })
}

impl Source {
    pub fn parse(text: &str) -> Result<Source, KeyError> {
        if let Some(rest) = text.strip_prefix("pkcs11:") {
            return Ok(Source::Pkcs11(pkcs11(text, rest)?));
        }
        for (scheme, http) in [("vault://", "https://"), ("vault+http://", "http://")] {
            if let Some(rest) = text.strip_prefix(scheme) {
                return Ok(Source::Vault(vault(text, rest, http)?));
            }
        }
        Err(KeyError::Malformed {
            key: text.to_string(),
            why: "not a pkcs11: or vault:// key source".into(),
        })
    }
}

fn pkcs11(text: &str, rest: &str) -> Result<Pkcs11Uri, KeyError> {
    let malformed = |why: String| KeyError::Malformed {
        key: text.to_string(),
        why,
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (mut token, mut slot_id, mut object) = (None, None, None);
    for (name, value) in pairs(text, path, ';')? {
        match name.as_str() {
            "token" => token = Some(value),
            "object" => object = Some(value),
            "slot-id" => {
                slot_id = Some(
                    value
                        .parse()
                        .map_err(|_| malformed(format!("slot-id={value} is not a number")))?,
                )
            }
            "type" if value == "private" || value == "public" => {}
            other => {
                return Err(malformed(format!(
                    "the path attribute '{other}' is not used here"
                )))
            }
        }
    }
    let (mut module, mut pin, mut wait) = (None, None, DEFAULT_TIMEOUT);
    for (name, value) in pairs(text, query, '&')? {
        match name.as_str() {
            "module-path" => module = Some(PathBuf::from(value)),
            "pin-value" => {
                return Err(KeyError::PinInUri {
                    key: text.to_string(),
                })
            }
            "pin-source" => {
                pin = Some(match value.strip_prefix("env:") {
                    Some(variable) => PinSource::Env(variable.to_string()),
                    None => PinSource::File(PathBuf::from(
                        value.strip_prefix("file:").unwrap_or(&value),
                    )),
                })
            }
            "timeout" => wait = timeout(text, &value)?,
            other => {
                return Err(malformed(format!(
                    "the query attribute '{other}' is not used here"
                )))
            }
        }
    }
    Ok(Pkcs11Uri {
        text: text.to_string(),
        token,
        slot_id,
        object: object.ok_or_else(|| malformed("name the key with object=LABEL".into()))?,
        module: module
            .ok_or_else(|| malformed("name the PKCS#11 library with module-path=PATH".into()))?,
        pin: pin.ok_or_else(|| {
            malformed("say where the PIN is with pin-source=FILE or pin-source=env:VARIABLE".into())
        })?,
        timeout: wait,
    })
}

fn vault(text: &str, rest: &str, http: &str) -> Result<VaultUri, KeyError> {
    let malformed = |why: &str| KeyError::Malformed {
        key: text.to_string(),
        why: why.to_string(),
    };
    let (address, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, path) = address
        .split_once('/')
        .ok_or_else(|| malformed("give the key as HOST:PORT/MOUNT/keys/NAME"))?;
    let (mount, name) = path
        .rsplit_once("/keys/")
        .filter(|(mount, name)| !mount.is_empty() && !name.is_empty() && !name.contains('/'))
        .ok_or_else(|| malformed("give the key as HOST:PORT/MOUNT/keys/NAME"))?;
    if host.is_empty() {
        return Err(malformed("no host"));
    }
    let (mut token_file, mut version, mut wait) = (None, None, DEFAULT_TIMEOUT);
    for (key, value) in pairs(text, query, '&')? {
        match key.as_str() {
            "token-file" => token_file = Some(PathBuf::from(value)),
            "version" => {
                version = Some(
                    value
                        .parse()
                        .map_err(|_| malformed("version=N takes a number"))?,
                )
            }
            "timeout" => wait = timeout(text, &value)?,
            "token" => return Err(malformed(
                "a vault token is never given in the source: set VAULT_TOKEN or token-file=PATH",
            )),
            _ => {
                return Err(malformed(&format!(
                    "the query attribute '{key}' is not used here"
                )))
            }
        }
    }
    Ok(VaultUri {
        text: text.to_string(),
        base: format!("{http}{host}"),
        mount: mount.to_string(),
        name: name.to_string(),
        token_file,
        version,
        timeout: wait,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs11_uris_read_as_rfc_7512_writes_them() {
        let text = "pkcs11:token=usd1%20desk;object=minter?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin&timeout=3";
        let Source::Pkcs11(uri) = Source::parse(text).unwrap() else {
            panic!("pkcs11")
        };
        assert_eq!(uri.token.as_deref(), Some("usd1 desk"));
        assert_eq!(uri.object, "minter");
        assert_eq!(uri.pin, PinSource::File("/run/pin".into()));
        assert_eq!(uri.timeout, Duration::from_secs(3));
        let env = "pkcs11:object=k?module-path=/m.so&pin-source=env:HSM_PIN";
        let Source::Pkcs11(uri) = Source::parse(env).unwrap() else {
            panic!("pkcs11")
        };
        assert_eq!(uri.pin, PinSource::Env("HSM_PIN".into()));
        let pin = "pkcs11:object=k?module-path=/m.so&pin-value=1234";
        assert_eq!(
            Source::parse(pin),
            Err(KeyError::PinInUri { key: pin.into() })
        );
        for bad in [
            "pkcs11:object=k?pin-source=env:P",
            "pkcs11:token=t?module-path=/m.so&pin-source=env:P",
            "pkcs11:object=k?module-path=/m.so",
            "pkcs11:object=%zz?module-path=/m.so&pin-source=env:P",
            "pkcs11:colour=blue;object=k?module-path=/m.so&pin-source=env:P",
        ] {
            assert!(
                matches!(Source::parse(bad), Err(KeyError::Malformed { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn vault_uris_name_the_transit_key() {
        let Source::Vault(uri) =
            Source::parse("vault+http://127.0.0.1:8200/transit/keys/minter?version=2").unwrap()
        else {
            panic!("vault")
        };
        assert_eq!(
            (
                uri.base.as_str(),
                uri.mount.as_str(),
                uri.name.as_str(),
                uri.version
            ),
            ("http://127.0.0.1:8200", "transit", "minter", Some(2))
        );
        let Source::Vault(uri) =
            Source::parse("vault://vault.example:8200/usd1/transit/keys/a").unwrap()
        else {
            panic!("vault")
        };
        assert_eq!(
            (uri.base.as_str(), uri.mount.as_str()),
            ("https://vault.example:8200", "usd1/transit")
        );
        for bad in [
            "vault://127.0.0.1:8200/transit/minter",
            "vault://127.0.0.1:8200",
            "vault://127.0.0.1:8200/transit/keys/a?token=s.123",
        ] {
            assert!(
                matches!(Source::parse(bad), Err(KeyError::Malformed { .. })),
                "{bad}"
            );
        }
    }
}
