//! Settings the solana CLI way: flags win over the config file
//! (`~/.config/solana/cli/config.yml`: json_rpc_url, keypair_path,
//! commitment), which wins over the defaults; `-u` takes monikers.
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use solana_cli_config::{Config, ConfigInput, CONFIG_FILE};
use solana_commitment_config::CommitmentConfig;

use crate::Cli;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub json_rpc_url: String,
    pub keypair_path: String,
    pub commitment: CommitmentConfig,
}

/// Resolves the settings for `cli`. A config file named with `-C` must exist;
/// the default one is used only if present.
pub fn resolve(cli: &Cli) -> Result<Settings> {
    let file = match &cli.config {
        Some(path) => Some(
            Config::load(&expand_home(path).to_string_lossy())
                .with_context(|| format!("cannot read config file {path}"))?,
        ),
        None => CONFIG_FILE
            .as_ref()
            .and_then(|path| Config::load(path).ok()),
    };
    let file = file.unwrap_or_else(|| Config {
        json_rpc_url: String::new(),
        keypair_path: String::new(),
        commitment: String::new(),
        ..Config::default()
    });
    let (_, json_rpc_url) = ConfigInput::compute_json_rpc_url_setting(
        cli.url.as_deref().unwrap_or(""),
        &file.json_rpc_url,
    );
    let (_, keypair_path) = ConfigInput::compute_keypair_path_setting(
        cli.keypair.as_deref().unwrap_or(""),
        &file.keypair_path,
    );
    let commitment_flag = cli.commitment.as_deref().unwrap_or("");
    if !commitment_flag.is_empty() && commitment_flag.parse::<CommitmentConfig>().is_err() {
        anyhow::bail!(
            "--commitment must be processed, confirmed or finalized, not '{commitment_flag}'"
        );
    }
    let (_, commitment) = ConfigInput::compute_commitment_config(commitment_flag, &file.commitment);
    Ok(Settings {
        json_rpc_url,
        keypair_path,
        commitment,
    })
}

/// `~/x` → `$HOME/x`.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}
