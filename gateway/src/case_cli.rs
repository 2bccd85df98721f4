//! `usd1-gateway case …`: the compliance operator's commands on the
//! gateway's database (the same store the API's `/v1/cases` uses). Who acts
//! is the person an operator key belongs to (`--operator-key`, the secret of
//! one of their API keys with `cases:write`, from the environment): the
//! command line and the API record the same identity, so one person cannot
//! propose over one and approve over the other.
use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::Subcommand;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::pubkey::Pubkey;
use usd1_client::ledger::Ledger;
use usd1_client::rpc::RpcLedger;
use usd1_gateway::store::cases::{Actor, Approved, CaseStatus, Decided, Decision, Proposal};
use usd1_gateway::store::keys::Scope;
use usd1_gateway::store::Store;

#[derive(Debug, clap::Args)]
pub struct Who {
    /// The acting operator's credential: the secret of one of their API keys
    /// with cases:write (made with `api-key create --operator NAME`). Give
    /// it through the environment, not on the command line.
    #[arg(long, env = "USD1_GATEWAY_OPERATOR_KEY", hide_env_values = true)]
    operator_key: String,
    /// Why (recorded in the history).
    #[arg(long, default_value = "")]
    why: String,
}

impl Who {
    /// The operator the key belongs to, if it is live and may write cases.
    pub async fn actor(&self, store: &Store) -> anyhow::Result<Actor> {
        store
            .operator_of(&self.operator_key, Scope::CasesWrite)
            .await?
            .map_err(anyhow::Error::msg)
    }
}

#[derive(Debug, Subcommand)]
pub enum Case {
    /// Every case, oldest first (one status with --status).
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        output: String,
    },
    /// A case with its history and files.
    Show {
        id: String,
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        output: String,
    },
    /// Open a case on an address by hand.
    Open {
        subject: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        who: Who,
    },
    /// Assign a case (an open one is then under review).
    Assign {
        id: String,
        #[arg(long = "to")]
        assignee: String,
        #[command(flatten)]
        who: Who,
    },
    /// Add a note to a case's history.
    Note {
        id: String,
        text: String,
        #[command(flatten)]
        who: Who,
    },
    /// Decide: release (with held payments, a proposal another operator
    /// approves), escalate, report (writes the case file) or freeze (a
    /// proposal another operator approves).
    Decide {
        id: String,
        #[arg(value_parser = ["release", "escalate", "report", "freeze"])]
        decision: String,
        /// The freeze's reason code (the issuer's own table).
        #[arg(long)]
        reason_code: Option<u16>,
        /// Where a report's case file is written.
        #[arg(long)]
        out: Option<PathBuf>,
        /// With --url: the report carries the subject's balance of this mint on-chain.
        #[arg(long, value_parser = super::parse_pubkey, requires = "url")]
        mint: Option<Pubkey>,
        #[arg(long, short = 'u', requires = "mint")]
        url: Option<String>,
        #[command(flatten)]
        who: Who,
    },
    /// Approve what another operator proposed: a release (the held
    /// payments are processed), or a freeze (writes the order file and
    /// prints the freeze for the freezer to sign; needs --mint and --out).
    Approve {
        id: String,
        /// The cluster (the mint's token program and freezer are read from it).
        #[arg(long, short = 'u', default_value = "http://127.0.0.1:8899")]
        url: String,
        #[arg(long, value_parser = super::parse_pubkey)]
        mint: Option<Pubkey>,
        /// Where the order file is written (its SHA-256 goes on-chain).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        who: Who,
    },
    /// Write a case file (the newest, or the one of this SHA-256).
    File {
        id: String,
        #[arg(long)]
        sha256: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Check the history chain: names the first broken entry.
    Verify {
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        output: String,
    },
}

fn write(path: &PathBuf, body: &str) -> anyhow::Result<()> {
    std::fs::write(path, body).with_context(|| format!("cannot write {}", path.display()))
}

async fn token_program(ledger: &RpcLedger, mint: &Pubkey) -> anyhow::Result<Pubkey> {
    Ok(ledger
        .get_account(mint)
        .await?
        .with_context(|| format!("mint {mint} does not exist on this cluster"))?
        .owner)
}

