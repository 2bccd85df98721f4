//! The gateway's sanctions lists, and re-screening when one changes: each
//! watcher pass looks at the list files' sizes and times; a file that
//! changed is read again, and if its SHA-256 differs it is a new version.
//! Every holder of the mint (owner and token account) and every payer of an
//! invoice still open or underpaid is then screened against what the new
//! version *added*, and a case opens for each new hit. Payments from then on
//! are screened against the new versions.
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use anyhow::Context as _;
use serde_json::json;
use solana_sdk::pubkey::Pubkey;
use usd1_client::ledger::Ledger;
use usd1_client::screening::{Finding, List, Role, Screener};

use crate::store::Store;
use crate::Treasury;

/// A file's size and modification time, to notice it changed.
type Stamp = Option<(u64, SystemTime)>;

fn stamp(path: &PathBuf) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

/// The lists a gateway screens against, as last read.
pub struct Lists {
    paths: Vec<PathBuf>,
    state: Mutex<(Vec<Stamp>, Arc<Screener>)>,
}

/// New versions read, not yet kept.
struct Pending {
    stamps: Vec<Stamp>,
    screener: Arc<Screener>,
    versions: Vec<String>,
    added: Vec<List>,
}

/// What a new version of a list caused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rescreened {
    /// `name: old version → new version`, one per list that changed.
    pub versions: Vec<String>,
    pub screened: usize,
    /// Cases opened (a subject with an undecided case has the hit joined to it).
    pub opened: Vec<String>,
}

impl Lists {
    /// Reads every list (a bad one stops the gateway from starting).
    pub fn load(paths: &[PathBuf]) -> anyhow::Result<Self> {
        let stamps = paths.iter().map(stamp).collect();
        let screener = Screener::read(paths)?;
        Ok(Self {
            paths: paths.to_vec(),
            state: Mutex::new((stamps, Arc::new(screener))),
        })
    }

    pub fn screener(&self) -> Arc<Screener> {
        self.state.lock().expect("lists").1.clone()
    }

    /// Reads again the lists whose files changed: the versions that are
    /// new, the entries each added (as a list of its own), and the state to
    /// keep once they are screened. A file that cannot be read now (being
    /// replaced) is tried again at the next pass.
    fn reload(&self) -> anyhow::Result<Option<Pending>> {
        let state = self.state.lock().expect("lists");
        let stamps: Vec<Stamp> = self.paths.iter().map(stamp).collect();
        if stamps == state.0 {
            return Ok(None);
        }
        let mut lists = state.1.lists().to_vec();
        let mut versions = Vec::new();
        let mut added = Vec::new();
        for (at, path) in self.paths.iter().enumerate() {
            if stamps[at] == state.0[at] {
                continue;
            }
            let new = List::read(path)
                .with_context(|| format!("re-reading {} (kept the old version)", path.display()))?;
            if new.version.sha256 == lists[at].version.sha256 {
                continue;
            }
            let changes = new.changes_since(&lists[at]);
            versions.push(format!("{}: {} → {}", new.name, changes.from, changes.to));
            let mut only_added = new.clone();
            only_added.entries = changes.added;
            added.push(only_added);
            lists[at] = new;
        }
        Ok(Some(Pending {
            stamps,
            screener: Arc::new(Screener::new(lists)),
            versions,
            added,
        }))
    }

    /// One look at the files; on a new version, re-screens the holders of
    /// the treasury's mint and the payers of unsettled invoices.
    pub async fn rescreen(
        &self,
        store: &Store,
        ledger: &impl Ledger,
        treasury: &Treasury,
    ) -> anyhow::Result<Rescreened> {
        let Some(pending) = self.reload()? else {
            return Ok(Rescreened::default());
        };
        let versions = pending.versions.clone();
        let keep = |pending: Pending| {
            *self.state.lock().expect("lists") = (pending.stamps, pending.screener);
        };
        if pending.added.iter().all(|list| list.entries.is_empty()) {
            keep(pending);
            return Ok(Rescreened {
                versions,
                ..Default::default()
            });
        }
        let added = Screener::new(pending.added.clone());
        let mut findings: Vec<Finding> = Vec::new();
        let holdings = ledger
            .holdings(&treasury.mint, &treasury.token_program)
            .await?;
        for holding in &holdings {
            findings.extend(added.screen_owner(&holding.owner, &holding.account));
        }
        let payers = store.unsettled_payers().await?;
        for payer in payers.iter().filter_map(|p| p.parse::<Pubkey>().ok()) {
            findings.extend(added.findings(&payer, Role::Owner));
        }
        let mut opened = Vec::new();
        let mut by_subject: std::collections::BTreeMap<String, Vec<Finding>> = Default::default();
        for finding in findings {
            // A token account's hit is its owner's case.
            let subject = holdings
                .iter()
                .find(|h| h.account == finding.address)
                .map_or(finding.address, |h| h.owner);
            by_subject
                .entry(subject.to_string())
                .or_default()
                .push(finding);
        }
        for (subject, hits) in &by_subject {
            let reason = format!(
                "listed by a new version ({}): {}",
                versions.join("; "),
                hits.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            let hits = json!(hits);
            let (case, new) = store.open_screening_case(subject, &reason, &hits).await?;
            if new {
                opened.push(case.id);
            }
        }
        // Kept only now: had the node or the database failed above, the
        // next pass screens this version again (a case opens once).
        keep(pending);
        Ok(Rescreened {
            versions,
            screened: holdings.len() + payers.len(),
            opened,
        })
    }
}
