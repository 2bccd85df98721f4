//! `usd1-desk run`: the inbox watched, each bank file imported, a mint
//! pass (and with `--treasurer …` a payout pass), each day reconciled once
//! it has ended and its closing balance has arrived; with `--listen`, the HTTP API and its webhooks'
//! deliverer beside it.
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use usd1_client::screening::Screener;
use usd1_desk::reconcile::reconcile_days;
use usd1_desk::store::statements::{ImportError, Intake};
use usd1_desk::store::Store;

use crate::{minter, payer, signed_dollars, Chain, Treasury};

/// The API `run` serves when `--listen` is given.
#[derive(Debug, clap::Args)]
pub struct ApiArgs {
    /// Where the API listens (none without it).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Deposit instructions: the beneficiary's name on the issuer's account.
    #[arg(long, default_value = "USD1 Issuer Ltd")]
    deposit_beneficiary: String,
    /// Deposit instructions: the issuer's bank.
    #[arg(long, default_value = "")]
    deposit_bank: String,
    /// Deposit instructions: the issuer's account number.
    #[arg(long, default_value = "")]
    deposit_account: String,
    /// Deposit instructions: the issuer's bank's ABA routing number.
    #[arg(long, default_value = "")]
    deposit_routing: String,
    /// A sanctions list (repeatable): OFAC SDN_ADVANCED.XML, SDN.XML or the
    /// issuer's CSV. Wallets registered through the API are screened
    /// against it, and every wallet again whenever a list file changes.
    #[arg(long = "list", value_name = "FILE")]
    lists: Vec<PathBuf>,
    /// Let webhooks go to loopback and private addresses (development).
    #[arg(long)]
    allow_private_webhooks: bool,
}

