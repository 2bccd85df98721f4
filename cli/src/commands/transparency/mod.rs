//! `usd1 transparency --mint M --out DIR [--reports DIR] [--terms FILE]
//! [--attestor-name PUBKEY=NAME]...`: a static transparency site (plain
//! HTML, CSS and inline SVG, no script) whose every figure is recomputed from
//! the chain and the hashed reports: supply against the attested reserve
//! over time, each attestation and its signers, the latest report's
//! composition, the redemption queue, the disclosure and the audit.
//! `transparency.json` beside it holds the same figures.
mod html;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, Context as _, Result};
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;
use usd1_client::audit::incremental::{advance, report_of};
use usd1_client::reserve_report::Report;
use usd1_client::transparency::{self, coverage_bps, PageState, Series, Transparency};
use usd1_client::{format_wide_amount, hex, sha256, ClientError, Disclosure};

use crate::commands::audit::{CheckpointView, ReplayArgs};
use crate::commands::MintArg;
use crate::progress::Meter;
use crate::{Context, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub mint: MintArg,
    /// Folder the site is written to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Folder of reserve reports (the oracle's output_dir): each attestation
    /// whose report hash matches a file here links to a copy of it.
    #[arg(long, value_name = "DIR")]
    pub reports: Option<PathBuf>,
    /// The terms document: its SHA-256 is checked against the disclosure's.
    #[arg(long, value_name = "FILE")]
    pub terms: Option<PathBuf>,
    /// Folder of monthly reserve reports (`usd1 report monthly --out`): the
    /// newest one every `--officer` certified is copied and linked.
    #[arg(long, value_name = "DIR", requires = "officers")]
    pub monthly: Option<PathBuf>,
    /// An officer whose certification a linked monthly report needs:
    /// `ceo=PUBKEY` (repeat for each).
    #[arg(long = "officer", value_name = "ROLE=PUBKEY", value_parser = crate::commands::report::parse_officer)]
    pub officers: Vec<(String, Pubkey)>,
    /// The issuance desk's newest reconciliation (`usd1-desk reconcile
    /// --format json`): shown on the page, a balanced day or a break, and
    /// copied beside it.
    #[arg(long, value_name = "FILE")]
    pub reconciliation: Option<PathBuf>,
    /// A name for an attestor key, shown beside it (repeatable).
    #[arg(long = "attestor-name", value_name = "PUBKEY=NAME", value_parser = parse_label)]
    pub attestor_names: Vec<(Pubkey, String)>,
    /// A transparency checkpoint (the audit's state and the page's series):
    /// not the same file as `usd1 audit --checkpoint`'s.
    #[command(flatten)]
    pub replay: ReplayArgs,
}

fn parse_label(text: &str) -> std::result::Result<(Pubkey, String), String> {
    let (key, name) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not PUBKEY=NAME"))?;
    let key = Pubkey::from_str(key).map_err(|_| format!("'{key}' is not a base58 public key"))?;
    if name.trim().is_empty() {
        return Err(format!("{key} is given an empty name"));
    }
    Ok((key, name.trim().to_string()))
}

/// One bar of a composition chart: (label, eligible, not counted), base units.
pub type Share = (String, u128, u128);

/// A report's shares by asset class and by custodian.
pub type Composition = (Vec<Share>, Vec<Share>);

/// Every figure on the page.
pub struct Page {
    pub mint: Pubkey,
    pub decimals: u8,
    pub built_slot: u64,
    pub built_at: i64,
    pub supply: u64,
    pub reserve: u64,
    pub ceiling: u64,
    pub margin_bps: u16,
    pub latest_seq: u64,
    pub latest_as_of: i64,
    pub latest_retired: bool,
    pub threshold: u8,
    pub history: Transparency,
    pub names: BTreeMap<Pubkey, String>,
    /// Report hash (hex) → the file name it was copied under.
    pub report_files: BTreeMap<String, String>,
    /// The latest attestation's report, when supplied.
    pub latest_report: Option<Report>,
    pub disclosure: Option<Disclosure>,
    /// Whether `--terms` hashes to the disclosed terms hash.
    pub terms_match: Option<bool>,
    pub audit_clean: bool,
    pub violations: Vec<String>,
    pub audited_transactions: usize,
    /// Freezes, thaws and seizures through the program (counts only are published).
    pub freezes: usd1_client::audit::Freezes,
    /// The newest monthly reserve report the officers certified, as linked.
    pub certified: Option<Certified>,
    /// The desk's newest reconciliation, and the file it was copied to.
    pub reconciliation: Option<(usd1_client::reconciliation::Report, String)>,
}

