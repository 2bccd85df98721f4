//! The co-signer's configuration: its TOML file, checked at load.
use super::*;

fn default_listen_addr() -> String {
    String::from("127.0.0.1:9470")
}

fn default_commitment() -> String {
    String::from("confirmed")
}

fn default_rate() -> u32 {
    120
}

/// The co-signer's TOML file (the daemon's format: the same `rpc_urls`,
/// `commitment`, `mint` and `[[sources]]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    rpc_urls: Vec<String>,
    #[serde(default = "default_commitment")]
    commitment: String,
    mint: String,
    attestor_keypair: PathBuf,
    journal: PathBuf,
    #[serde(default = "default_listen_addr")]
    listen_addr: String,
    /// The environment variable holding the bearer token callers must present.
    token_env: String,
    /// How far above its own sources' total a proposal may be (basis points).
    #[serde(default)]
    tolerance_bps: u16,
    #[serde(default = "default_rate")]
    max_requests_per_minute: u32,
    /// This operator's own rules for what counts toward the reserve (the
    /// daemon's `[eligibility]`); a report under other rules is refused.
    #[serde(default)]
    eligibility: Option<EligibilityPolicy>,
    sources: Vec<SourceConfig>,
}

/// A checked co-signer configuration, key and token loaded.
pub struct CosignerConfig {
    pub rpc_urls: Vec<String>,
    pub commitment: CommitmentConfig,
    pub mint: Pubkey,
    pub attestor: usd1_client::signing::SharedSigner,
    pub journal: PathBuf,
    pub listen_addr: SocketAddr,
    pub token: String,
    pub tolerance_bps: u16,
    pub max_requests_per_minute: u32,
    pub eligibility: Option<EligibilityPolicy>,
    pub sources: Vec<SourceConfig>,
}

impl CosignerConfig {
    /// Reads `path` and checks everything; `env` looks up the token variable.
    pub fn load(path: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read co-signer config {}", path.display()))?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        Self::parse(&text, base, env)
            .with_context(|| format!("co-signer config {}", path.display()))
    }

    /// The journal a co-signer config at `path` names (its alarm file lies
    /// beside it), read without loading the key or the token.
    pub fn journal_of(path: &Path) -> Result<PathBuf> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read co-signer config {}", path.display()))?;
        let file: FileConfig = toml::from_str(&text)
            .with_context(|| format!("co-signer config {}", path.display()))?;
        Ok(resolve_path(
            path.parent().unwrap_or_else(|| Path::new(".")),
            &file.journal,
        ))
    }

    pub fn parse(text: &str, base: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let file: FileConfig = toml::from_str(text)?;
        let resolve = |p: &Path| resolve_path(base, p);
        let (commitment, mint) = checked_chain(&file.rpc_urls, &file.commitment, &file.mint)?;
        let attestor = usd1_client::keystore::signer_from(&file.attestor_keypair, resolve)?;
        let listen_addr: SocketAddr = file
            .listen_addr
            .parse()
            .with_context(|| format!("listen_addr {} is not HOST:PORT", file.listen_addr))?;
        let token = env(&file.token_env)
            .filter(|t| !t.trim().is_empty())
            .with_context(|| {
                format!(
                    "the bearer token variable {} is not set: a co-signer never runs without one",
                    file.token_env
                )
            })?;
        if file.tolerance_bps > 10_000 {
            bail!("tolerance_bps is at most 10000");
        }
        if file.max_requests_per_minute == 0 {
            bail!("max_requests_per_minute must be at least 1");
        }
        if file.sources.is_empty() {
            bail!("no [[sources]]: a co-signer signs only what its own sources show");
        }
        if let Some(policy) = &file.eligibility {
            policy
                .check()
                .map_err(|e| anyhow::anyhow!("[eligibility]: {e}"))?;
        }
        let sources = checked_sources(file.sources, base)?;
        Ok(Self {
            rpc_urls: file.rpc_urls,
            commitment,
            mint,
            attestor,
            journal: resolve(&file.journal),
            listen_addr,
            token,
            tolerance_bps: file.tolerance_bps,
            max_requests_per_minute: file.max_requests_per_minute,
            eligibility: file.eligibility,
            sources,
        })
    }
}