/// The API and its deliverer, when `--listen` is given: stopped when dropped.
struct Serving(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Serving {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

async fn serve_api(store: &Store, api: &ApiArgs, intake: Intake) -> anyhow::Result<Serving> {
    let Some(listen) = api.listen else {
        return Ok(Serving(Vec::new()));
    };
    let screener = Screener::read(&api.lists)?;
    let state = Arc::new(usd1_desk::api::DeskApi {
        store: store.clone(),
        gate: usd1_service::api::Gate::new(store.kit().clone(), Default::default()),
        intake,
        screener: Arc::new(screener),
        deposit_account: usd1_desk::api::DepositAccount {
            beneficiary: api.deposit_beneficiary.clone(),
            bank: api.deposit_bank.clone(),
            account: api.deposit_account.clone(),
            routing: api.deposit_routing.clone(),
        },
        allow_private_webhooks: api.allow_private_webhooks,
        max_webhooks_per_key: usd1_service::webhooks::DEFAULT_MAX_PER_KEY,
    });
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    eprintln!("usd1-desk: API on http://{}", listener.local_addr()?);
    let server = tokio::spawn(usd1_service::server::serve(
        listener,
        usd1_desk::api::router(state),
        Default::default(),
    ));
    let deliverer = usd1_service::delivery::Deliverer::new(
        store.kit().clone(),
        Default::default(),
        Duration::from_millis(200),
        api.allow_private_webhooks,
        concat!("usd1-desk/", env!("CARGO_PKG_VERSION")),
    );
    Ok(Serving(vec![server, tokio::spawn(deliverer.run())]))
}

/// Until stopped: files in, passes, reconciliations.
pub async fn run(
    store: &Store,
    chain: &Chain,
    treasury: &Treasury,
    inbox: &Path,
    reconcile_account: Option<&str>,
    poll_ms: u64,
    api: &ApiArgs,
) -> anyhow::Result<()> {
    let minter = minter(store, chain).await?;
    let _serving = serve_api(store, api, chain.intake.intake()?).await?;
    let payer = match treasury.given() {
        true => Some(payer(store, chain, treasury).await?),
        false => None,
    };
    let intake = chain.intake.intake()?;
    let (taken, refused) = (inbox.join("taken"), inbox.join("refused"));
    for dir in [&taken, &refused] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot make {}", dir.display()))?;
    }
    let mut lists = Lists::default();
    loop {
        // A list that changed screens every wallet again.
        match lists.current(&api.lists) {
            Ok(Some(screener)) => match store.rescreen_wallets(&screener).await {
                Ok(found) => {
                    for listed in found {
                        eprintln!(
                            "usd1-desk: wallet {} of {} is LISTED ({}): held {}",
                            listed.address,
                            listed.customer_id,
                            listed.why,
                            listed.held.join(", ")
                        );
                    }
                }
                Err(error) => eprintln!("usd1-desk: rescreen failed: {error}"),
            },
            Ok(None) => {}
            Err(error) => {
                eprintln!("usd1-desk: a list cannot be read (the last one read stays): {error}")
            }
        }
        for file in arrivals(inbox)? {
            let name = file.file_name().context("a file name")?.to_owned();
            match store_import(store, &file, intake).await {
                Ok(imported) => {
                    eprintln!(
                        "usd1-desk: {}: {} new entries, {} deposits moved",
                        file.display(),
                        imported.new_entries,
                        imported.deposits.len()
                    );
                    std::fs::rename(&file, taken.join(&name))?;
                }
                // Not a bank file we can read: set aside, named, never retried.
                Err(ImportError::Bank(error)) => {
                    eprintln!("usd1-desk: {}: refused: {error}", file.display());
                    std::fs::rename(&file, refused.join(&name))?;
                }
                // The database away: the file stays, tried again next time.
                Err(error) => {
                    eprintln!("usd1-desk: {}: not taken yet: {error}", file.display())
                }
            }
        }
        match minter.pass().await {
            Ok(pass) if !pass.minted.is_empty() || pass.stopped.is_some() => {
                eprintln!("usd1-desk: pass: {}", serde_json::to_string(&pass)?)
            }
            Ok(_) => {}
            Err(error) => eprintln!("usd1-desk: pass failed: {error}"),
        }
        if let Some(account) = reconcile_account {
            let days = store
                .unreconciled_days(account, usd1_service::time::now())
                .await
                .unwrap_or_default();
            if !days.is_empty() {
                match reconcile_days(store, &minter.usd1, &days, account).await {
                    Ok(answers) => {
                        for (day, answer) in days.iter().zip(answers) {
                            match answer {
                                Ok((_, report)) if report.balanced => {
                                    eprintln!("usd1-desk: {day} reconciled")
                                }
                                Ok((_, report)) => eprintln!(
                                    "usd1-desk: {day} BREAK: {} unexplained",
                                    signed_dollars(report.unexplained)
                                ),
                                Err(error) => {
                                    eprintln!("usd1-desk: {day} not reconciled: {error}")
                                }
                            }
                        }
                    }
                    Err(error) => eprintln!("usd1-desk: days not reconciled: {error}"),
                }
            }
        }
        if let Some(payer) = &payer {
            match payer.pass().await {
                Ok(pass) if pass != Default::default() => {
                    eprintln!("usd1-desk: payout: {}", serde_json::to_string(&pass)?)
                }
                Ok(_) => {}
                Err(error) => eprintln!("usd1-desk: payout pass failed: {error}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(poll_ms)).await;
    }
}

/// The screening lists as last read, read again when a file changes.
#[derive(Default)]
struct Lists {
    seen: Vec<(PathBuf, Option<std::time::SystemTime>, u64)>,
}

impl Lists {
    /// The lists, when they changed since the last look (or on the first).
    fn current(&mut self, paths: &[PathBuf]) -> anyhow::Result<Option<Screener>> {
        let now: Vec<(PathBuf, Option<std::time::SystemTime>, u64)> = paths
            .iter()
            .map(|p| {
                let meta = std::fs::metadata(p).ok();
                (
                    p.clone(),
                    meta.as_ref().and_then(|m| m.modified().ok()),
                    meta.map_or(0, |m| m.len()),
                )
            })
            .collect();
        if paths.is_empty() || now == self.seen {
            return Ok(None);
        }
        let screener = Screener::read(paths)?;
        self.seen = now;
        Ok(Some(screener))
    }
}

/// [`import`], its error kept whole (a bad file, or the database away).
async fn store_import(
    store: &Store,
    file: &Path,
    intake: Intake,
) -> Result<usd1_desk::store::statements::Imported, ImportError> {
    let bytes = std::fs::read(file).map_err(|e| {
        ImportError::Bank(usd1_client::bank::BankError {
            file: file.display().to_string(),
            fault: usd1_client::bank::Fault::NotABankFile { why: e.to_string() },
        })
    })?;
    store
        .import_statement(&file.display().to_string(), &bytes, intake)
        .await
}

/// Files waiting in the inbox (not partial ones a sender is still writing), oldest name first.
fn arrivals(inbox: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(inbox)
        .with_context(|| format!("cannot read the inbox {}", inbox.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "partial" && e != "tmp"))
        .collect();
    files.sort();
    Ok(files)
}