/// Reads the desk's reconciliation report and copies it beside the page.
fn reconciliation(
    file: &Path,
    out: &Path,
) -> Result<(usd1_client::reconciliation::Report, String)> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("--reconciliation {}: {e}", file.display()))?;
    let report: usd1_client::reconciliation::Report = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "--reconciliation {}: not a usd1-desk reconciliation report: {e}",
            file.display()
        )
    })?;
    let name = format!("reconciliation-{}.json", report.figures.date);
    std::fs::write(out.join(&name), &text)?;
    Ok((report, name))
}

/// A certified monthly report copied beside the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Certified {
    pub month: String,
    /// Its file under `reports/`, and the certifications beside it.
    pub file: String,
    pub certifications: String,
    pub sha256: String,
    pub officers: Vec<String>,
}

/// The newest monthly report in `dir` that every officer certified (newer
/// ones not, or not yet, certified are passed over), copied with its
/// certifications into `to`. Which month and mint a report is of is read
/// from the report itself, never from its file's name: a January report
/// renamed `report-2027-03.json` is January's; another mint's is not this
/// page's.
fn certified_monthly(
    dir: &Path,
    mint: &Pubkey,
    officers: &[(String, Pubkey)],
    to: &Path,
) -> Result<Option<Certified>> {
    let mut months: Vec<(String, PathBuf, Vec<u8>)> = Vec::new();
    for entry in std::fs::read_dir(dir)
        .with_context(|| format!("cannot read --monthly {}", dir.display()))?
    {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !is_file || !name.ends_with(".json") || name.ends_with(".certifications.json") {
            continue;
        }
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        let Ok(report) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            continue;
        };
        let month = report["month"].as_str().unwrap_or_default().to_string();
        let of_this_mint = report["mint"].as_str() == Some(mint.to_string().as_str());
        let monthly = report["format"].as_str() == Some(usd1_client::monthly::FORMAT);
        if monthly && of_this_mint && usd1_client::monthly::Month::parse(&month).is_some() {
            months.push((month, entry.path(), bytes));
        }
    }
    months.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    for (month, path, bytes) in months.into_iter().rev() {
        if !usd1_client::certification::verify(&path, officers)?.is_empty() {
            continue;
        }
        let sidecar = usd1_client::certification::path_for(&path);
        let (file, certifications) = (
            format!("report-{month}.json"),
            format!("report-{month}.json.certifications.json"),
        );
        std::fs::write(to.join(&file), &bytes)?;
        std::fs::copy(&sidecar, to.join(&certifications))?;
        return Ok(Some(Certified {
            month,
            file,
            certifications,
            sha256: hex(&sha256(&bytes)),
            officers: officers.iter().map(|(role, _)| role.clone()).collect(),
        }));
    }
    Ok(None)
}

impl Page {
    /// An amount for the JSON: plain decimal, as every machine reader expects.
    pub fn amount(&self, units: u128) -> String {
        format_wide_amount(units, self.decimals)
    }

    /// An amount for a person: `$599,000.00`.
    pub fn dollars(&self, units: u128) -> String {
        usd1_client::format_dollars(units, self.decimals)
    }

    pub fn coverage_bps(&self) -> Option<u128> {
        coverage_bps(self.reserve, self.supply)
    }

