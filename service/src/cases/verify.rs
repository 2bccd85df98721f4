//! Checking the case history: every entry's hash recomputed, each linked to
//! the one before, none missing (the sequence has no gap and ends at the
//! chain's head); with the seal, every entry's MAC checked (a rewrite with
//! every later hash recomputed needs the key) and every anchor written
//! outside the database found (a tail cut off with the head rolled back
//! leaves an anchor naming an entry the database lost). Then every row four
//! eyes and a freeze rely on is held against what the history says: each
//! case's status, assignee and subject, who proposed a freeze or a release
//! and with which key, the order approved and the freeze that carried it
//! out, every case file's bytes, every held item (the service's
//! [`Holdings`]) and its release.
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

use super::{case_from, entry_from, CaseStatus, Entry, Hashed, Holdings, GENESIS};
use crate::store::{Store, StoreError};

/// An intact chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Verified {
    pub entries: i64,
    pub cases: usize,
    /// The last entry's hash.
    pub head: String,
    /// Whether every entry's MAC was checked (the store is sealed), and the
    /// newest anchor found in the database.
    pub sealed: bool,
    pub anchored_seq: Option<i64>,
}

/// The first thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Broken {
    /// The first broken entry (its sequence number), or the case whose row
    /// disagrees with its history.
    pub seq: Option<i64>,
    pub case_id: Option<String>,
    pub problem: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.seq, &self.case_id) {
            (Some(seq), Some(case)) => write!(f, "entry {seq} (case {case}): {}", self.problem),
            (Some(seq), None) => write!(f, "entry {seq}: {}", self.problem),
            (None, Some(case)) => write!(f, "case {case}: {}", self.problem),
            (None, None) => f.write_str(&self.problem),
        }
    }
}

fn broken(seq: Option<i64>, case_id: Option<&str>, problem: impl Into<String>) -> Broken {
    Broken {
        seq,
        case_id: case_id.map(str::to_string),
        problem: problem.into(),
    }
}

/// What a case's history says its row must hold.
#[derive(Default, Debug, PartialEq, Eq)]
struct Replayed {
    subject: String,
    status: Option<CaseStatus>,
    assignee: Option<String>,
    /// (operator, key) of the freeze proposal, its reason code, the order
    /// approved and the freeze's signature.
    freeze_proposed: Option<(String, Option<String>)>,
    freeze_reason: Option<i64>,
    order: Option<String>,
    frozen_by: Option<String>,
    release_proposed: Option<(String, Option<String>)>,
    /// Held items: key → (the facts recorded, released by entry).
    held: BTreeMap<String, (Vec<Option<String>>, Option<i64>)>,
    /// Case files the history names.
    files: Vec<String>,
}

fn text(value: &Value, field: &str) -> Option<String> {
    value[field].as_str().map(str::to_string)
}

/// Folds one entry into its case's replay.
fn replay<H: Holdings>(state: &mut Replayed, entry: &Entry) {
    let detail = &entry.detail;
    if let Some(next) = detail["status"].as_str().and_then(CaseStatus::named) {
        state.status = Some(next);
    }
    let by = || (entry.operator.clone(), entry.api_key_id.clone());
    match entry.action.as_str() {
        "assigned" => state.assignee = text(detail, "assignee"),
        "freeze proposed" => {
            state.freeze_proposed = Some(by());
            state.freeze_reason = detail["reason_code"].as_i64();
        }
        "freeze approved" => {
            state.order = text(detail, "order_sha256");
            state.files.extend(text(detail, "order_sha256"));
        }
        "frozen" => state.frozen_by = text(detail, "signature"),
        "release proposed" => state.release_proposed = Some(by()),
        "released" => {
            for held in state.held.values_mut().filter(|h| h.1.is_none()) {
                held.1 = Some(entry.seq);
            }
        }
        "reported" => state.files.extend(text(detail, "case_file_sha256")),
        held if held == H::HELD => {
            if let Some(key) = text(detail, H::KEY) {
                let facts = H::FACTS.iter().map(|f| text(detail, f)).collect();
                state.held.insert(key, (facts, None));
            }
        }
        amended if Some(amended) == H::AMENDED => {
            let held = text(detail, H::KEY).and_then(|key| state.held.get_mut(&key));
            if let Some((facts, _)) = held {
                for (fact, name) in facts.iter_mut().zip(H::FACTS) {
                    if let Some(value) = text(detail, name) {
                        *fact = Some(value);
                    }
                }
            }
        }
        _ => {}
    }
}

