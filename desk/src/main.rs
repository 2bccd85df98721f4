//! `usd1-desk`: the issuer's operators' commands — customers and their KYB,
//! wallets and bank accounts; bank files in; deposits and their approval;
//! the mint pass (once, or `run` watching an inbox folder); the ledger.
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use usd1_client::bank::pain001::{Agent, Debtor};
use usd1_client::issuer::Usd1;
use usd1_client::rpc::RpcLedger;
use usd1_desk::decide::redeem::Stage;
use usd1_desk::decide::State;
use usd1_desk::mint::Minter;
use usd1_desk::payout::Payer;
use usd1_desk::reconcile::reconcile_day;
use usd1_desk::store::statements::Intake;
use usd1_desk::store::Store;

mod case_cli;
mod customer_cli;
mod serve_cli;

#[derive(Debug, Parser)]
#[command(name = "usd1-desk", version, about = "The USD1 issuance desk")]
struct Cli {
    /// The database: sqlite:PATH (embedded, created if missing) or postgres://…
    #[arg(
        long,
        global = true,
        env = "USD1_DESK_DATABASE",
        default_value = "sqlite:usd1-desk.db"
    )]
    database: String,
    /// Print JSON instead of text.
    #[arg(long, global = true, value_parser = ["text", "json"], default_value = "text")]
    output: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Customers: add, KYB, wallets, bank accounts, list, show.
    #[command(subcommand)]
    Customer(customer_cli::CustomerCommand),
    /// Imports bank files (camt.053, camt.052, camt.054, BAI2): each file
    /// once, each entry once; incoming wires become deposits.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        intake: IntakeArgs,
    },
    /// Deposits: list, approve (four eyes).
    #[command(subcommand)]
    Deposit(DepositCommand),
    /// One mint pass: what a crash left out, then every ready deposit.
    Mint(Chain),
    /// One payout pass: new redemption requests taken, a payment file
    /// (pain.001) for those due, what the bank answered settled or rejected on-chain.
    Pay {
        #[command(flatten)]
        chain: Chain,
        #[command(flatten)]
        treasury: Treasury,
    },
    /// Reconciles a day three ways: the bank's closing balance, the newest
    /// attested reserve and the supply, the difference itemised; exits 1 on
    /// a break (which also opens a case and emits `reconciliation.break`).
    Reconcile {
        #[command(flatten)]
        chain: Chain,
        /// The day, YYYY-MM-DD (its statement must be imported).
        #[arg(long)]
        date: String,
        /// The issuer's account (number or IBAN) as its statements name it.
        #[arg(long)]
        account: String,
        /// How to print the report.
        #[arg(long, value_parser = ["text", "json", "csv", "html"], default_value = "text")]
        format: String,
    },
    /// Redemptions the desk has taken: list.
    #[command(subcommand)]
    Redemption(RedemptionCommand),
    /// Watches an inbox folder for bank files (as banks deliver host-to-host),
    /// imports each (moved to INBOX/taken/, or INBOX/refused/ when it is not
    /// a bank file it can read) and runs a mint pass, until stopped.
    Run {
        #[command(flatten)]
        chain: Chain,
        /// Pay redemptions too (each pass a payout pass as well) when given.
        #[command(flatten)]
        treasury: Treasury,
        /// Where the bank's files arrive; each taken is moved to INBOX/taken/.
        #[arg(long)]
        inbox: PathBuf,
        /// Reconcile every day this account's closing balance arrives for.
        #[arg(long)]
        reconcile_account: Option<String>,
        /// How often the inbox is looked at, in milliseconds.
        #[arg(long, default_value_t = 1000)]
        poll_ms: u64,
        /// Serve the HTTP API here too, and deliver its webhooks.
        #[command(flatten)]
        api: serve_cli::ApiArgs,
    },
    /// Screens every registered wallet against the lists again (a list
    /// changed): a newly listed one opens a case and its customer's money not
    /// yet minted or paid is held. `run --list …` does this whenever a list
    /// file changes.
    Rescreen {
        /// A sanctions list (repeatable): OFAC SDN_ADVANCED.XML, SDN.XML or the issuer's CSV.
        #[arg(long = "list", value_name = "FILE", required = true)]
        lists: Vec<PathBuf>,
    },
    /// Compliance cases: list, show, decide, approve a release, verify.
    #[command(subcommand)]
    Case(case_cli::CaseCommand),
    /// The dollar ledger's balances.
    Ledger,
    /// API keys: create (printed once), revoke, list.
    #[command(subcommand, name = "api-key")]
    ApiKey(usd1_service::key_cli::ApiKeyCommand<usd1_desk::scopes::Scope>),
}