    /// The latest report's eligible and ineligible amounts by class and by
    /// custodian: (label, eligible, ineligible), largest first. Every sum is
    /// checked: a report whose figures cannot be added up is named, never
    /// a panic of the page build.
    pub fn composition(&self) -> Result<Option<Composition>, CompositionError> {
        let Some(report) = self.latest_report.as_ref() else {
            return Ok(None);
        };
        let mut by_class: BTreeMap<String, (u128, u128)> = BTreeMap::new();
        let mut by_custodian: BTreeMap<String, (u128, u128)> = BTreeMap::new();
        let invalid = |name: &str| CompositionError::AmountInvalid(name.to_string());
        for c in &report.components {
            let amount: u64 = c.amount_base_units.parse().map_err(|_| invalid(&c.name))?;
            let eligible: u64 = match &c.eligible_base_units {
                Some(text) => text.parse().map_err(|_| invalid(&c.name))?,
                None => amount,
            };
            let (class, custodian) = match &c.holding {
                Some(h) => (h.asset_class.label().to_string(), h.custodian.clone()),
                None => ("Unclassified".to_string(), c.name.clone()),
            };
            for (map, key) in [(&mut by_class, class), (&mut by_custodian, custodian)] {
                let entry = map.entry(key).or_default();
                let overflow = || CompositionError::Overflow(report.seq);
                entry.0 = entry.0.checked_add(eligible.into()).ok_or_else(overflow)?;
                entry.1 = entry
                    .1
                    .checked_add(amount.saturating_sub(eligible).into())
                    .ok_or_else(overflow)?;
            }
        }
        let sorted = |map: BTreeMap<String, (u128, u128)>| {
            let mut rows: Vec<Share> = map.into_iter().map(|(k, (e, i))| (k, e, i)).collect();
            rows.sort_by(|a, b| {
                b.1.saturating_add(b.2)
                    .cmp(&a.1.saturating_add(a.2))
                    .then(a.0.cmp(&b.0))
            });
            rows
        };
        Ok(Some((sorted(by_class), sorted(by_custodian))))
    }
}

/// Why a report's composition is not shown.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompositionError {
    #[error("ComponentAmountInvalid: the amount of component {0} is not a number of base units")]
    AmountInvalid(String),
    #[error("CompositionOverflow: the components of report #{0} add up past 128 bits")]
    Overflow(u64),
}

/// What the command prints.
#[derive(Debug, Serialize)]
pub struct Written {
    pub index: String,
    pub json: String,
    pub slot: u64,
    pub attestations: usize,
    pub reports_linked: usize,
    pub audit_clean: bool,
    /// Transactions read from the node by this run.
    pub read: u64,
    pub checkpoint: Option<CheckpointView>,
    /// JSON-RPC requests this run sent (retries included), over RPC.
    pub rpc_requests: Option<u64>,
}

impl fmt::Display for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Transparency page as of slot {}: {} attestations ({} with their report), audit {}",
            self.slot,
            self.attestations,
            self.reports_linked,
            if self.audit_clean {
                "clean"
            } else {
                "NOT clean"
            }
        )?;
        write!(f, "Wrote {} and {}", self.index, self.json)?;
        if let Some(c) = &self.checkpoint {
            write!(
                f,
                "\nRead {} transactions; wrote checkpoint {} (sha256 {})",
                self.read, c.path, c.sha256
            )?;
        }
        Ok(())
    }
}