impl<S> Store<S> {
    /// Walks the whole chain, then holds the rows (the service's held items
    /// among them) against it.
    pub async fn verify_cases_of<H: Holdings>(
        &self,
        holdings: &H,
    ) -> Result<Result<Verified, Broken>, StoreError> {
        let rows = sqlx::query("SELECT * FROM case_history ORDER BY seq")
            .fetch_all(self.pool())
            .await?;
        let seal = self.seal();
        let mut prev = GENESIS.to_string();
        let mut expected_seq = 1;
        let mut hashes: BTreeMap<i64, String> = BTreeMap::new();
        let mut replays: BTreeMap<String, Replayed> = BTreeMap::new();
        for row in &rows {
            let entry = match entry_from(row) {
                Ok(entry) => entry,
                Err(error) => {
                    let seq: Option<i64> = row.try_get("seq").ok();
                    return Ok(Err(broken(seq, None, format!("unreadable: {error}"))));
                }
            };
            let case = Some(entry.case_id.as_str());
            if entry.seq != expected_seq {
                return Ok(Err(broken(
                    Some(expected_seq),
                    None,
                    format!("missing (the next entry present is {})", entry.seq),
                )));
            }
            if entry.prev_hash != prev {
                return Ok(Err(broken(
                    Some(entry.seq),
                    case,
                    "its previous hash is not the hash of the entry before it",
                )));
            }
            let detail: String = row.try_get("detail")?;
            let hash = Hashed {
                prev_hash: &entry.prev_hash,
                seq: entry.seq,
                case_id: &entry.case_id,
                at: entry.at,
                operator: &entry.operator,
                api_key_id: entry.api_key_id.as_deref(),
                action: &entry.action,
                detail: &detail,
                why: &entry.why,
            }
            .hash();
            if hash != entry.hash {
                return Ok(Err(broken(
                    Some(entry.seq),
                    case,
                    "its content does not match its hash (edited)",
                )));
            }
            if let Some(seal) = seal {
                let mac: Option<String> = row.try_get("mac")?;
                if mac.as_deref() != Some(seal.entry_mac(&entry.hash).as_str()) {
                    return Ok(Err(broken(
                        Some(entry.seq),
                        case,
                        "its MAC does not match: written or rewritten without the case key",
                    )));
                }
            }
            if entry.action == "opened" {
                replays.insert(
                    entry.case_id.clone(),
                    Replayed {
                        subject: text(&entry.detail, "subject").unwrap_or_default(),
                        status: Some(CaseStatus::Open),
                        ..Replayed::default()
                    },
                );
            } else {
                let Some(state) = replays.get_mut(&entry.case_id) else {
                    return Ok(Err(broken(
                        Some(entry.seq),
                        case,
                        format!("'{}' on a case never opened", entry.action),
                    )));
                };
                replay::<H>(state, &entry);
            }
            hashes.insert(entry.seq, entry.hash.clone());
            prev = entry.hash;
            expected_seq += 1;
        }
        let last = expected_seq - 1;
        let chain = sqlx::query("SELECT seq, head FROM case_chain WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        let (seq, head): (i64, String) = (chain.try_get("seq")?, chain.try_get("head")?);
        if seq != last || head != prev {
            return Ok(Err(broken(
                Some(expected_seq),
                None,
                format!("missing: the chain's head is entry {seq}, the history ends at {last}"),
            )));
        }
        let mut anchored_seq = None;
        if let Some(seal) = seal {
            let anchors = seal
                .anchors()
                .map_err(|e| StoreError::Seal(e.to_string()))?;
            for anchor in &anchors {
                match hashes.get(&anchor.seq) {
                    Some(hash) if *hash == anchor.hash => anchored_seq = Some(anchor.seq),
                    Some(_) => {
                        return Ok(Err(broken(
                            Some(anchor.seq),
                            None,
                            format!(
                                "not the entry anchored at {} outside the database (rewritten)",
                                crate::store::iso8601(anchor.at)
                            ),
                        )))
                    }
                    None => {
                        return Ok(Err(broken(
                            Some(anchor.seq),
                            None,
                            format!(
                                "missing: the anchor written at {} outside the database records it, the history ends at {last}",
                                crate::store::iso8601(anchor.at)
                            ),
                        )))
                    }
                }
            }
        }
        if let Some(broken) = self.rows_against(holdings, &replays).await? {
            return Ok(Err(broken));
        }
        Ok(Ok(Verified {
            entries: last,
            cases: replays.len(),
            head: prev,
            sealed: seal.is_some(),
            anchored_seq,
        }))
    }

    /// The first row (case, file, held item) that disagrees with the history.
    async fn rows_against<H: Holdings>(
        &self,
        holdings: &H,
        replays: &BTreeMap<String, Replayed>,
    ) -> Result<Option<Broken>, StoreError> {
        let cases = sqlx::query("SELECT * FROM cases ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        for row in &cases {
            let case = case_from(row)?;
            let id = Some(case.id.as_str());
            let Some(state) = replays.get(&case.id) else {
                return Ok(Some(broken(None, id, "has no history")));
            };
            if state.subject != case.subject
                || state.status != Some(case.status)
                || state.assignee != case.assignee
            {
                return Ok(Some(broken(
                    None,
                    id,
                    format!(
                        "its row says {} / {} / {:?}, its history {} / {:?} / {:?}",
                        case.subject,
                        case.status,
                        case.assignee,
                        state.subject,
                        state.status,
                        state.assignee
                    ),
                )));
            }
            let freeze_row = case
                .freeze
                .as_ref()
                .map(|f| (f.proposed_by.clone(), f.proposed_key.clone()));
            let reason_row: Option<i64> = row.try_get("freeze_reason_code")?;
            let order_row = case.freeze.as_ref().and_then(|f| f.order_sha256.clone());
            let frozen_row = case.freeze.as_ref().and_then(|f| f.signature.clone());
            let release_row = case
                .release
                .as_ref()
                .map(|r| (r.proposed_by.clone(), r.proposed_key.clone()));
            let checks = [
                (
                    freeze_row != state.freeze_proposed,
                    "who proposed its freeze, and with which key",
                ),
                (
                    reason_row != state.freeze_reason,
                    "its freeze's reason code",
                ),
                (order_row != state.order, "the order its freeze cites"),
                (
                    frozen_row != state.frozen_by,
                    "the freeze that carried it out",
                ),
                (
                    release_row != state.release_proposed,
                    "who proposed its release, and with which key",
                ),
            ];
            if let Some((_, what)) = checks.iter().find(|(differs, _)| *differs) {
                return Ok(Some(broken(
                    None,
                    id,
                    format!("its row and its history disagree on {what}"),
                )));
            }
        }
        if replays.len() != cases.len() {
            return Ok(Some(broken(
                None,
                None,
                "a case with history has no row (deleted)",
            )));
        }
        let files = sqlx::query("SELECT sha256, case_id, body FROM case_files")
            .fetch_all(self.pool())
            .await?;
        for row in &files {
            let (sha256, case_id, body): (String, String, String) = (
                row.try_get("sha256")?,
                row.try_get("case_id")?,
                row.try_get("body")?,
            );
            if usd1_client::hex(&usd1_client::sha256(body.as_bytes())) != sha256 {
                return Ok(Some(broken(
                    None,
                    Some(&case_id),
                    format!("its case file {sha256} is not the bytes of that hash (edited)"),
                )));
            }
            if !replays
                .get(&case_id)
                .is_some_and(|state| state.files.contains(&sha256))
            {
                return Ok(Some(broken(
                    None,
                    Some(&case_id),
                    format!("its case file {sha256} is named by no history entry"),
                )));
            }
        }
        let held = holdings.rows(self.pool()).await?;
        for row in &held {
            let recorded = replays
                .get(&row.case_id)
                .and_then(|state| state.held.get(&row.key));
            if recorded != Some(&(row.facts.clone(), row.released_by)) {
                return Ok(Some(broken(
                    None,
                    Some(&row.case_id),
                    format!(
                        "its {} {} ({} or release) disagrees with its history",
                        H::NOUN,
                        row.key,
                        H::FACTS.join(", ")
                    ),
                )));
            }
        }
        // Every hold the history records has its row: in its case, or, once
        // that case released it, in the case that held it again since.
        let rows: std::collections::BTreeSet<(&str, &str)> = held
            .iter()
            .map(|row| (row.case_id.as_str(), row.key.as_str()))
            .collect();
        let keys: std::collections::BTreeSet<&str> = held.iter().map(|r| r.key.as_str()).collect();
        for (case_id, state) in replays {
            for (key, (_, released)) in &state.held {
                let moved_on = released.is_some() && keys.contains(key.as_str());
                if !rows.contains(&(case_id.as_str(), key.as_str())) && !moved_on {
                    return Ok(Some(broken(
                        None,
                        Some(case_id),
                        format!("a {} in the history has no row (deleted): {key}", H::NOUN),
                    )));
                }
            }
        }
        Ok(None)
    }
}
