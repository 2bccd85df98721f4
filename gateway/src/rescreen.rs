//! The gateway's sanctions lists and what a new version of one sets off.
//!
//! Each watcher pass looks at the list files' sizes and times. A file that
//! changed is hashed; a version already in force, or already refused, is
//! not read again (a file is parsed once per hash). A new version is used
//! for payments at once if it is whole (`List::parse` refuses one cut off,
//! empty or undated) and does not lose more than `max_loss_bps` of the
//! previous version's addresses — a bigger loss (a truncated download, the
//! wrong file) waits until an operator confirms that version (`usd1-gateway
//! list confirm`), the old one staying in force meanwhile; a refusal is
//! reported once, not every pass. Entries a version could not read are
//! reported too. What a version added is then screened, by a task of its
//! own with retries, against every holder of the mint (owner and token
//! account) and every payer of an invoice still open or underpaid, a case
//! opening for each new hit: a public node that refuses `getProgramAccounts`
//! never keeps a new list from screening payments.
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use serde_json::json;
use solana_sdk::pubkey::Pubkey;
use usd1_client::ledger::Ledger;
use usd1_client::screening::{Finding, List, Role, Screener};

use crate::store::Store;
use crate::Treasury;

/// A new version losing more than this share of the previous one's
/// addresses (basis points) waits for an operator: 10%.
pub const DEFAULT_MAX_LOSS_BPS: u64 = 1_000;
/// The re-screen's first retry after a failure, doubled to at most
/// `RETRY_CAP`.
const RETRY_FIRST: Duration = Duration::from_secs(5);
const RETRY_CAP: Duration = Duration::from_secs(600);

/// A file's size and modification time, to notice it changed.
type Stamp = Option<(u64, SystemTime)>;

fn stamp(path: &PathBuf) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

/// What the lists are doing, for `/ready` and `/metrics`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ListsState {
    /// `name: version` of each list in force.
    pub in_force: Vec<String>,
    /// Versions refused (not whole, or a loss waiting for an operator), with why.
    pub refused: Vec<String>,
    /// Entries of the lists in force that name no Solana address.
    pub entries_not_screened: usize,
    /// Versions whose additions still wait to be screened against holders.
    pub rescreens_pending: usize,
    /// Why the last re-screen failed, while it has not succeeded since.
    pub rescreen_error: Option<String>,
}

/// A version's additions, to screen against holders and payers.
struct Rescreen {
    label: String,
    added: List,
}

struct State {
    stamps: Vec<Stamp>,
    screener: Arc<Screener>,
    /// Hashes not to read again: refused ones.
    refused: HashSet<String>,
    /// Versions read whole that lose too much: (list index, version),
    /// used once an operator confirms them.
    awaiting: Vec<(usize, List)>,
    /// Why versions were refused, by list, until a newer one is in force.
    refusals: Vec<(usize, String)>,
    queue: Vec<Rescreen>,
    rescreen_error: Option<String>,
    next_try: Option<Instant>,
    retry: Duration,
}

/// The lists a gateway screens against, as last read.
pub struct Lists {
    paths: Vec<PathBuf>,
    max_loss_bps: u64,
    state: Mutex<State>,
}

/// What a new version of a list caused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rescreened {
    /// `name: old version → new version`, one per list re-screened.
    pub versions: Vec<String>,
    pub screened: usize,
    /// Cases opened (a subject with an undecided case has the hit joined to it).
    pub opened: Vec<String>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    usd1_client::hex(&usd1_client::sha256(bytes))
}

impl Lists {
    /// Reads every list (a bad one stops the gateway from starting),
    /// saying what each could not read.
    pub fn load(paths: &[PathBuf]) -> anyhow::Result<Self> {
        Self::load_with(paths, DEFAULT_MAX_LOSS_BPS)
    }

