//! `usd1`: the issuer, holder and auditor command line. It parses, calls
//! `usd1-client` over a `Ledger`, and prints one value either as text or as
//! JSON. `execute` is the whole CLI minus argument parsing and the network, so
//! tests run the same command code over the in-process ledger.
pub mod commands;
pub mod config;
pub mod output;

use std::str::FromStr;
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use clap::{Parser, Subcommand};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use usd1_client::{parse_amount, ClientError, Ledger, Usd1};

pub use output::{Output, OutputFormat};

/// The reserve-backed USD1 stablecoin: issuer, holder and auditor commands.
#[derive(Debug, Parser)]
#[command(name = "usd1", version, about)]
pub struct Cli {
    /// JSON-RPC URL or moniker (mainnet-beta, devnet, testnet, localhost).
    #[arg(
        short = 'u',
        long = "url",
        global = true,
        value_name = "URL_OR_MONIKER"
    )]
    pub url: Option<String>,
    /// Keypair file that pays fees and signs (solana-keygen JSON).
    #[arg(short = 'k', long = "keypair", global = true, value_name = "PATH")]
    pub keypair: Option<String>,
    /// Solana CLI config file.
    #[arg(short = 'C', long = "config", global = true, value_name = "PATH")]
    pub config: Option<String>,
    /// processed, confirmed or finalized.
    #[arg(long, global = true, value_name = "LEVEL")]
    pub commitment: Option<String>,
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Display)]
    pub output: OutputFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new USD1 mint with this keypair as admin.
    Init(commands::init::Args),
    /// Hand a role to a key.
    Role(commands::role::Args),
    /// Two-step admin transfer.
    Admin(commands::admin::Args),
    /// Configure or remove a minter.
    Minter(commands::minter::Args),
    /// Replace the attestor set and threshold.
    Attestors(commands::attestors::Args),
    /// Set the maximum attestation age and the reserve margin.
    Policy(commands::policy::Args),
    /// Sign and submit a reserve attestation.
    Attest(commands::attest::Args),
    /// Mint to an owner (creates its token account if missing).
    Mint(commands::mint::Args),
    /// Burn from this minter's own token account.
    Burn(commands::burn::Args),
    /// Freeze an owner's (or a token) account.
    Freeze(commands::freeze::Args),
    /// Thaw an owner's (or a token) account.
    Thaw(commands::freeze::Args),
    /// Pause minting and settlement.
    Pause(commands::pause::Args),
    /// Lift a pause.
    Unpause(commands::pause::Args),
    /// Send tokens to a recipient (creates its token account if missing).
    Transfer(commands::transfer::Args),
    /// An owner's balance (default: this keypair).
    Balance(commands::balance::Args),
    /// Redemption requests: request, list, settle, reject.
    Redeem(commands::redeem::Args),
    /// Publish the holder disclosure.
    Disclosure(commands::disclosure::Args),
    /// Move tokens out of an account (permanent-delegate mints).
    Seize(commands::seize::Args),
    /// Supply, reserve, coverage, attestation age, pause, roles, policy, disclosure.
    Status(commands::status::Args),
    /// Recent attestations, newest first.
    Attestations(commands::attestations::Args),
    /// Re-verify every attestation and mint from the transaction history.
    Audit(commands::audit::Args),
    /// Pay many recipients from a CSV (recipient,amount[,memo]), resumably.
    Pay(commands::pay::Args),
    /// Bring a mint to a bootstrap plan (initialize, roles, attestors, policy, disclosure, minters); re-runnable.
    Bootstrap(commands::bootstrap::Args),
}

/// What every command works with: a ledger and the keypair that pays and signs.
#[derive(Clone)]
pub struct Context {
    pub ledger: Arc<dyn Ledger>,
    pub keypair: Arc<Keypair>,
}

impl Context {
    pub fn new(ledger: Arc<dyn Ledger>, keypair: Arc<Keypair>) -> Self {
        Self { ledger, keypair }
    }

    /// A handle on an existing USD1 mint, with a clear error when it is not one.
    pub async fn usd1(&self, mint: &Pubkey) -> Result<Usd1<dyn Ledger>> {
        match Usd1::connect(self.ledger.clone(), self.keypair.clone(), *mint).await {
            Ok(handle) => Ok(handle),
            Err(ClientError::AccountNotFound(_)) => {
                bail!("{mint} is not a USD1 mint on this cluster (it has no USD1 config)")
            }
            Err(other) => Err(other.into()),
        }
    }

    pub fn signer(&self) -> &Keypair {
        &self.keypair
    }

    pub fn pubkey(&self) -> Pubkey {
        self.keypair.pubkey()
    }
}

/// Runs one command.
pub async fn execute(ctx: &Context, command: Command) -> Result<Output> {
    use commands::*;
    match command {
        Command::Init(args) => init::run(ctx, args).await,
        Command::Role(args) => role::run(ctx, args).await,
        Command::Admin(args) => admin::run(ctx, args).await,
        Command::Minter(args) => minter::run(ctx, args).await,
        Command::Attestors(args) => attestors::run(ctx, args).await,
        Command::Policy(args) => policy::run(ctx, args).await,
        Command::Attest(args) => attest::run(ctx, args).await,
        Command::Mint(args) => mint::run(ctx, args).await,
        Command::Burn(args) => burn::run(ctx, args).await,
        Command::Freeze(args) => freeze::run(ctx, args, true).await,
        Command::Thaw(args) => freeze::run(ctx, args, false).await,
        Command::Pause(args) => pause::run(ctx, args, true).await,
        Command::Unpause(args) => pause::run(ctx, args, false).await,
        Command::Transfer(args) => transfer::run(ctx, args).await,
        Command::Balance(args) => balance::run(ctx, args).await,
        Command::Redeem(args) => redeem::run(ctx, args).await,
        Command::Disclosure(args) => disclosure::run(ctx, args).await,
        Command::Seize(args) => seize::run(ctx, args).await,
        Command::Status(args) => status::run(ctx, args).await,
        Command::Attestations(args) => attestations::run(ctx, args).await,
        Command::Audit(args) => audit::run(ctx, args).await,
        Command::Pay(args) => pay::run(ctx, args).await,
        Command::Bootstrap(args) => bootstrap::run(ctx, args).await,
    }
}

/// clap value parser for base58 public keys.
pub fn parse_pubkey(text: &str) -> std::result::Result<Pubkey, String> {
    Pubkey::from_str(text).map_err(|_| format!("'{text}' is not a valid base58 public key"))
}

/// An amount in token units ("1250.75") as base units of a mint with `decimals`.
pub fn amount(text: &str, decimals: u8) -> Result<u64> {
    parse_amount(text, decimals).map_err(|e| anyhow!("{e}"))
}

/// Reads a solana-keygen JSON keypair file (`~` expanded), saying plainly what is wrong with it.
pub fn read_keypair(path: &str) -> Result<Keypair> {
    Ok(usd1_client::keypair::read_keypair_file(
        &config::expand_home(path),
    )?)
}
