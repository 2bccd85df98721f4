//! `usd1 key new SOURCE` and `usd1 key show SOURCE`: a key made in an HSM
//! (`pkcs11:…`) or a vault (`vault://…`), its public key printed — the
//! solana-keygen habits for keys that never touch a disk. `show` reads any
//! signer source, a keypair file included.
use std::fmt;

use anyhow::{anyhow, bail, Result};
use serde::Serialize;
use solana_sdk::signature::Signer;
use usd1_client::keystore;

use crate::Output;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Make a new Ed25519 key in the HSM or vault SOURCE names (never
    /// extractable) and print its public key.
    New {
        /// `pkcs11:token=…;object=LABEL?module-path=…&pin-source=…` or
        /// `vault://HOST:PORT/transit/keys/NAME` (`vault+http://` for plain HTTP).
        source: String,
    },
    /// Print the public key of SOURCE (an HSM or vault key, or a keypair file).
    Show { source: String },
}

#[derive(Debug, Serialize)]
struct Key {
    source: String,
    pubkey: String,
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.pubkey)
    }
}

pub fn run(args: Args) -> Result<Output> {
    let (source, pubkey) = match args.action {
        Action::New { source } => {
            if !keystore::is_keystore(&source) {
                bail!(
                    "{source}: usd1 key new makes keys in an HSM (pkcs11:) or a vault \
                     (vault://); a keypair file is made with solana-keygen new"
                );
            }
            let pubkey = keystore::create(&source).map_err(|e| anyhow!("{e}"))?;
            (source, pubkey)
        }
        Action::Show { source } => {
            let pubkey = match keystore::is_keystore(&source) {
                true => keystore::public_key(&source).map_err(|e| anyhow!("{e}"))?,
                false => crate::read_keypair(&source)?.pubkey(),
            };
            (source, pubkey)
        }
    };
    Ok(Output::new(&Key {
        source,
        pubkey: pubkey.to_string(),
    }))
}
