//! What a case is: its status, who acts on it, its freeze, its history's
//! entries and how each entry is hashed; rows decoded.
use std::fmt;

use serde::Serialize;
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::Row;
use thiserror::Error;

use crate::keys::ApiKey;
use crate::store::StoreError;
/// Where a case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum CaseStatus {
    #[serde(rename = "open")]
    Open,
    #[serde(rename = "under review")]
    UnderReview,
    #[serde(rename = "escalated")]
    Escalated,
    #[serde(rename = "frozen")]
    Frozen,
    #[serde(rename = "released")]
    Released,
    #[serde(rename = "reported")]
    Reported,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 6] = [
        CaseStatus::Open,
        CaseStatus::UnderReview,
        CaseStatus::Escalated,
        CaseStatus::Frozen,
        CaseStatus::Released,
        CaseStatus::Reported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::UnderReview => "under review",
            CaseStatus::Escalated => "escalated",
            CaseStatus::Frozen => "frozen",
            CaseStatus::Released => "released",
            CaseStatus::Reported => "reported",
        }
    }

    /// The status of this name (`under-review` as well as `under review`).
    pub fn named(text: &str) -> Option<Self> {
        let text = text.replace(['-', '_'], " ");
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// A decided case takes no more decisions.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            CaseStatus::Frozen | CaseStatus::Released | CaseStatus::Reported
        )
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who acts: the operator (a person) and the API key that says so. An
/// operator's actions come only from a key of theirs, over the API or the
/// command line alike (`Actor::of_key`); the screening and the chain act as
/// themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub operator: String,
    pub api_key: Option<String>,
}

impl Actor {
    pub fn new(operator: &str, api_key: Option<&str>) -> Self {
        Actor {
            operator: operator.trim().to_string(),
            api_key: api_key.map(str::to_string),
        }
    }

    /// The person `key` belongs to, acting with it.
    pub fn of_key<S>(key: &ApiKey<S>) -> Result<Self, CaseError> {
        match key.operator.as_deref().map(str::trim) {
            Some(operator) if !operator.is_empty() => Ok(Self::new(operator, Some(&key.id))),
            _ => Err(CaseError::KeyNamesNoOperator(key.id.clone())),
        }
    }

    /// What the screening itself does.
    pub fn screening() -> Self {
        Self::new("screening", None)
    }

    /// What the watcher reads from the chain.
    pub fn chain() -> Self {
        Self::new("chain", None)
    }

    /// The same person: one operator, or one API key.
    pub(crate) fn same_as(&self, operator: &str, api_key: Option<&str>) -> bool {
        self.operator == operator || (self.api_key.is_some() && self.api_key.as_deref() == api_key)
    }
}

/// A release of held payments proposed, for another operator to approve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Release {
    pub proposed_by: String,
    #[serde(skip)]
    pub proposed_key: Option<String>,
}

/// A freeze proposed, approved, landed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Freeze {
    pub reason_code: u16,
    pub proposed_by: String,
    #[serde(skip)]
    pub proposed_key: Option<String>,
    /// The approved order's SHA-256 (hex): what the freeze must cite.
    pub order_sha256: Option<String>,
    /// The freeze transaction, once the chain shows it.
    pub signature: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Case {
    pub id: String,
    pub subject: String,
    pub reason: String,
    pub hits: Value,
    pub status: CaseStatus,
    pub assignee: Option<String>,
    pub freeze: Option<Freeze>,
    pub release: Option<Release>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an approval of a case would approve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proposal {
    Release,
    Freeze,
}

impl Case {
    /// What `actor` would approve on this case, or why they may not: nothing
    /// is proposed, the freeze is approved already, or `actor` is the
    /// person who proposed it (four eyes).
    pub fn approvable_by(&self, actor: &Actor) -> Result<Proposal, CaseError> {
        let (proposal, by, key) = match (&self.release, &self.freeze) {
            (Some(release), _) => (
                Proposal::Release,
                &release.proposed_by,
                &release.proposed_key,
            ),
            (None, Some(freeze)) if freeze.order_sha256.is_some() => {
                return Err(CaseError::FreezeAlreadyApproved(self.id.clone()))
            }
            (None, Some(freeze)) => (Proposal::Freeze, &freeze.proposed_by, &freeze.proposed_key),
            (None, None) => return Err(CaseError::NothingProposed(self.id.clone())),
        };
        if actor.same_as(by, key.as_deref()) {
            return Err(CaseError::FourEyes {
                operator: by.clone(),
                what: match proposal {
                    Proposal::Release => "release",
                    Proposal::Freeze => "freeze",
                },
            });
        }
        Ok(proposal)
    }
}

/// One action in a case's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    pub case_id: String,
    pub at: i64,
    pub operator: String,
    pub api_key_id: Option<String>,
    pub action: String,
    pub detail: Value,
    pub why: String,
    pub prev_hash: String,
    pub hash: String,
}

/// What an operator decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A false positive: the held payments are processed.
    Release,
    /// To the compliance officer.
    Escalate,
    /// A case file for the officer to file.
    Report,
    /// Propose a freeze of the subject's account (a second operator approves).
    Freeze { reason_code: u16 },
}

