//! Running the `usd1` CLI's own command code (argument parsing included)
//! over the in-process ledger, for the CLI tests: keypair files, a command
//! that must succeed, and one that must fail in one line changing nothing.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Keypair;
use usd1_cli::{execute, Cli, Context, Output};
use usd1_client::Ledger;

use crate::{Backend, Fixture};

/// Keypair files in a temporary folder, as solana-keygen writes them.
#[derive(Default)]
pub struct Keys {
    dir: KeyDir,
}

/// A temporary folder (made on creation, removed on drop).
struct KeyDir(tempfile::TempDir);

impl Default for KeyDir {
    fn default() -> Self {
        Self(tempfile::tempdir().expect("temp dir"))
    }
}

impl Keys {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn write(&self, name: &str, key: &Keypair) -> String {
        let path = self.dir.0.path().join(format!("{name}.json"));
        crate::tour::write_keypair(&path, key).unwrap();
        path.to_string_lossy().into_owned()
    }

    pub fn file(&self, name: &str, contents: &[u8]) -> String {
        let path: PathBuf = self.dir.0.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_string_lossy().into_owned()
    }

    pub fn path(&self) -> &Path {
        self.dir.0.path()
    }
}

/// Runs `usd1 ARGS…` with `signer` as the -k keypair.
pub async fn usd1<B: Backend>(
    f: &Fixture<B>,
    signer: &Keypair,
    args: &[&str],
) -> anyhow::Result<Output> {
    let cli = Cli::try_parse_from(std::iter::once("usd1").chain(args.iter().copied()))?;
    let ledger: Arc<dyn Ledger> = f.ledger.clone();
    cli.signing.check(cli.command.takes_keypair_signers())?;
    execute(
        &Context::new(ledger, Arc::new(signer.insecure_clone())).with_flags(cli.signing),
        cli.command,
    )
    .await
}

/// Runs `usd1 -k KEYPAIR ARGS…` with `keypair` a signer source (a file, a
/// key in an HSM or a vault) loaded as the CLI loads it.
pub async fn usd1_as<B: Backend>(
    f: &Fixture<B>,
    keypair: &str,
    args: &[&str],
) -> anyhow::Result<Output> {
    let cli = Cli::try_parse_from(std::iter::once("usd1").chain(args.iter().copied()))?;
    let ledger: Arc<dyn Ledger> = f.ledger.clone();
    let ctx = Context::from_flags(ledger, keypair, &cli.signing, &cli.command).await?;
    execute(&ctx, cli.command).await
}

/// Runs a command as `keypair` that must fail: its error in one line, once
/// nothing on-chain is seen to have changed.
pub async fn fails_as(f: &Fixture, keypair: &str, args: &[&str]) -> String {
    let before = f.snapshot().await;
    let err = usd1_as(f, keypair, args)
        .await
        .err()
        .unwrap_or_else(|| panic!("usd1 {} succeeded", args.join(" ")));
    assert_eq!(
        f.snapshot().await,
        before,
        "usd1 {} changed state",
        args.join(" ")
    );
    err.chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

pub async fn ok(f: &Fixture, signer: &Keypair, args: &[&str]) -> Output {
    match usd1(f, signer, args).await {
        Ok(output) => output,
        Err(err) => panic!("usd1 {}: {err:#}", args.join(" ")),
    }
}

/// Runs a command that must fail; returns its one-line error after checking
/// that nothing on-chain changed.
pub async fn fails(f: &Fixture, signer: &Keypair, args: &[&str]) -> String {
    let before = f.snapshot().await;
    let err = usd1(f, signer, args)
        .await
        .err()
        .unwrap_or_else(|| panic!("usd1 {} succeeded", args.join(" ")));
    assert_eq!(
        f.snapshot().await,
        before,
        "usd1 {} changed state",
        args.join(" ")
    );
    // Argument errors are clap's own (usage follows on later lines, as with
    // the solana CLI); every other error is one line.
    if let Some(usage) = err.downcast_ref::<clap::Error>() {
        return usage
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
    }
    let line = err
        .chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ");
    assert!(!line.contains('\n'), "not one line: {line}");
    line
}

pub fn s(key: &Pubkey) -> String {
    key.to_string()
}

/// The holder pays the Solana Pay request at `url` as a wallet would
/// (`usd1 transfer … --reference`): its amount, or `amount`.
pub async fn pay_request(f: &crate::Platform, url: &str, amount: Option<&str>) {
    let request =
        usd1_client::solana_pay::TransferRequest::parse(url, 6).expect("a Solana Pay URL");
    let amount = amount.map_or_else(
        || usd1_client::format_amount(request.amount.expect("amount"), 6),
        str::to_string,
    );
    let (mint, recipient) = (f.usd1.mint().to_string(), request.recipient.to_string());
    let reference = request.references[0].to_string();
    let args = [
        "transfer",
        amount.as_str(),
        &recipient,
        "--mint",
        &mint,
        "--reference",
        &reference,
    ];
    usd1(f, &f.holder, &args).await.expect("usd1 transfer");
}
