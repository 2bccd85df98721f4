//! `usd1-desk case …`: the compliance operator's commands on the desk's
//! cases (a listed customer's deposits and redemptions, deposits in
//! suspense, reversals after a mint, reconciliation breaks). Who acts is
//! the person an operator key belongs to (`--operator-key`, from the
//! environment), as for the gateway's cases: a release is proposed by one
//! person and approved by another, and releases what the case holds.
use anyhow::Context as _;
use clap::Subcommand;
use usd1_desk::scopes::Scope;
use usd1_desk::store::{Held, Store};
use usd1_service::cases::{Actor, Approved, CaseStatus, Decided, Decision};

#[derive(Debug, clap::Args)]
pub struct Who {
    /// The acting operator's credential: the secret of one of their API keys
    /// with cases:write (made with `api-key create --operator NAME`). Give
    /// it through the environment, not on the command line.
    #[arg(long, env = "USD1_DESK_OPERATOR_KEY", hide_env_values = true)]
    operator_key: String,
    /// Why (recorded in the history).
    #[arg(long)]
    why: String,
}

impl Who {
    async fn actor(&self, store: &Store) -> anyhow::Result<Actor> {
        store
            .operator_of(&self.operator_key, Scope::CasesWrite)
            .await?
            .map_err(anyhow::Error::msg)
    }
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Every case, oldest first (one status with --status).
    List {
        #[arg(long)]
        status: Option<String>,
    },
    /// A case with its history.
    Show { id: String },
    /// Decide: release (a proposal another operator approves while the case
    /// holds money), escalate, or report (writes the case file).
    Decide {
        id: String,
        #[arg(value_parser = ["release", "escalate", "report"])]
        decision: String,
        #[command(flatten)]
        who: Who,
    },
    /// Approve the release another operator proposed: what the case holds
    /// is looked at again (minted or paid if it may be now).
    Approve {
        id: String,
        #[command(flatten)]
        who: Who,
    },
    /// Name the customer a deposit in suspense belongs to (its case still
    /// undecided): the dollars become what the desk owes that customer, and
    /// the case's release, by two operators, lets it be minted.
    NameOwner {
        /// The case holding the deposit.
        id: String,
        /// The deposit (`dep_…`).
        deposit: String,
        /// The customer (`cus_…`).
        customer: String,
        #[command(flatten)]
        who: Who,
    },
    /// Check the history chain and every held item against it.
    Verify,
}

pub async fn run(store: &Store, command: CaseCommand, json: bool) -> anyhow::Result<()> {
    let print = |value: serde_json::Value, text: String| {
        if json {
            println!("{value}");
        } else {
            println!("{text}");
        }
    };
    match command {
        CaseCommand::List { status } => {
            let status = match status {
                Some(text) => Some(
                    CaseStatus::named(&text)
                        .with_context(|| format!("'{text}' is not a case status"))?,
                ),
                None => None,
            };
            let cases = store.cases(status).await?;
            print(
                serde_json::to_value(&cases)?,
                cases
                    .iter()
                    .map(|c| format!("{}  {}  {}  {}", c.id, c.status, c.subject, c.reason))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        CaseCommand::Show { id } => {
            let case = store
                .case(&id)
                .await?
                .with_context(|| format!("no case {id}"))?;
            let history = store.case_history(&id).await?;
            let text = std::iter::once(format!(
                "case {}  {}  {}",
                case.id, case.status, case.subject
            ))
            .chain(
                history
                    .iter()
                    .map(|e| format!("  #{} {} by {}: {}", e.seq, e.action, e.operator, e.why)),
            )
            .collect::<Vec<_>>()
            .join("\n");
            print(serde_json::json!({"case": case, "history": history}), text);
        }
        CaseCommand::Decide { id, decision, who } => {
            let actor = who.actor(store).await?;
            let decision = Decision::named(&decision, None).map_err(anyhow::Error::msg)?;
            let decided = store
                .kit()
                .decide_case_seen(&Held, &id, decision, &actor, &who.why, None)
                .await?;
            let text = match &decided {
                Decided::ReleaseProposed => format!(
                    "case {id}: release proposed by {}; another operator approves it",
                    actor.operator
                ),
                Decided::Released(items) => format!("case {id}: released {}", items.join(", ")),
                Decided::Escalated => format!("case {id}: escalated"),
                Decided::Reported(file) => {
                    format!("case {id}: reported, case file {}", file.sha256)
                }
                Decided::FreezeProposed => format!("case {id}: freeze proposed"),
            };
            print(
                serde_json::json!({"case": id, "decided": format!("{decided:?}")}),
                text,
            );
        }
        CaseCommand::Approve { id, who } => {
            let actor = who.actor(store).await?;
            let approved = store
                .kit()
                .approve_case_seen(&Held, &id, &actor, &who.why, None)
                .await?;
            let text = match &approved {
                Approved::Release(items) => format!(
                    "case {id}: released {} (approved by {})",
                    items.join(", "),
                    actor.operator
                ),
                Approved::Freeze(_, file) => {
                    format!("case {id}: freeze approved, order {}", file.sha256)
                }
            };
            print(
                serde_json::json!({"case": id, "approved": format!("{approved:?}")}),
                text,
            );
        }
        CaseCommand::NameOwner {
            id,
            deposit,
            customer,
            who,
        } => {
            let actor = who.actor(store).await?;
            let named = store
                .name_owner(&id, &deposit, &customer, &actor, &who.why)
                .await?;
            print(
                serde_json::json!({"case": id, "deposit": named}),
                format!(
                    "case {id}: deposit {deposit} ({}) belongs to customer {customer} (named by {}); \
                     releasing the case lets it be minted",
                    usd1_client::format_dollars(u128::from(named.amount), 6),
                    actor.operator
                ),
            );
        }
        CaseCommand::Verify => match store.kit().verify_cases_of(&Held).await? {
            Ok(verified) => print(
                serde_json::to_value(&verified)?,
                format!(
                    "the case history is intact: {} entries, {} cases",
                    verified.entries, verified.cases
                ),
            ),
            Err(broken) => anyhow::bail!("the case history is broken: {broken}"),
        },
    }
    Ok(())
}
