//! The daemon's configuration: a TOML file, overridden by `USD1_ORACLE_*`
//! environment variables, checked in full before anything starts (this is
//! what `--check-config` runs). Relative paths are relative to the file.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use usd1_client::keystore;
use usd1_client::reserve_report::{AssetClass, EligibilityPolicy, Holding};
use usd1_client::signing::SharedSigner;

use crate::sources::bank::{BankSource, BankSourceConfig};
use crate::sources::file::{FileSource, FileSourceConfig};
use crate::sources::http::{HttpSource, HttpSourceConfig};
use crate::sources::Source;

/// Environment overrides: variable, key in the file, how to read the value.
pub const ENV_OVERRIDES: &[(&str, &str, EnvKind)] = &[
    ("USD1_ORACLE_RPC_URLS", "rpc_urls", EnvKind::List),
    ("USD1_ORACLE_COMMITMENT", "commitment", EnvKind::Text),
    ("USD1_ORACLE_MINT", "mint", EnvKind::Text),
    ("USD1_ORACLE_PAYER_KEYPAIR", "payer_keypair", EnvKind::Text),
    (
        "USD1_ORACLE_ATTESTOR_KEYPAIRS",
        "attestor_keypairs",
        EnvKind::List,
    ),
    (
        "USD1_ORACLE_INTERVAL_SECS",
        "interval_secs",
        EnvKind::Integer,
    ),
    ("USD1_ORACLE_OUTPUT_DIR", "output_dir", EnvKind::Text),
    ("USD1_ORACLE_METRICS_ADDR", "metrics_addr", EnvKind::Text),
];

#[derive(Clone, Copy, Debug)]
pub enum EnvKind {
    Text,
    Integer,
    /// Comma-separated.
    List,
}

fn default_interval_secs() -> u64 {
    60
}

fn default_metrics_addr() -> String {
    String::from("127.0.0.1:9464")
}

fn default_commitment() -> String {
    String::from("confirmed")
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    rpc_urls: Vec<String>,
    #[serde(default = "default_commitment")]
    commitment: String,
    mint: String,
    payer_keypair: PathBuf,
    #[serde(default)]
    attestor_keypairs: Vec<PathBuf>,
    /// Other operators' co-signers to ask for their signatures.
    #[serde(default)]
    cosigners: Vec<CosignerEntry>,
    #[serde(default = "default_interval_secs")]
    interval_secs: u64,
    output_dir: PathBuf,
    #[serde(default = "default_metrics_addr")]
    metrics_addr: String,
    #[serde(default)]
    round: RoundSettings,
    #[serde(default)]
    alarms: Alarms,
    /// What counts toward the attested reserve.
    eligibility: Option<EligibilityPolicy>,
    sources: Vec<SourceConfig>,
}

/// One co-signer as the proposer's config names it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CosignerEntry {
    url: String,
    /// The co-signer's attestor public key (its signatures are checked against it).
    attestor: String,
    /// The environment variable holding the bearer token it expects.
    token_env: String,
    /// Allow `http://` to a host that is not this machine: the bearer token
    /// then crosses the network in clear. Off unless set.
    #[serde(default)]
    allow_insecure: bool,
}

/// Whether `url` keeps the bearer token off the network in clear: https,
/// or plain http to this machine only.
fn keeps_token_private(url: &reqwest::Url) -> bool {
    if url.scheme() == "https" {
        return true;
    }
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A co-signer the proposer asks, token loaded.
#[derive(Clone, Debug)]
pub struct CosignerRef {
    pub url: String,
    pub attestor: Pubkey,
    pub token: String,
}

/// How a round behaves.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct RoundSettings {
    /// Attest even when nothing changed once the latest attestation is this
    /// old; unset means half the program's max attestation age.
    pub heartbeat_secs: Option<u64>,
    /// Sends of one report before the round gives up (transient errors only).
    pub max_attempts: u32,
    /// First retry delay; doubles on each attempt.
    pub retry_backoff_ms: u64,
    /// How long a restarted daemon waits for an earlier, unconfirmed
    /// submission that could still land before it leaves the round pending.
    pub pending_wait_secs: u64,
    /// How long a co-signer may take to answer.
    pub cosign_timeout_ms: u64,
    /// What counts toward the attested reserve (the file's `[eligibility]`);
    /// none: every source line counts.
    #[serde(skip)]
    pub eligibility: Option<EligibilityPolicy>,
}