/// The case's subject on-chain (its balance of `mint`), read before deciding.
async fn subject_on_chain(
    store: &Store,
    id: &str,
    ledger: &RpcLedger,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> anyhow::Result<serde_json::Value> {
    let case = store
        .case(id)
        .await?
        .with_context(|| format!("no case {id}"))?;
    usd1_gateway::freeze::on_chain(ledger, mint, token_program, &case.subject).await
}

pub async fn run(store: &Store, command: Case) -> anyhow::Result<()> {
    match command {
        Case::List { status, output } => {
            let status = match status {
                Some(text) => Some(
                    CaseStatus::named(&text)
                        .with_context(|| format!("'{text}' is not a case status"))?,
                ),
                None => None,
            };
            let cases = store.cases(status).await?;
            if output == "json" {
                println!("{}", serde_json::to_string_pretty(&cases)?);
            } else {
                for case in &cases {
                    println!(
                        "{}  {}  {}  {}  {}",
                        case.id,
                        case.status,
                        case.subject,
                        case.assignee.as_deref().unwrap_or("-"),
                        case.reason
                    );
                }
                eprintln!("{} case(s)", cases.len());
            }
        }
        Case::Show { id, output } => {
            let case = store
                .case(&id)
                .await?
                .with_context(|| format!("no case {id}"))?;
            let history = store.case_history(&id).await?;
            if output == "json" {
                let mut value = serde_json::to_value(&case)?;
                value["history"] = serde_json::to_value(&history)?;
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                println!("case {}  {}", case.id, case.status);
                println!("subject   {}", case.subject);
                println!("reason    {}", case.reason);
                println!("assignee  {}", case.assignee.as_deref().unwrap_or("-"));
                if let Some(freeze) = &case.freeze {
                    println!(
                        "freeze    reason {} proposed by {}, order {}, signature {}",
                        freeze.reason_code,
                        freeze.proposed_by,
                        freeze.order_sha256.as_deref().unwrap_or("not approved"),
                        freeze.signature.as_deref().unwrap_or("not landed")
                    );
                }
                for entry in &history {
                    println!(
                        "  #{} {} {} ({}): {} {}",
                        entry.seq,
                        usd1_gateway::export::iso8601(entry.at),
                        entry.operator,
                        entry.api_key_id.as_deref().unwrap_or("cli"),
                        entry.action,
                        entry.why
                    );
                }
            }
        }
        Case::Open {
            subject,
            reason,
            who,
        } => {
            let case = store
                .open_case(&subject, &reason, &who.actor(store).await?)
                .await?;
            println!("{}", case.id);
        }
        Case::Assign { id, assignee, who } => {
            let case = store
                .assign_case(&id, &assignee, &who.actor(store).await?, &who.why)
                .await?;
            println!("case {} assigned to {assignee}: {}", case.id, case.status);
        }
        Case::Note { id, text, who } => {
            let entry = store
                .note_case(&id, &who.actor(store).await?, &text)
                .await?;
            println!("case {id}: note #{}", entry.seq);
        }
        Case::Decide {
            id,
            decision,
            reason_code,
            out,
            mint,
            url,
            who,
        } => {
            let decision = Decision::named(&decision, reason_code).map_err(anyhow::Error::msg)?;
            let on_chain = match (&url, &mint, decision) {
                (Some(url), Some(mint), Decision::Report) => {
                    let ledger = RpcLedger::new(url.clone(), CommitmentConfig::confirmed());
                    let program = token_program(&ledger, mint).await?;
                    Some(subject_on_chain(store, &id, &ledger, mint, &program).await?)
                }
                _ => None,
            };
            let actor = who.actor(store).await?;
            match store
                .decide_case_seen(&id, decision, &actor, &who.why, on_chain.as_ref())
                .await?
            {
                Decided::Released(outcomes) => println!(
                    "case {id} released: {} held payment(s) processed",
                    outcomes.len()
                ),
                Decided::ReleaseProposed => println!(
                    "case {id}: release proposed; another operator approves it (usd1-gateway case approve)"
                ),
                Decided::Escalated => println!("case {id} escalated"),
                Decided::Reported(file) => {
                    if let Some(out) = &out {
                        write(out, &file.body)?;
                    }
                    println!("case {id} reported: case file sha256 {}", file.sha256);
                }
                Decided::FreezeProposed => println!(
                    "case {id}: freeze proposed; another operator approves it (usd1-gateway case approve)"
                ),
            }
        }
        Case::Approve {
            id,
            url,
            mint,
            out,
            who,
        } => {
            let actor = who.actor(store).await?;
            let pending = store
                .case(&id)
                .await?
                .with_context(|| format!("no case {id}"))?;
            // Four eyes before anything is read from the chain.
            if pending.approvable_by(&actor)? == Proposal::Release {
                if let Approved::Release(outcomes) =
                    store.approve_case_seen(&id, &actor, &who.why, None).await?
                {
                    println!(
                        "case {id} released: {} held payment(s) processed",
                        outcomes.len()
                    );
                }
                return Ok(());
            }
            let (Some(mint), Some(out)) = (mint, out) else {
                bail!(
                    "approving a freeze needs --mint and --out (where the order file is written)"
                );
            };
            let ledger = RpcLedger::new(url.clone(), CommitmentConfig::confirmed());
            let token_program = token_program(&ledger, &mint).await?;
            let freezer = usd1_gateway::freeze::freezer(&ledger, &mint).await?;
            let on_chain = subject_on_chain(store, &id, &ledger, &mint, &token_program).await?;
            let (case, order) = store
                .approve_freeze_seen(&id, &actor, &who.why, Some(&on_chain))
                .await?;
            write(&out, &order.body)?;
            let plan = usd1_gateway::freeze::plan(&mint, &token_program, &freezer, &case, &order)?;
            println!("{}", serde_json::to_string_pretty(&plan)?);
            eprintln!(
                "freeze approved; the freezer {freezer} runs: usd1 freeze {} --mint {mint} --reason {} --order {}",
                case.subject,
                plan["reason_code"],
                out.display()
            );
        }
        Case::File { id, sha256, out } => {
            let files = store.case_files(&id).await?;
            let file = match &sha256 {
                Some(hash) => files.iter().find(|f| &f.sha256 == hash),
                None => files.last(),
            };
            let Some(file) = file else {
                bail!("case {id} has no such case file");
            };
            write(&out, &file.body)?;
            println!("{} {} ({})", file.sha256, out.display(), file.kind);
        }
        Case::Verify { output } => match store.verify_cases().await? {
            Ok(verified) => {
                if output == "json" {
                    println!("{}", serde_json::to_string_pretty(&verified)?);
                } else {
                    let sealed = match (verified.sealed, verified.anchored_seq) {
                        (true, Some(seq)) => format!("; sealed, anchored at entry {seq}"),
                        (true, None) => "; sealed, nothing anchored yet".to_string(),
                        (false, _) => "; not sealed".to_string(),
                    };
                    println!(
                        "intact: {} entries over {} case(s), head {}{sealed}",
                        verified.entries, verified.cases, verified.head
                    );
                }
            }
            Err(broken) => {
                if output == "json" {
                    println!("{}", serde_json::to_string_pretty(&broken)?);
                }
                bail!("the case history is broken at {broken}");
            }
        },
    }
    Ok(())
}