impl Decision {
    /// A decision by its name (`release`, `escalate`, `report`, `freeze`);
    /// a freeze needs its reason code.
    pub fn named(name: &str, reason_code: Option<u16>) -> Result<Self, String> {
        Ok(match name {
            "release" => Decision::Release,
            "escalate" => Decision::Escalate,
            "report" => Decision::Report,
            "freeze" => Decision::Freeze {
                reason_code: reason_code.ok_or("a freeze needs its reason_code")?,
            },
            other => {
                return Err(format!(
                    "'{other}' is not release, escalate, report or freeze"
                ))
            }
        })
    }
}

#[derive(Debug, Error)]
pub enum CaseError {
    #[error("no case {0}")]
    NotFound(String),
    #[error("case {id} is {status}: it takes no more decisions")]
    Closed { id: String, status: CaseStatus },
    #[error("four eyes: {operator} proposed this {what}, another operator must approve it")]
    FourEyes {
        operator: String,
        what: &'static str,
    },
    #[error("case {0} has no freeze proposed")]
    NoFreezeProposed(String),
    #[error("case {0} has nothing proposed to approve")]
    NothingProposed(String),
    #[error("case {0} already has a freeze proposed")]
    FreezeAlreadyProposed(String),
    #[error("case {0}'s freeze is already approved")]
    FreezeAlreadyApproved(String),
    #[error("case {0} already has a release proposed")]
    ReleaseAlreadyProposed(String),
    /// A release while a freeze is proposed or approved, or a freeze while
    /// a release is proposed: one decision at a time.
    #[error("case {id} has a {pending} proposed: decide on it first")]
    DecisionPending { id: String, pending: &'static str },
    /// A release that would let go of something no one may have yet.
    #[error("case {id} cannot be released yet: {why}")]
    NotReleasable { id: String, why: String },
    #[error("an operator name is required")]
    NoOperator,
    #[error("API key {0} names no operator: case actions need a key made with --operator")]
    KeyNamesNoOperator(String),
    #[error("'{0}' is not a Solana address")]
    BadSubject(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CaseError {
    fn from(error: sqlx::Error) -> Self {
        CaseError::Store(error.into())
    }
}

/// The hash of no entry: the chain's start.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry's hash covers, `detail` as the JSON text stored.
pub struct Hashed<'a> {
    pub prev_hash: &'a str,
    pub seq: i64,
    pub case_id: &'a str,
    pub at: i64,
    pub operator: &'a str,
    pub api_key_id: Option<&'a str>,
    pub action: &'a str,
    pub detail: &'a str,
    pub why: &'a str,
}

impl Hashed<'_> {
    /// SHA-256 of the previous hash (hex), a newline, and the entry's
    /// fields as a JSON array in this order.
    pub fn hash(&self) -> String {
        let fields = json!([
            self.seq,
            self.case_id,
            self.at,
            self.operator,
            self.api_key_id,
            self.action,
            self.detail,
            self.why
        ]);
        let mut bytes = self.prev_hash.as_bytes().to_vec();
        bytes.push(b'\n');
        bytes.extend_from_slice(fields.to_string().as_bytes());
        usd1_client::hex(&usd1_client::sha256(&bytes))
    }
}

pub(crate) fn case_from(row: &AnyRow) -> Result<Case, StoreError> {
    let status: String = row.try_get("status")?;
    let hits: String = row.try_get("hits")?;
    let proposed_by: Option<String> = row.try_get("freeze_proposed_by")?;
    let reason_code: Option<i64> = row.try_get("freeze_reason_code")?;
    let freeze = match proposed_by {
        Some(proposed_by) => Some(Freeze {
            reason_code: u16::try_from(reason_code.unwrap_or_default())
                .map_err(|_| StoreError::Malformed("freeze_reason_code".into()))?,
            proposed_by,
            proposed_key: row.try_get("freeze_proposed_key")?,
            order_sha256: row.try_get("freeze_order_sha256")?,
            signature: row.try_get("freeze_signature")?,
        }),
        None => None,
    };
    let release = row
        .try_get::<Option<String>, _>("release_proposed_by")?
        .map(|proposed_by| -> Result<Release, StoreError> {
            Ok(Release {
                proposed_by,
                proposed_key: row.try_get("release_proposed_key")?,
            })
        })
        .transpose()?;
    Ok(Case {
        id: row.try_get("id")?,
        subject: row.try_get("subject")?,
        reason: row.try_get("reason")?,
        hits: serde_json::from_str(&hits).map_err(|e| StoreError::Malformed(e.to_string()))?,
        status: CaseStatus::named(&status)
            .ok_or_else(|| StoreError::Malformed(format!("case status '{status}'")))?,
        assignee: row.try_get("assignee")?,
        freeze,
        release,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(crate) fn entry_from(row: &AnyRow) -> Result<Entry, StoreError> {
    let detail: String = row.try_get("detail")?;
    Ok(Entry {
        seq: row.try_get("seq")?,
        case_id: row.try_get("case_id")?,
        at: row.try_get("at")?,
        operator: row.try_get("operator")?,
        api_key_id: row.try_get("api_key_id")?,
        action: row.try_get("action")?,
        detail: serde_json::from_str(&detail).map_err(|e| StoreError::Malformed(e.to_string()))?,
        why: row.try_get("why")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}