#[derive(Debug, Subcommand)]
enum DepositCommand {
    List {
        /// Only deposits in this state (ready, awaiting_reserve, minted, …).
        #[arg(long, value_parser = parse_state)]
        state: Option<State>,
    },
    /// One operator's approval of a deposit above the four-eyes amount.
    Approve {
        id: String,
        #[arg(long)]
        operator: String,
    },
}

#[derive(Debug, Subcommand)]
enum RedemptionCommand {
    List {
        /// Only redemptions at this stage (held, payment_due, payment_sent, settling, paid, rejecting, rejected, returned).
        #[arg(long, value_parser = parse_stage)]
        stage: Option<Stage>,
    },
}

/// What paying redemptions needs; all of it, or (for `run`) none.
#[derive(Debug, clap::Args)]
pub(crate) struct Treasury {
    /// The treasurer's key (settles and rejects redemptions on-chain): a
    /// keypair file, or a key in an HSM (pkcs11:…) or a vault (vault://…).
    #[arg(long)]
    treasurer: Option<PathBuf>,
    /// The issuer's name on the account the payments are made from.
    #[arg(long)]
    debtor_name: Option<String>,
    /// The issuer's account number (or IBAN) the payments are made from.
    #[arg(long)]
    debtor_account: Option<String>,
    /// The issuer's bank: its ABA routing number or BIC.
    #[arg(long)]
    debtor_agent: Option<String>,
    /// Where the bank takes payment files from (its host-to-host inbox).
    #[arg(long)]
    bank_outbox: Option<PathBuf>,
}

