//! `usd1-desk customer …`: add a customer, move its KYB, register a
//! wallet (screened), link a bank account, list and show.
use std::path::PathBuf;

use anyhow::bail;
use clap::Subcommand;
use serde_json::json;
use usd1_client::screening::Screener;
use usd1_desk::decide::Kyb;
use usd1_desk::store::customers::BankAccount;
use usd1_desk::store::Store;

#[derive(Debug, Subcommand)]
pub enum CustomerCommand {
    /// A new customer (pending KYB) and the reference its wires must carry.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        operator: String,
    },
    /// Moves a customer's KYB status: pending, approved, rejected, suspended.
    Kyb {
        id: String,
        status: Kyb,
        #[arg(long)]
        operator: String,
        #[arg(long)]
        why: String,
    },
    /// Registers a wallet, screened against the lists given.
    Wallet {
        id: String,
        address: String,
        #[arg(long)]
        operator: String,
        /// A sanctions list (repeatable): OFAC SDN_ADVANCED.XML, SDN.XML or the issuer's CSV.
        #[arg(long = "list", value_name = "FILE")]
        lists: Vec<PathBuf>,
    },
    /// Links a bank account: --number with --routing (ABA), or --iban with --bic.
    BankAccount {
        id: String,
        #[arg(long)]
        holder: String,
        #[arg(long)]
        number: Option<String>,
        #[arg(long)]
        routing: Option<String>,
        #[arg(long)]
        iban: Option<String>,
        #[arg(long)]
        bic: Option<String>,
        #[arg(long)]
        street: Option<String>,
        #[arg(long)]
        town: String,
        #[arg(long)]
        postcode: Option<String>,
        /// ISO 3166 country code.
        #[arg(long)]
        country: String,
    },
    List,
    Show {
        id: String,
    },
}

pub async fn customer(
    store: &Store,
    command: CustomerCommand,
    show: &impl Fn(serde_json::Value, String),
) -> anyhow::Result<()> {
    match command {
        CustomerCommand::Add { name, operator } => {
            let c = store.create_customer(&name, &operator).await?;
            show(
                serde_json::to_value(&c)?,
                format!(
                    "customer {} ({}): {}; its wires carry the reference {}",
                    c.id, c.name, c.status, c.reference
                ),
            );
        }
        CustomerCommand::Kyb {
            id,
            status,
            operator,
            why,
        } => {
            let c = store.set_kyb(&id, status, &operator, &why).await?;
            show(
                serde_json::to_value(&c)?,
                format!("customer {}: {}", c.id, c.status),
            );
        }
        CustomerCommand::Wallet {
            id,
            address,
            operator,
            lists,
        } => {
            let screener = Screener::read(&lists)?;
            let w = store
                .register_wallet(&id, &address, &screener, &operator)
                .await?;
            show(
                serde_json::to_value(&w)?,
                match &w.listed_why {
                    Some(why) => format!(
                        "wallet {} registered to {id}, LISTED ({why}): its deposits are held under a case",
                        w.address
                    ),
                    None => format!("wallet {} registered to {id}", w.address),
                },
            );
        }
        CustomerCommand::BankAccount {
            id,
            holder,
            number,
            routing,
            iban,
            bic,
            street,
            town,
            postcode,
            country,
        } => {
            let account = BankAccount {
                holder,
                number,
                routing,
                iban,
                bic,
                street,
                town,
                postcode,
                country,
                ..BankAccount::default()
            };
            let linked = store.add_bank_account(&id, &account).await?;
            show(
                serde_json::to_value(&linked)?,
                format!("bank account {} linked to {id}", linked.id),
            );
        }
        CustomerCommand::List => {
            let customers = store.customers().await?;
            show(
                serde_json::to_value(&customers)?,
                customers
                    .iter()
                    .map(|c| format!("{}  {:<10} {}  {}", c.id, c.status, c.reference, c.name))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        CustomerCommand::Show { id } => {
            let Some(c) = store.customer(&id).await? else {
                bail!("no customer {id}");
            };
            let wallets = store.wallets(&id).await?;
            let history = store.kyb_history(&id).await?;
            show(
                json!({"customer": c, "wallets": wallets, "kyb_history": history}),
                format!(
                    "{} {} ({})\nreference {}\nwallets: {}\nKYB: {}",
                    c.id,
                    c.name,
                    c.status,
                    c.reference,
                    wallets
                        .iter()
                        .map(|w| w.address.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                    history
                        .iter()
                        .map(|h| format!("{} by {} ({})", h.status, h.operator, h.why))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            );
        }
    }
    Ok(())
}