    /// [`Self::load`], refusing new versions that lose more than `max_loss_bps`.
    pub fn load_with(paths: &[PathBuf], max_loss_bps: u64) -> anyhow::Result<Self> {
        let stamps = paths.iter().map(stamp).collect();
        let screener = Screener::read(paths)?;
        for list in screener.lists() {
            report_rejected(list);
        }
        Ok(Self {
            paths: paths.to_vec(),
            max_loss_bps,
            state: Mutex::new(State {
                stamps,
                screener: Arc::new(screener),
                refused: HashSet::new(),
                awaiting: Vec::new(),
                refusals: Vec::new(),
                queue: Vec::new(),
                rescreen_error: None,
                next_try: None,
                retry: RETRY_FIRST,
            }),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The lists in force.
    pub fn screener(&self) -> Arc<Screener> {
        self.with(|s| s.screener.clone())
    }

    pub fn state(&self) -> ListsState {
        self.with(|s| ListsState {
            in_force: s
                .screener
                .lists()
                .iter()
                .map(|l| format!("{}: {}", l.name, l.version))
                .collect(),
            refused: s
                .refusals
                .iter()
                .map(|(_, why)| why.clone())
                .chain(s.awaiting.iter().map(|(_, l)| {
                    format!(
                        "{} {}: loses too many addresses, waiting for an operator (usd1-gateway list confirm {})",
                        l.name, l.version, l.version.sha256
                    )
                }))
                .collect(),
            entries_not_screened: s.screener.lists().iter().map(|l| l.rejected_total).sum(),
            rescreens_pending: s.queue.len(),
            rescreen_error: s.rescreen_error.clone(),
        })
    }

    /// One look at the files: a new version, whole and not losing too much
    /// (or confirmed by an operator), is in force from now; its additions
    /// wait for [`Self::rescreen`]. Each version is read once.
    pub async fn check(&self, store: &Store) -> anyhow::Result<Vec<String>> {
        let stamps: Vec<Stamp> = self.paths.iter().map(stamp).collect();
        let awaiting = self.with(|s| s.awaiting.clone());
        let changed = self.with(|s| s.stamps != stamps);
        if !changed && awaiting.is_empty() {
            return Ok(Vec::new());
        }
        let (current, refused) = self.with(|s| (s.screener.lists().to_vec(), s.refused.clone()));
        let mut lists = current.clone();
        let mut adopted = Vec::new();
        let mut replaced = Vec::new();
        let mut queue = Vec::new();
        let mut refusals = Vec::new();
        let mut still_awaiting = Vec::new();
        // Versions waiting for an operator: in force once confirmed.
        for (at, new) in awaiting {
            if store.list_confirmed(&new.version.sha256).await? {
                let (label, rescreen) = adopt(&lists[at], &new);
                queue.extend(rescreen);
                adopted.push(format!("{label} (confirmed by an operator)"));
                replaced.push(at);
                lists[at] = new;
            } else {
                still_awaiting.push((at, new));
            }
        }
        for (at, path) in self.paths.iter().enumerate().filter(|_| changed) {
            // A file being replaced is read again at the next pass.
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            let sha = sha256_hex(&bytes);
            let waiting = still_awaiting.iter().any(|(_, l)| l.version.sha256 == sha);
            if waiting || refused.contains(&sha) {
                continue;
            }
            // The file moved on from a version that waited (back to the one
            // in force, or to another): that one no longer waits.
            still_awaiting.retain(|(i, _)| *i != at);
            if sha == lists[at].version.sha256 {
                continue;
            }
            let name = current[at].name.clone();
            let new = match List::parse(&name, &bytes) {
                Ok(new) => new,
                Err(error) => {
                    let why = format!(
                        "{name} (sha256 {}): {error}; the version in force stays",
                        &sha[..16]
                    );
                    refusals.push((at, sha, why));
                    continue;
                }
            };
            let loss = new.loss_bps_since(&current[at]);
            if loss > self.max_loss_bps && !store.list_confirmed(&sha).await? {
                let changes = new.changes_since(&current[at]);
                eprintln!(
                    "usd1-gateway: screening list refused: {name}: the new version {} drops {} of the {} addresses in force ({}.{:02}%), more than {}.{:02}%; \
                     it is not used until an operator confirms it (usd1-gateway list confirm {sha})",
                    new.version,
                    changes.removed.len(),
                    current[at].entries.len(),
                    loss / 100,
                    loss % 100,
                    self.max_loss_bps / 100,
                    self.max_loss_bps % 100
                );
                still_awaiting.push((at, new));
                continue;
            }
            let (label, rescreen) = adopt(&lists[at], &new);
            queue.extend(rescreen);
            adopted.push(label);
            replaced.push(at);
            lists[at] = new;
        }
        for (_, _, why) in &refusals {
            eprintln!("usd1-gateway: screening list refused: {why}");
        }
        self.with(|s| {
            s.stamps = stamps;
            s.awaiting = still_awaiting;
            if !adopted.is_empty() {
                s.screener = Arc::new(Screener::new(lists));
            }
            s.refusals.retain(|(at, _)| !replaced.contains(at));
            for (at, sha, why) in refusals {
                s.refused.insert(sha);
                s.refusals.push((at, why));
            }
            if !queue.is_empty() {
                s.queue.extend(queue);
                s.next_try = None;
                s.retry = RETRY_FIRST;
            }
        });
        for label in &adopted {
            eprintln!("usd1-gateway: screening list in force: {label}");
        }
        Ok(adopted)
    }

    /// Screens what the pending versions added against every holder of the
    /// treasury's mint and the payers of unsettled invoices, if a try is
    /// due; on failure the versions wait, tried again after a doubling pause.
    pub async fn rescreen(
        &self,
        store: &Store,
        ledger: &impl Ledger,
        treasury: &Treasury,
    ) -> Result<Option<Rescreened>, String> {
        let due =
            self.with(|s| !s.queue.is_empty() && s.next_try.is_none_or(|at| Instant::now() >= at));
        if !due {
            return Ok(None);
        }
        let (labels, added): (Vec<String>, Vec<List>) = self.with(|s| {
            s.queue
                .iter()
                .map(|r| (r.label.clone(), r.added.clone()))
                .unzip()
        });
        match screen_added(store, ledger, treasury, &labels, added).await {
            Ok(rescreened) => {
                self.with(|s| {
                    s.queue.drain(..labels.len());
                    s.rescreen_error = None;
                    s.retry = RETRY_FIRST;
                });
                Ok(Some(rescreened))
            }
            Err(error) => {
                let error = usd1_client::one_line(error.as_ref());
                let first = self.with(|s| {
                    let first = s.rescreen_error.is_none();
                    s.rescreen_error = Some(error.clone());
                    s.next_try = Some(Instant::now() + s.retry);
                    s.retry = (s.retry * 2).min(RETRY_CAP);
                    first
                });
                if first {
                    eprintln!(
                        "usd1-gateway: re-screening holders for {} failed ({error}); the new versions already screen payments; retrying",
                        labels.join("; ")
                    );
                }
                Err(error)
            }
        }
    }
}

/// A version taken into force over `old`: its label, and what it added,
/// to screen against the holders (nothing if it added nothing).
fn adopt(old: &List, new: &List) -> (String, Option<Rescreen>) {
    report_rejected(new);
    let changes = new.changes_since(old);
    let label = format!("{}: {} → {}", new.name, changes.from, changes.to);
    let rescreen = (!changes.added.is_empty()).then(|| {
        let mut added = new.clone();
        added.entries = changes.added;
        Rescreen {
            label: label.clone(),
            added,
        }
    });
    (label, rescreen)
}

/// Says what a version could not read, once, as the CLI does.
fn report_rejected(list: &List) {
    if list.rejected_total == 0 {
        return;
    }
    let shown: Vec<String> = list
        .rejected
        .iter()
        .take(5)
        .map(|r| format!("{} '{}' ({})", r.entry, r.text, r.reason))
        .collect();
    eprintln!(
        "usd1-gateway: screening list {} ({}): {} entries name no Solana address and are not screened: {}{}",
        list.name,
        list.version,
        list.rejected_total,
        shown.join("; "),
        if list.rejected_total > shown.len() { "; …" } else { "" }
    );
}

/// Holders and unsettled payers screened against `added`; a case per new hit.
async fn screen_added(
    store: &Store,
    ledger: &impl Ledger,
    treasury: &Treasury,
    labels: &[String],
    added: Vec<List>,
) -> anyhow::Result<Rescreened> {
    let added = Screener::new(added);
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
            labels.join("; "),
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
    Ok(Rescreened {
        versions: labels.to_vec(),
        screened: holdings.len() + payers.len(),
        opened,
    })
}
