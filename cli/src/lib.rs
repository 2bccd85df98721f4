//! `usd1`: the issuer, holder and auditor command line. It parses, calls
//! `usd1-client` over a `Ledger`, and prints one value either as text or as
//! JSON. `execute` is the whole CLI minus argument parsing and the network, so
//! tests run the same command code over the in-process ledger.
pub mod commands;
pub mod config;
pub mod output;
pub mod progress;
pub mod signers;

use std::str::FromStr;
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use clap::{Parser, Subcommand};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_signer::null_signer::NullSigner;
use usd1_client::signing::{SharedSigner, Signing};
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
    /// Signer source of the role key that signs, and pays unless
    /// --fee-payer: a keypair file (solana-keygen JSON), prompt://, stdin://,
    /// a key in an HSM (pkcs11:…) or a vault (vault://…), or a public key
    /// whose signature comes with --signer.
    #[arg(short = 'k', long = "keypair", global = true, value_name = "KEYPAIR")]
    pub keypair: Option<String>,
    /// Solana CLI config file.
    #[arg(short = 'C', long = "config", global = true, value_name = "PATH")]
    pub config: Option<String>,
    /// processed, confirmed or finalized.
    #[arg(long, global = true, value_name = "LEVEL")]
    pub commitment: Option<String>,
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Display)]
    pub output: OutputFormat,
    /// Send at most N JSON-RPC requests a second (for public RPC nodes).
    /// Requests refused with 429 or a 5xx, or timed out, are tried again
    /// after a doubling pause or the node's Retry-After, whatever this is.
    #[arg(long = "rpc-rate", global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rpc_rate: Option<u32>,
    /// Seconds one JSON-RPC request may take before it counts as unanswered
    /// (a transaction whose answer is lost is confirmed by its signature).
    #[arg(long = "rpc-timeout", global = true, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub rpc_timeout: u64,
    #[command(flatten)]
    pub signing: signers::SigningArgs,
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
    /// Write the transparency page: supply, reserve, composition, attestations, redemptions, disclosure, audit.
    Transparency(commands::transparency::Args),
    /// Officers certify a report; anyone verifies the certification.
    Report(commands::report::Args),
    /// Screen addresses, or every holder of a mint, against sanctions lists.
    Screen(commands::screen::Args),
    /// Bank files: read statements and status reports, write a payment file.
    Bank(commands::bank::Args),
    /// Bring a mint to a bootstrap plan (initialize, roles, attestors, policy, disclosure, minters); re-runnable.
    Bootstrap(commands::bootstrap::Args),
    /// Keys in an HSM or a vault: make one, show a public key.
    Key(commands::key::Args),
}

impl Command {
    /// Whether `--signer` may name keypair files: attestor keys for `usd1
    /// attest`, an officer's key for `usd1 report certify`. Elsewhere it is
    /// a `PUBKEY=SIGNATURE` collected offline.
    pub fn takes_keypair_signers(&self) -> bool {
        matches!(self, Self::Attest(_) | Self::Report(_))
    }

    /// Whether the command needs `-k`: it signs, or (`balance` without an
    /// owner) asks for the keypair's own address. The read-only ones — what
    /// an auditor runs, with no key at all — do not.
    pub fn needs_keypair(&self) -> bool {
        match self {
            Self::Status(_) | Self::Attestations(_) | Self::Audit(_) | Self::Transparency(_) => {
                false
            }
            Self::Balance(args) => args.owner.is_none(),
            Self::Screen(_) | Self::Report(_) | Self::Bank(_) | Self::Key(_) => false,
            Self::Redeem(args) => !matches!(args.action, commands::redeem::Action::List { .. }),
            _ => true,
        }
    }
}

/// What every command works with: a ledger, the role key that signs, the
/// account that pays, and how transactions are finished.
#[derive(Clone)]
pub struct Context {
    pub ledger: Arc<dyn Ledger>,
    pub keypair: SharedSigner,
    pub fee_payer: SharedSigner,
    pub signing: Signing,
    /// With signing only, print the transaction message too.
    pub dump_message: bool,
    /// The flags other signer sources (multisig members) are loaded with.
    pub flags: signers::SigningArgs,
    /// Show the progress of long reads on standard error (a terminal, not JSON).
    pub progress: bool,
}

impl Context {
    /// `keypair` signs and pays; transactions are signed here and sent.
    pub fn new(ledger: Arc<dyn Ledger>, keypair: SharedSigner) -> Self {
        Self {
            ledger,
            fee_payer: keypair.clone(),
            keypair,
            signing: Signing::default(),
            dump_message: false,
            flags: signers::SigningArgs::default(),
            progress: false,
        }
    }

