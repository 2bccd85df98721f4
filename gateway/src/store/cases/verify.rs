//! Checking the case history: every entry's hash recomputed, each linked to
//! the one before, none missing (the sequence has no gap and ends at the
//! chain's head), and each case's row agreeing with what its history says.
use serde::Serialize;
use sqlx::Row;

use super::{case_from, entry_from, CaseStatus, Hashed, GENESIS};
use crate::store::{Store, StoreError};

/// An intact chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub entries: i64,
    pub cases: usize,
    /// The last entry's hash: record it elsewhere to detect a cut-off tail.
    pub head: String,
}

/// The first thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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

impl Store {
    /// Walks the whole chain.
    pub async fn verify_cases(&self) -> Result<Result<Verified, Broken>, StoreError> {
        let rows = sqlx::query("SELECT * FROM case_history ORDER BY seq")
            .fetch_all(self.pool())
            .await?;
        let mut prev = GENESIS.to_string();
        let mut expected_seq = 1;
        // What each case's history says: its subject, status and assignee.
        let mut replay: std::collections::BTreeMap<String, (String, CaseStatus, Option<String>)> =
            Default::default();
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
            match entry.action.as_str() {
                "opened" => {
                    let subject = entry.detail["subject"].as_str().unwrap_or_default();
                    replay.insert(
                        entry.case_id.clone(),
                        (subject.to_string(), CaseStatus::Open, None),
                    );
                }
                action => {
                    let Some(state) = replay.get_mut(&entry.case_id) else {
                        return Ok(Err(broken(
                            Some(entry.seq),
                            case,
                            format!("'{action}' on a case never opened"),
                        )));
                    };
                    if let Some(next) = entry.detail["status"].as_str().and_then(CaseStatus::named)
                    {
                        state.1 = next;
                    }
                    if action == "assigned" {
                        state.2 = entry.detail["assignee"].as_str().map(str::to_string);
                    }
                }
            }
            prev = entry.hash;
            expected_seq += 1;
        }
        let chain = sqlx::query("SELECT seq, head FROM case_chain WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        let (seq, head): (i64, String) = (chain.try_get("seq")?, chain.try_get("head")?);
        if seq != expected_seq - 1 || head != prev {
            return Ok(Err(broken(
                Some(expected_seq),
                None,
                format!(
                    "missing: the chain's head is entry {seq}, the history ends at {}",
                    expected_seq - 1
                ),
            )));
        }
        let cases = sqlx::query("SELECT * FROM cases ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        for row in &cases {
            let case = case_from(row)?;
            let Some((subject, status, assignee)) = replay.get(&case.id) else {
                return Ok(Err(broken(None, Some(&case.id), "has no history")));
            };
            if *subject != case.subject || *status != case.status || *assignee != case.assignee {
                return Ok(Err(broken(
                    None,
                    Some(&case.id),
                    format!(
                        "its row says {} / {} / {:?}, its history {subject} / {status} / {assignee:?}",
                        case.subject, case.status, case.assignee
                    ),
                )));
            }
        }
        if replay.len() != cases.len() {
            return Ok(Err(broken(
                None,
                None,
                "a case with history has no row (deleted)",
            )));
        }
        Ok(Ok(Verified {
            entries: expected_seq - 1,
            cases: cases.len(),
            head: prev,
        }))
    }
}