pub async fn run(ctx: &Context, args: Args) -> Result<Output> {
    let usd1 = ctx.usd1(&args.mint.mint).await?;
    let (built_slot, built_at) = usd1.ledger().clock().await?;
    let config = usd1.config().await?;
    let supply = usd1.mint_info().await?.supply;
    let disclosure = match usd1.disclosure().await {
        Ok(d) => Some(d),
        Err(ClientError::AccountNotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let replay = &args.replay;
    let loaded = replay.load::<PageState>(transparency::FORMAT, &usd1.mint())?;
    let (state, mut series) = match loaded {
        Some((page, _)) => (Some(page.audit), page.series),
        None => (None, Series::default()),
    };
    let mut meter = Meter::new(ctx.progress);
    let advanced = advance(
        &usd1,
        state,
        replay.concurrency(),
        &mut |p| meter.show(p),
        &mut |block| block.iter().for_each(|tx| series.push(tx)),
    )
    .await;
    meter.done();
    let advanced = advanced?;
    let mut state = advanced.state;
    let audit = report_of(&usd1, &mut state, &advanced.pending, replay.concurrency()).await?;
    let target = disclosure.as_ref().map(|d| d.settlement_target_secs);
    let mut with_newest_slot = series.clone();
    let mut pending: Vec<_> = advanced.pending.iter().collect();
    pending.sort_by_key(|tx| tx.position);
    pending.iter().for_each(|tx| with_newest_slot.push(tx));
    let computed = with_newest_slot.view(built_at, target);
    let last = state.last;
    let page_state = PageState {
        audit: state,
        series,
    };
    let checkpoint = replay.save(transparency::FORMAT, &usd1.mint(), &page_state, last)?;

    std::fs::create_dir_all(args.out.join("reports"))
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let attested: BTreeSet<String> = computed
        .attestations
        .iter()
        .map(|a| hex(&a.report_sha256))
        .collect();
    let supplied = match &args.reports {
        Some(dir) => copy_reports(dir, &args.out.join("reports"), &attested)?,
        None => BTreeMap::new(),
    };
    let latest_hash = hex(&config.latest.report_sha256);
    let latest_report = match supplied.get(&latest_hash) {
        Some(name) => {
            let bytes = std::fs::read(args.out.join("reports").join(name))?;
            serde_json::from_slice::<Report>(&bytes).ok()
        }
        None => None,
    };
    let terms_match = match (&args.terms, &disclosure) {
        (Some(path), Some(d)) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read terms {}", path.display()))?;
            Some(sha256(&bytes) == d.terms_sha256)
        }
        (Some(_), None) => {
            bail!("--terms: this mint has published no disclosure to check them against")
        }
        _ => None,
    };
    let page = Page {
        mint: usd1.mint(),
        decimals: usd1.decimals(),
        built_slot,
        built_at,
        supply,
        reserve: config.latest.reserve_amount,
        ceiling: config.mintable_ceiling().unwrap_or(0),
        margin_bps: config.margin_bps,
        latest_seq: config.latest.seq,
        latest_as_of: config.latest.as_of,
        latest_retired: config.is_latest_retired(),
        threshold: config.threshold,
        history: computed,
        names: args.attestor_names.into_iter().collect(),
        report_files: supplied,
        latest_report,
        disclosure,
        terms_match,
        audit_clean: audit.is_clean(),
        violations: audit.violations.iter().map(ToString::to_string).collect(),
        audited_transactions: audit.transactions,
        freezes: audit.replayed.freezes.clone(),
        certified: match &args.monthly {
            Some(dir) => certified_monthly(
                dir,
                &args.mint.mint,
                &args.officers,
                &args.out.join("reports"),
            )?,
            None => None,
        },
        reconciliation: match &args.reconciliation {
            Some(file) => Some(reconciliation(file, &args.out)?),
            None => None,
        },
    };
    let index = args.out.join("index.html");
    std::fs::write(&index, html::render(&page))
        .with_context(|| format!("cannot write {}", index.display()))?;
    let json = args.out.join("transparency.json");
    std::fs::write(&json, serde_json::to_vec_pretty(&figures(&page))?)
        .with_context(|| format!("cannot write {}", json.display()))?;
    let linked = page
        .history
        .attestations
        .iter()
        .filter(|a| page.report_files.contains_key(&hex(&a.report_sha256)))
        .count();
    Ok(Output::new(&Written {
        index: index.display().to_string(),
        json: json.display().to_string(),
        slot: built_slot,
        attestations: page.history.attestations.len(),
        reports_linked: linked,
        audit_clean: page.audit_clean,
        read: advanced.read,
        checkpoint,
        rpc_requests: usd1.ledger().requests_sent(),
    }))
}

/// Copies into `to`, under its own name, each regular file of `from` whose
/// SHA-256 is the report hash of an attestation on-chain (`attested`), and
/// maps that hash (hex) to the name: a report is linked only by its hash.
/// Nothing else in the folder is published — not a keypair left there, not
/// a file a symbolic link points to (links are never followed).
fn copy_reports(
    from: &Path,
    to: &Path,
    attested: &BTreeSet<String>,
) -> Result<BTreeMap<String, String>> {
    let mut found = BTreeMap::new();
    let files = usd1_client::monthly::files_by_hash(from)
        .with_context(|| format!("cannot read --reports {}", from.display()))?;
    for (digest, (name, bytes)) in files {
        if !attested.contains(&digest) {
            continue;
        }
        std::fs::write(to.join(&name), &bytes)?;
        found.insert(digest, name);
    }
    Ok(found)
}

/// The page's figures as JSON: amounts as exact decimal strings, times as
/// unix seconds and UTC ISO-8601.
fn figures(page: &Page) -> serde_json::Value {
    let r = &page.history.redemptions;
    let composition = page.composition().map(|shares| {
        shares.map(|(classes, custodians)| {
            let rows = |rows: Vec<Share>| {
                rows.into_iter()
                    .map(|(name, eligible, ineligible)| {
                        serde_json::json!({
                            "name": name,
                            "eligible": page.amount(eligible),
                            "ineligible": page.amount(ineligible),
                        })
                    })
                    .collect::<Vec<_>>()
            };
            serde_json::json!({ "by_class": rows(classes), "by_custodian": rows(custodians) })
        })
    });
    let composition = match composition {
        Ok(shares) => serde_json::json!(shares),
        Err(error) => serde_json::json!({ "error": error.to_string() }),
    };
    serde_json::json!({
        "mint": page.mint.to_string(),
        "built_slot": page.built_slot,
        "built_at": html::utc(page.built_at),
        "supply": page.amount(page.supply.into()),
        "reserve": page.amount(page.reserve.into()),
        "ceiling": page.amount(page.ceiling.into()),
        "margin_bps": page.margin_bps,
        "coverage_bps": page.coverage_bps().map(|c| c.to_string()),
        "latest_seq": page.latest_seq,
        "attestations": page.history.attestations.iter().map(|a| serde_json::json!({
            "seq": a.seq,
            "as_of": html::utc(a.as_of),
            "slot": a.slot,
            "landed_at": a.landed_at.map(html::utc),
            "reserve": page.amount(a.reserve.into()),
            "report_sha256": hex(&a.report_sha256),
            "report_file": page.report_files.get(&hex(&a.report_sha256)),
            "signers": a.signers.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "composition": composition,
        "redemptions": {
            "requested": r.requested,
            "pending": r.pending,
            "pending_amount": page.amount(r.pending_amount),
            "settled": r.settled,
            "settled_amount": page.amount(r.settled_amount),
            "rejected": r.rejected,
            "rejected_amount": page.amount(r.rejected_amount),
            "settle_median_secs": r.settle_median,
            "settle_p95_secs": r.settle_p95,
            "settlement_target_secs": page.disclosure.as_ref().map(|d| d.settlement_target_secs),
            "overdue": r.overdue.iter().map(|o| o.id).collect::<Vec<_>>(),
        },
        "terms_match": page.terms_match,
        "audit": { "clean": page.audit_clean, "violations": page.violations },
        "monthly_report": page.certified,
        "compliance": {
            "frozen_accounts": page.freezes.frozen.len(),
            "frozen_amount": page.amount(page.freezes.frozen_amount),
            "freezes": page.freezes.freezes,
            "freezes_citing_order": page.freezes.freezes_citing_order,
            "thaws": page.freezes.thaws,
            "seizures": page.freezes.seizures,
            "seizures_citing_order": page.freezes.seizures_citing_order,
        },
    })
}