    /// This context showing (or not) the progress of long reads.
    pub fn with_progress(mut self, progress: bool) -> Self {
        self.progress = progress;
        self
    }

    /// This context with another account paying fees and rent.
    pub fn with_fee_payer(mut self, fee_payer: SharedSigner) -> Self {
        self.fee_payer = fee_payer;
        self
    }

    /// This context finishing transactions as `signing` says.
    pub fn with_signing(mut self, signing: Signing, dump_message: bool) -> Self {
        self.signing = signing;
        self.dump_message = dump_message;
        self
    }

    /// The context the offline-signing flags describe: their signer sources
    /// loaded, the nonce read and checked. `command` decides whether
    /// `--signer` may name attestor keypair files (`usd1 attest` only).
    pub async fn from_flags(
        ledger: Arc<dyn Ledger>,
        keypair_source: &str,
        flags: &signers::SigningArgs,
        command: &Command,
    ) -> Result<Self> {
        flags.check(command.takes_keypair_signers())?;
        if !command.needs_keypair() {
            // Nothing is signed: no key is loaded, so none need exist.
            let nobody: SharedSigner = Arc::new(NullSigner::new(&Pubkey::default()));
            return Ok(Self::new(ledger, nobody).with_flags(flags.clone()));
        }
        let keypair = flags.signer(keypair_source, "keypair")?;
        let fee_payer = match &flags.fee_payer {
            Some(source) => flags.signer(source, "fee-payer")?,
            None => keypair.clone(),
        };
        let signing = flags.signing(ledger.as_ref(), &keypair).await?;
        Ok(Self::new(ledger, keypair)
            .with_fee_payer(fee_payer)
            .with_signing(signing, flags.dump_transaction_message)
            .with_flags(flags.clone()))
    }

    /// This context with the flags further signer sources (multisig
    /// members, attestor keys) are read with.
    pub fn with_flags(mut self, flags: signers::SigningArgs) -> Self {
        self.flags = flags;
        self
    }

    /// Loads one more signer source (a multisig member), with the same
    /// presigned signatures and signing-only setting as the others.
    pub fn signer_from(&self, source: &str, name: &str) -> Result<SharedSigner> {
        let mut flags = self.flags.clone();
        flags.sign_only = self.signing.sign_only;
        flags.signer(source, name)
    }

    /// Whether transactions are anything but signed here and sent now.
    pub fn offline(&self) -> bool {
        self.signing.sign_only || self.signing.blockhash.is_some() || self.signing.nonce.is_some()
    }

    /// Refuses the offline-signing flags for a command that sends more than
    /// one transaction (each would need its own signatures).
    pub fn one_transaction_only(&self, command: &str) -> Result<()> {
        if self.offline() || self.fee_payer.pubkey() != self.keypair.pubkey() {
            bail!(
                "`usd1 {command}` sends many transactions: --sign-only, --blockhash, --signer, \
                 --nonce and --fee-payer apply to single-transaction commands only"
            );
        }
        Ok(())
    }

    /// A handle on an existing USD1 mint, with a clear error when it is not one.
    pub async fn usd1(&self, mint: &Pubkey) -> Result<Usd1<dyn Ledger>> {
        match Usd1::connect(self.ledger.clone(), self.fee_payer.clone(), *mint).await {
            Ok(handle) => Ok(handle.with_signing(self.signing.clone())),
            Err(ClientError::AccountNotFound(_)) => {
                bail!("{mint} is not a USD1 mint on this cluster (it has no USD1 config)")
            }
            Err(other) => Err(other.into()),
        }
    }

    pub fn signer(&self) -> &(dyn Signer + Sync) {
        &self.keypair
    }

    pub fn pubkey(&self) -> Pubkey {
        self.keypair.pubkey()
    }
}

/// Runs one command. Signing only, a command ends at its transaction and
/// prints the signatures present and absent.
pub async fn execute(ctx: &Context, command: Command) -> Result<Output> {
    match run(ctx, command).await {
        Err(err) => match err.downcast_ref::<ClientError>() {
            Some(ClientError::SignedOnly(tx)) => {
                Ok(Output::new(&signers::SignedOnly::new(tx, ctx.dump_message)))
            }
            _ => Err(err),
        },
        ok => ok,
    }
}

async fn run(ctx: &Context, command: Command) -> Result<Output> {
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
        Command::Screen(args) => screen::run(ctx, args).await,
        Command::Bank(args) => bank::run(args).await,
        Command::Key(args) => key::run(args),
        Command::Report(args) => report::run(ctx, args).await,
        Command::Bootstrap(args) => bootstrap::run(ctx, args).await,
        Command::Transparency(args) => transparency::run(ctx, args).await,
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