impl Treasury {
    pub(crate) fn given(&self) -> bool {
        self.treasurer.is_some()
            || self.debtor_name.is_some()
            || self.debtor_account.is_some()
            || self.debtor_agent.is_some()
            || self.bank_outbox.is_some()
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct IntakeArgs {
    /// Deposits above this many dollars wait for a second operator.
    #[arg(long, default_value = "1000000")]
    four_eyes_above: String,
}

impl IntakeArgs {
    pub(crate) fn intake(&self) -> anyhow::Result<Intake> {
        let four_eyes_above = usd1_client::parse_amount(&self.four_eyes_above, 6)
            .with_context(|| format!("--four-eyes-above {}", self.four_eyes_above))?;
        Ok(Intake { four_eyes_above })
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct Chain {
    /// The cluster's JSON-RPC URL.
    #[arg(
        long,
        short = 'u',
        env = "USD1_DESK_RPC_URL",
        default_value = "http://127.0.0.1:8899"
    )]
    url: String,
    #[arg(long, value_parser = parse_pubkey)]
    mint: Pubkey,
    /// The desk's minter key (it also pays the fees): a keypair file, or a
    /// key in an HSM (pkcs11:…) or a vault (vault://…). The program holds it
    /// to its own allowance and rate limit.
    #[arg(long)]
    minter: PathBuf,
    #[command(flatten)]
    intake: IntakeArgs,
}

fn parse_pubkey(text: &str) -> Result<Pubkey, String> {
    text.parse()
        .map_err(|_| format!("'{text}' is not a public key"))
}

fn parse_state(text: &str) -> Result<State, String> {
    State::named(text).ok_or_else(|| {
        let known: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
        format!(
            "'{text}' is not a deposit state (one of {})",
            known.join(", ")
        )
    })
}

fn parse_stage(text: &str) -> Result<Stage, String> {
    Stage::named(text).ok_or_else(|| {
        let known: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
        format!(
            "'{text}' is not a redemption stage (one of {})",
            known.join(", ")
        )
    })
}

pub(crate) fn signed_dollars(amount: i128) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    format!(
        "{sign}{}",
        usd1_client::format_dollars(amount.unsigned_abs(), 6)
    )
}

fn dollars(units: u64) -> String {
    usd1_client::format_dollars(u128::from(units), 6)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let json = cli.output == "json";
    let store = Store::open(&cli.database)
        .await
        .with_context(|| format!("cannot open the database {}", cli.database))?;
    let show = |value: serde_json::Value, text: String| {
        if json {
            println!("{value}");
        } else {
            println!("{text}");
        }
    };
    match cli.command {
        Command::Customer(command) => customer_cli::customer(&store, command, &show).await?,
        Command::Import { files, intake } => {
            let intake = intake.intake()?;
            for file in files {
                let imported = import(&store, &file, intake).await?;
                show(
                    serde_json::to_value(&imported)?,
                    format!(
                        "{}: {} {}, {} entries ({} new), {} deposits moved",
                        file.display(),
                        imported.format,
                        if imported.new_file {
                            "taken"
                        } else {
                            "already taken"
                        },
                        imported.entries,
                        imported.new_entries,
                        imported.deposits.len()
                    ),
                );
            }
        }
        Command::Deposit(DepositCommand::List { state }) => {
            let deposits = store.deposits(state).await?;
            if json {
                println!("{}", serde_json::to_value(&deposits)?);
            } else {
                for d in &deposits {
                    println!(
                        "{}  {:>18}  {:<19} {}  {}",
                        d.id,
                        dollars(d.amount),
                        d.state.as_str(),
                        d.customer_id.as_deref().unwrap_or("-"),
                        d.why.as_deref().unwrap_or("")
                    );
                }
            }
        }
        Command::Deposit(DepositCommand::Approve { id, operator }) => {
            let approval = store.approve_deposit(&id, &operator).await??;
            show(
                json!({"deposit": id, "approval": approval}),
                format!("deposit {id}: {approval:?}"),
            );
        }
        Command::Mint(chain) => {
            let minter = minter(&store, &chain).await?;
            let pass = minter.pass().await?;
            show(
                serde_json::to_value(&pass)?,
                format!(
                    "minted {}, awaiting the reserve {}, still out {}{}",
                    pass.minted.len(),
                    pass.awaiting_reserve.len(),
                    pass.still_out.len(),
                    pass.stopped
                        .as_deref()
                        .map(|why| format!("; stopped: {why}"))
                        .unwrap_or_default()
                ),
            );
        }
        Command::Pay { chain, treasury } => {
            let payer = payer(&store, &chain, &treasury).await?;
            let pass = payer.pass().await?;
            show(
                serde_json::to_value(&pass)?,
                format!(
                    "taken {}, payment files {}, settled or rejected {}, still out {}{}",
                    pass.taken.len(),
                    pass.files.len(),
                    pass.resolved.len(),
                    pass.still_out.len(),
                    match pass.resolved_outside.len() {
                        0 => String::new(),
                        n => format!(
                            "; {n} settled or rejected on-chain outside the desk, not paid by it \
                             (see the holders' cases)"
                        ),
                    }
                ),
            );
        }
        Command::Reconcile {
            chain,
            date,
            account,
            format,
        } => {
            let minter = minter(&store, &chain).await?;
            let (id, report) = reconcile_day(&store, &minter.usd1, &date, &account).await?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_value(&report)?),
                "csv" => print!("{}", report.csv()),
                "html" => print!("{}", report.html()),
                _ => {
                    println!(
                        "{date} ({id}): bank {}, attested reserve {}, supply {}",
                        signed_dollars(report.figures.bank_closing),
                        dollars(report.figures.reserve),
                        dollars(report.figures.supply)
                    );
                    println!("bank − supply {}", signed_dollars(report.gap));
                    for item in &report.items {
                        println!("  {:<78} {}", item.name, signed_dollars(item.amount));
                    }
                    println!(
                        "  {:<78} {}",
                        "unexplained",
                        signed_dollars(report.unexplained)
                    );
                }
            }
            if !report.balanced {
                bail!(
                    "the reconciliation of {date} does not balance: {} unexplained (a case is open)",
                    signed_dollars(report.unexplained)
                );
            }
        }
        Command::Redemption(RedemptionCommand::List { stage }) => {
            let redemptions = store.redemptions(stage).await?;
            if json {
                println!("{}", serde_json::to_value(&redemptions)?);
            } else {
                for r in &redemptions {
                    println!(
                        "{:>6}  {:>18}  {:<13} {}  {}",
                        r.id,
                        dollars(r.payout),
                        r.stage.as_str(),
                        r.customer_id.as_deref().unwrap_or("-"),
                        r.why.as_deref().unwrap_or("")
                    );
                }
            }
        }
        Command::Run {
            chain,
            treasury,
            inbox,
            reconcile_account,
            poll_ms,
            api,
        } => {
            serve_cli::run(
                &store,
                &chain,
                &treasury,
                &inbox,
                reconcile_account.as_deref(),
                poll_ms,
                &api,
            )
            .await?;
        }
        Command::ApiKey(command) => {
            let printed = usd1_service::key_cli::run(store.kit(), command)
                .await?
                .map_err(|e| anyhow::anyhow!(e))?;
            if !printed.out.is_empty() {
                println!("{}", printed.out);
            }
            if let Some(note) = printed.note {
                eprintln!("{note}");
            }
        }
        Command::Rescreen { lists } => {
            let screener = usd1_client::screening::Screener::read(&lists)?;
            let found = store.rescreen_wallets(&screener).await?;
            show(
                serde_json::to_value(&found)?,
                if found.is_empty() {
                    "no registered wallet is listed".to_string()
                } else {
                    found
                        .iter()
                        .map(|l| {
                            format!(
                                "{} of {} LISTED ({}): held {}",
                                l.address,
                                l.customer_id,
                                l.why,
                                l.held.join(", ")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                },
            );
        }
        Command::Case(command) => case_cli::run(&store, command, json).await?,
        Command::Ledger => {
            let books = store.books().await?;
            if books != store.books_from_postings().await? {
                bail!("the kept balances and the sum of the postings disagree: a row was changed behind the ledger");
            }
            if json {
                println!("{}", serde_json::to_value(&books)?);
            } else {
                for (account, balance) in &books.balances {
                    let sign = if *balance < 0 { "-" } else { "" };
                    println!(
                        "{account:<40} {sign}{}",
                        usd1_client::format_dollars(balance.unsigned_abs(), 6)
                    );
                }
            }
            if books.total() != 0 {
                bail!("the books do not balance: {}", books.total());
            }
        }
    }
    Ok(())
}

async fn import(
    store: &Store,
    file: &Path,
    intake: Intake,
) -> anyhow::Result<usd1_desk::store::statements::Imported> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.display().to_string();
    Ok(store.import_statement(&name, &bytes, intake).await?)
}

pub(crate) async fn minter(store: &Store, chain: &Chain) -> anyhow::Result<Minter<RpcLedger>> {
    let key = usd1_client::keystore::signer_from(&chain.minter, Path::to_path_buf)
        .with_context(|| format!("the minter key {}", chain.minter.display()))?;
    let ledger = Arc::new(RpcLedger::new(
        chain.url.clone(),
        CommitmentConfig::confirmed(),
    ));
    let usd1 = Usd1::connect(ledger, key.clone(), chain.mint).await?;
    Ok(Minter {
        store: store.clone(),
        usd1,
        key,
        four_eyes_above: chain.intake.intake()?.four_eyes_above,
    })
}

async fn payer(
    store: &Store,
    chain: &Chain,
    treasury: &Treasury,
) -> anyhow::Result<Payer<RpcLedger>> {
    let (Some(treasurer), Some(name), Some(account), Some(agent), Some(outbox)) = (
        &treasury.treasurer,
        &treasury.debtor_name,
        &treasury.debtor_account,
        &treasury.debtor_agent,
        &treasury.bank_outbox,
    ) else {
        bail!("paying redemptions needs --treasurer, --debtor-name, --debtor-account, --debtor-agent and --bank-outbox");
    };
    let key = usd1_client::keystore::signer_from(treasurer, Path::to_path_buf)
        .with_context(|| format!("the treasurer key {}", treasurer.display()))?;
    let Some(agent) = Agent::parse(agent) else {
        bail!("--debtor-agent {agent:?} is neither an ABA routing number nor a BIC");
    };
    let ledger = Arc::new(RpcLedger::new(
        chain.url.clone(),
        CommitmentConfig::confirmed(),
    ));
    let usd1 = Usd1::connect(ledger, key.clone(), chain.mint).await?;
    std::fs::create_dir_all(outbox).with_context(|| format!("cannot make {}", outbox.display()))?;
    Ok(Payer {
        store: store.clone(),
        usd1,
        treasurer: key,
        debtor: Debtor {
            name: name.clone(),
            account: account.clone(),
            agent,
        },
        outbox: outbox.clone(),
    })
}