impl Default for RoundSettings {
    fn default() -> Self {
        Self {
            heartbeat_secs: None,
            max_attempts: 5,
            retry_backoff_ms: 500,
            pending_wait_secs: 90,
            cosign_timeout_ms: 5_000,
            eligibility: None,
        }
    }
}

/// When the daemon alarms (refuses, or reports unhealthy).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Alarms {
    /// A reserve drop larger than this (basis points of the attested reserve)
    /// is refused unless `--allow-drop`.
    pub max_drop_bps: u16,
    /// `/health` fails when the on-chain attestation is older than this;
    /// unset means the program's max attestation age.
    pub max_attestation_age_secs: Option<u64>,
    /// `/health` fails when the payer holds less than this.
    pub min_payer_lamports: u64,
}

impl Default for Alarms {
    fn default() -> Self {
        Self {
            max_drop_bps: 100,
            max_attestation_age_secs: None,
            min_payer_lamports: 10_000_000,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SourceConfig {
    File(FileSourceConfig),
    Http(HttpSourceConfig),
    #[serde(rename = "bank_statement")]
    BankStatement(BankSourceConfig),
}

impl SourceConfig {
    pub fn name(&self) -> &str {
        match self {
            Self::File(c) => &c.name,
            Self::Http(c) => &c.name,
            Self::BankStatement(c) => &c.name,
        }
    }

    pub fn holding(&self) -> Option<&Holding> {
        match self {
            Self::File(c) => c.holding.as_ref(),
            Self::Http(c) => c.holding.as_ref(),
            Self::BankStatement(c) => c.holding.as_ref(),
        }
    }

    /// A T-bill line names its maturity as a date; other lines name none.
    fn check_holding(&self) -> Result<()> {
        let Some(holding) = self.holding() else {
            return Ok(());
        };
        let name = self.name();
        if holding.custodian.trim().is_empty() || holding.account.trim().is_empty() {
            bail!("source {name}: holding.custodian and holding.account must not be empty");
        }
        match (&holding.maturity, holding.asset_class) {
            (None, AssetClass::TreasuryBill) => {
                bail!("source {name}: a treasury_bill holding needs its maturity (YYYY-MM-DD)")
            }
            (Some(date), AssetClass::TreasuryBill) => {
                if usd1_client::reserve_report::unix_of_date(date).is_none() {
                    bail!("source {name}: maturity {date} is not a YYYY-MM-DD date");
                }
            }
            (Some(_), class) => {
                bail!("source {name}: only treasury bills have a maturity, not {class}")
            }
            (None, _) => {}
        }
        Ok(())
    }

    pub fn build(&self) -> Result<Arc<dyn Source>> {
        Ok(match self {
            Self::File(c) => Arc::new(FileSource::new(c.clone()).map_err(|e| anyhow!(e))?),
            Self::Http(c) => Arc::new(HttpSource::new(c.clone()).map_err(|e| anyhow!(e))?),
            Self::BankStatement(c) => Arc::new(BankSource::new(c.clone()).map_err(|e| anyhow!(e))?),
        })
    }
}

/// `sources` with their paths resolved against `base`, each built once (so a
/// bad URL or format is refused at load), no two with one name. The daemon
/// and the co-signer read their sources alike.
pub fn checked_sources(sources: Vec<SourceConfig>, base: &Path) -> Result<Vec<SourceConfig>> {
    let mut checked: Vec<SourceConfig> = Vec::new();
    for source in sources {
        if checked.iter().any(|s| s.name() == source.name()) {
            bail!("two sources are named {}", source.name());
        }
        let source = match source {
            SourceConfig::File(mut c) => {
                c.path = resolve_path(base, &c.path);
                SourceConfig::File(c)
            }
            SourceConfig::BankStatement(mut c) => {
                c.folder = resolve_path(base, &c.folder);
                SourceConfig::BankStatement(c)
            }
            other => other,
        };
        source.check_holding()?;
        source.build()?;
        checked.push(source);
    }
    Ok(checked)
}

/// `path` as written in a config file at `base`: relative paths are relative to the file.
pub fn resolve_path(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// What a config says of the chain, checked: its RPC nodes (at least one,
/// each http(s)), the commitment and the mint.
pub fn checked_chain(
    urls: &[String],
    commitment: &str,
    mint: &str,
) -> Result<(CommitmentConfig, Pubkey)> {
    checked_rpc_urls(urls)?;
    let commitment = CommitmentConfig::from_str(commitment)
        .map_err(|_| anyhow!("commitment must be processed, confirmed or finalized"))?;
    let mint =
        Pubkey::from_str(mint).map_err(|_| anyhow!("mint {mint} is not a base58 address"))?;
    Ok((commitment, mint))
}

/// The RPC nodes a config names, checked: at least one, each http(s).
fn checked_rpc_urls(urls: &[String]) -> Result<()> {
    if urls.is_empty() {
        bail!("rpc_urls is empty");
    }
    for url in urls {
        let parsed = reqwest::Url::parse(url).with_context(|| format!("bad rpc url {url}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            bail!("rpc url {url} must be http or https");
        }
    }
    Ok(())
}

/// One ledger over `urls`, failing over in order when there are several.
pub fn ledger_for(
    urls: &[String],
    commitment: CommitmentConfig,
) -> Result<Arc<dyn usd1_client::Ledger>> {
    let mut ledgers: Vec<Arc<dyn usd1_client::Ledger>> = urls
        .iter()
        .map(|url| {
            Arc::new(usd1_client::rpc::RpcLedger::new(url.clone(), commitment))
                as Arc<dyn usd1_client::Ledger>
        })
        .collect();
    Ok(match ledgers.len() {
        0 => bail!("no RPC url"),
        1 => ledgers.remove(0),
        _ => Arc::new(crate::failover::Failover::new(ledgers)),
    })
}

/// A checked configuration, keys loaded.
pub struct Config {
    pub rpc_urls: Vec<String>,
    pub commitment: CommitmentConfig,
    pub mint: Pubkey,
    pub payer: SharedSigner,
    pub attestors: Vec<SharedSigner>,
    pub cosigners: Vec<CosignerRef>,
    pub interval: Duration,
    pub output_dir: PathBuf,
    pub metrics_addr: SocketAddr,
    pub round: RoundSettings,
    pub alarms: Alarms,
    pub sources: Vec<SourceConfig>,
}

impl Config {
    /// Reads `path`, applies overrides from `env` (a lookup, so tests need not
    /// touch the process environment), and checks everything.
    pub fn load(path: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        Self::parse(&text, base, env).with_context(|| format!("config file {}", path.display()))
    }

    pub fn parse(text: &str, base: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut table: toml::Table = toml::from_str(text)?;
        for (variable, key, kind) in ENV_OVERRIDES {
            let Some(value) = env(variable) else { continue };
            let value = match kind {
                EnvKind::Text => toml::Value::String(value),
                EnvKind::Integer => toml::Value::Integer(
                    value
                        .trim()
                        .parse()
                        .with_context(|| format!("{variable}={value} is not an integer"))?,
                ),
                EnvKind::List => toml::Value::Array(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| toml::Value::String(s.to_string()))
                        .collect(),
                ),
            };
            table.insert(key.to_string(), value);
        }
        let file: FileConfig = table.try_into()?;
        let resolve = |p: &Path| resolve_path(base, p);
        let (commitment, mint) = checked_chain(&file.rpc_urls, &file.commitment, &file.mint)?;
        let payer = keystore::signer_from(&file.payer_keypair, resolve)?;
        if file.attestor_keypairs.is_empty() && file.cosigners.is_empty() {
            bail!("attestor_keypairs and cosigners are both empty: the daemon has nothing to sign with");
        }
        let mut attestors: Vec<SharedSigner> = Vec::new();
        for path in &file.attestor_keypairs {
            let keypair = keystore::signer_from(path, resolve)?;
            if attestors.iter().any(|a| a.pubkey() == keypair.pubkey()) {
                bail!("attestor key {} is listed twice", keypair.pubkey());
            }
            attestors.push(keypair);
        }
        if usd1::constants::MAX_ATTESTORS < attestors.len() {
            bail!(
                "more attestor keys than the program's {} attestors",
                usd1::constants::MAX_ATTESTORS
            );
        }
        let mut cosigners: Vec<CosignerRef> = Vec::new();
        for entry in &file.cosigners {
            let parsed = reqwest::Url::parse(&entry.url)
                .with_context(|| format!("bad co-signer url {}", entry.url))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                bail!("co-signer url {} must be http or https", entry.url);
            }
            if !keeps_token_private(&parsed) && !entry.allow_insecure {
                bail!(
                    "co-signer url {} is plain http to another machine: its bearer token would \
                     cross the network in clear; use https, or set allow_insecure = true on this \
                     [[cosigners]] entry if the network between is private",
                    entry.url
                );
            }
            let attestor = Pubkey::from_str(&entry.attestor).map_err(|_| {
                anyhow!(
                    "co-signer attestor {} is not a base58 address",
                    entry.attestor
                )
            })?;
            if attestors.iter().any(|a| a.pubkey() == attestor)
                || cosigners.iter().any(|c| c.attestor == attestor)
            {
                bail!("attestor {attestor} is listed twice (held keys and co-signers)");
            }
            let token = env(&entry.token_env)
                .filter(|t| !t.trim().is_empty())
                .with_context(|| {
                    format!(
                        "the bearer token variable {} of co-signer {} is not set",
                        entry.token_env, entry.url
                    )
                })?;
            cosigners.push(CosignerRef {
                url: entry.url.clone(),
                attestor,
                token,
            });
        }
        if file.interval_secs == 0 {
            bail!("interval_secs must be positive");
        }
        let metrics_addr: SocketAddr = file
            .metrics_addr
            .parse()
            .with_context(|| format!("metrics_addr {} is not HOST:PORT", file.metrics_addr))?;
        if file.round.max_attempts == 0 {
            bail!("round.max_attempts must be at least 1");
        }
        if file.alarms.max_drop_bps > 10_000 {
            bail!("alarms.max_drop_bps is at most 10000");
        }
        if file.sources.is_empty() {
            bail!("no [[sources]]: there is nothing to attest");
        }
        let sources = checked_sources(file.sources, base)?;
        if let Some(policy) = &file.eligibility {
            policy.check().map_err(|e| anyhow!("[eligibility]: {e}"))?;
        }
        let mut round = file.round;
        round.eligibility = file.eligibility;
        Ok(Self {
            rpc_urls: file.rpc_urls,
            commitment,
            mint,
            payer,
            attestors,
            cosigners,
            interval: Duration::from_secs(file.interval_secs),
            output_dir: resolve(&file.output_dir),
            metrics_addr,
            round,
            alarms: file.alarms,
            sources,
        })
    }

    /// What `--check-config` prints.
    pub fn summary(&self) -> String {
        let mut lines = vec![
            format!("mint:            {}", self.mint),
            format!(
                "rpc:             {} ({:?})",
                self.rpc_urls.join(", "),
                self.commitment.commitment
            ),
            format!("payer:           {}", self.payer.pubkey()),
        ];
        for attestor in &self.attestors {
            lines.push(format!("attestor key:    {}", attestor.pubkey()));
        }
        for cosigner in &self.cosigners {
            lines.push(format!(
                "co-signer:       {} at {}",
                cosigner.attestor, cosigner.url
            ));
        }
        lines.push(format!("interval:        {}s", self.interval.as_secs()));
        lines.push(format!("reports:         {}", self.output_dir.display()));
        lines.push(format!(
            "metrics:         http://{}/metrics",
            self.metrics_addr
        ));
        for source in &self.sources {
            let detail = match source {
                SourceConfig::File(c) => {
                    format!("file {} (max age {}s)", c.path.display(), c.max_age_secs)
                }
                SourceConfig::Http(c) => format!("http {} (max age {}s)", c.url, c.max_age_secs),
                SourceConfig::BankStatement(c) => format!(
                    "bank statements of {} in {} (max age {}s)",
                    c.account,
                    c.folder.display(),
                    c.max_age_secs
                ),
            };
            let holds = match source.holding() {
                Some(h) => format!(
                    "; {} at {} ({}{})",
                    h.asset_class,
                    h.custodian,
                    h.account,
                    h.maturity
                        .as_ref()
                        .map_or(String::new(), |m| format!(", matures {m}"))
                ),
                None => String::new(),
            };
            lines.push(format!("source {}: {detail}{holds}", source.name()));
        }
        if let Some(policy) = &self.round.eligibility {
            lines.push(format!(
                "eligibility:     {}",
                serde_json::to_string(policy).unwrap_or_default()
            ));
        }
        lines.join("\n")
    }
}
