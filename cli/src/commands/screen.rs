//! `usd1 screen ADDRESS… --list FILE…`, `usd1 screen holders --mint MINT
//! --list FILE…` and `usd1 screen list FILE [--previous OLD]`: addresses,
//! or every holder of a mint (owner and token account), against sanctions
//! lists (OFAC SDN Advanced XML, SDN XML, the issuer's CSV). A hit is a
//! failure: the hits are printed and the exit status is non-zero.
use std::fmt;
use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use usd1_client::format_amount;
use usd1_client::screening::{Changes, Finding, Format, List, Rejected, Role, Screener, Version};

use crate::commands::MintArg;
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    pub what: Option<What>,
    /// Addresses to screen (wallets or token accounts).
    #[arg(value_parser = crate::parse_pubkey, required = true)]
    pub addresses: Vec<Pubkey>,
    #[command(flatten)]
    pub lists: ListArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Every token account of the mint: its owner and the account both screened.
    Holders {
        #[command(flatten)]
        mint: MintArg,
        #[command(flatten)]
        lists: ListArgs,
    },
    /// A list file's version and entries; with --previous, what it added and removed.
    List {
        file: PathBuf,
        /// The version it replaces.
        #[arg(long, value_name = "FILE")]
        previous: Option<PathBuf>,
    },
}

/// The `--list FILE` arguments (repeatable) of every command that screens.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListArgs {
    /// A sanctions list: OFAC's SDN_ADVANCED.XML or SDN.XML, or a CSV of
    /// address,reason,source,added_at. Repeat for several.
    #[arg(long = "list", value_name = "FILE", required = true)]
    pub lists: Vec<PathBuf>,
}

impl ListArgs {
    pub fn screener(&self) -> Result<Screener> {
        Ok(Screener::read(&self.lists)?)
    }
}

/// A list as a screening cites it.
#[derive(Debug, Serialize)]
pub struct ListSummary {
    pub name: String,
    pub format: Format,
    pub version: Version,
    pub entries: usize,
    /// Entries that name no Solana address, with where they are.
    pub rejected: Vec<Rejected>,
}

impl ListSummary {
    pub fn of(list: &List) -> Self {
        Self {
            name: list.name.clone(),
            format: list.format,
            version: list.version.clone(),
            entries: list.entries.len(),
            rejected: list.rejected.clone(),
        }
    }
}

impl fmt::Display for ListSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, version {}): {} Solana address(es)",
            self.name, self.format, self.version, self.entries
        )?;
        for r in &self.rejected {
            write!(
                f,
                "\n  not screened: {} {}: {}",
                self.name, r.entry, r.reason
            )?;
        }
        Ok(())
    }
}

/// A listed address, with what it holds where it is a holder.
#[derive(Debug, Serialize)]
pub struct ScreenHit {
    #[serde(flatten)]
    pub finding: Finding,
    /// The token account (for a listed owner) or its owner (for a listed account).
    pub related: Option<String>,
    pub balance: Option<String>,
    pub frozen: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct Screening {
    pub lists: Vec<ListSummary>,
    pub screened: usize,
    pub hits: Vec<ScreenHit>,
}

impl fmt::Display for Screening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for list in &self.lists {
            writeln!(f, "{list}")?;
        }
        write!(
            f,
            "Screened {} address(es): {} hit(s)",
            self.screened,
            self.hits.len()
        )?;
        for hit in &self.hits {
            write!(f, "\nHIT {}", hit.finding)?;
            if let Some(related) = &hit.related {
                let what = match hit.finding.role {
                    Role::TokenAccount => "owner",
                    _ => "token account",
                };
                write!(f, " — {what} {related}")?;
            }
            if let Some(balance) = &hit.balance {
                let frozen = if hit.frozen == Some(true) {
                    ", frozen"
                } else {
                    ""
                };
                write!(f, ", balance {balance}{frozen}")?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Serialize)]
pub struct ListReport {
    pub list: ListSummary,
    pub changes: Option<Changes>,
}

impl fmt::Display for ListReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.list)?;
        if let Some(changes) = &self.changes {
            write!(
                f,
                "\nSince version {}: {} added, {} removed",
                changes.from,
                changes.added.len(),
                changes.removed.len()
            )?;
            for (sign, entries) in [("+", &changes.added), ("-", &changes.removed)] {
                for e in entries {
                    write!(f, "\n  {sign} {} ({}; {})", e.address, e.entry, e.reason)?;
                }
            }
        }
        Ok(())
    }
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    match args.what {
        None => {
            let screener = args.lists.screener()?;
            let hits: Vec<ScreenHit> = args
                .addresses
                .iter()
                .flat_map(|a| screener.findings(a, Role::Address))
                .map(|finding| ScreenHit {
                    finding,
                    related: None,
                    balance: None,
                    frozen: None,
                })
                .collect();
            let screening = Screening {
                lists: screener.lists().iter().map(ListSummary::of).collect(),
                screened: args.addresses.len(),
                hits,
            };
            let failing = !screening.hits.is_empty();
            Ok(Output::new(&screening).failing(failing))
        }
        Some(What::Holders { mint, lists }) => {
            let screener = lists.screener()?;
            let usd1 = ctx.usd1(&mint.mint).await?;
            let holdings = ctx
                .ledger
                .holdings(&usd1.mint(), &usd1.token_program())
                .await?;
            let hits: Vec<ScreenHit> = screener
                .screen_holdings(&holdings)
                .into_iter()
                .map(|h| ScreenHit {
                    related: Some(match h.finding.role {
                        Role::TokenAccount => h.owner.to_string(),
                        _ => h.account.to_string(),
                    }),
                    balance: Some(format_amount(h.amount, usd1.decimals())),
                    frozen: Some(h.frozen),
                    finding: h.finding,
                })
                .collect();
            let screening = Screening {
                lists: screener.lists().iter().map(ListSummary::of).collect(),
                // Each token account and its owner.
                screened: holdings.len() * 2,
                hits,
            };
            let failing = !screening.hits.is_empty();
            Ok(Output::new(&screening).failing(failing))
        }
        Some(What::List { file, previous }) => {
            let list = List::read(&file)?;
            let changes = match previous {
                Some(previous) => Some(list.changes_since(&List::read(&previous)?)),
                None => None,
            };
            Ok(Output::new(&ListReport {
                list: ListSummary::of(&list),
                changes,
            }))
        }
    }
}
