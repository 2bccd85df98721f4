//! Compliance cases: a subject the screening (or an operator) flagged, what
//! flagged it, its status, assignee and decisions. Every action is an entry
//! of one append-only history, hash-chained across all cases: each entry
//! carries the SHA-256 of the one before, so an edited, deleted or inserted
//! row is found by [`Store::verify_cases`]. A freeze needs two operators
//! (four eyes): one proposes, another approves; the chain's `Frozen` event
//! citing the approved order closes the case. What a case holds (the
//! gateway's payments from a listed sender, the desk's deposits) is the
//! service's: it answers through [`Holdings`].
use serde_json::{json, Value};
use sqlx::Row;

use crate::store::{new_id, now, Store, StoreError, Tx};

mod decide;
mod files;
mod holdings;
mod model;
mod verify;

pub use crate::seal::{Anchored, Seal, SealError};
pub use decide::{Approved, Decided};
pub use files::CaseFile;
pub use holdings::{HeldRow, Holdings};
pub(crate) use model::{case_from, entry_from};
pub use model::{
    Actor, Case, CaseError, CaseStatus, Decision, Entry, Freeze, Hashed, Proposal, Release, GENESIS,
};
pub use verify::{Broken, Verified};

/// Appends an entry to the chain inside the caller's transaction: the
/// chain's one row is locked by the update, so two writers queue.
pub async fn append(
    tx: &mut Tx<'_>,
    seal: Option<&Seal>,
    case_id: &str,
    actor: &Actor,
    action: &str,
    detail: Value,
    why: &str,
) -> Result<Entry, StoreError> {
    let row = sqlx::query("UPDATE case_chain SET seq = seq + 1 WHERE id = 1 RETURNING seq, head")
        .fetch_one(&mut **tx)
        .await?;
    let seq: i64 = row.try_get("seq")?;
    let prev_hash: String = row.try_get("head")?;
    let at = now();
    let detail_text = detail.to_string();
    let hash = Hashed {
        prev_hash: &prev_hash,
        seq,
        case_id,
        at,
        operator: &actor.operator,
        api_key_id: actor.api_key.as_deref(),
        action,
        detail: &detail_text,
        why,
    }
    .hash();
    let mac = seal.map(|seal| seal.entry_mac(&hash));
    sqlx::query(
        "INSERT INTO case_history (seq, case_id, at, operator, api_key_id, action, detail, why, prev_hash, hash, mac) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(seq)
    .bind(case_id)
    .bind(at)
    .bind(&actor.operator)
    .bind(&actor.api_key)
    .bind(action)
    .bind(&detail_text)
    .bind(why)
    .bind(&prev_hash)
    .bind(&hash)
    .bind(mac)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE case_chain SET head = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    Ok(Entry {
        seq,
        case_id: case_id.to_string(),
        at,
        operator: actor.operator.clone(),
        api_key_id: actor.api_key.clone(),
        action: action.to_string(),
        detail,
        why: why.to_string(),
        prev_hash,
        hash,
    })
}

/// Opens a case on `subject` inside the caller's transaction, or returns the
/// subject's case still undecided (a second hit joins it).
pub async fn open_in(
    tx: &mut Tx<'_>,
    seal: Option<&Seal>,
    subject: &str,
    reason: &str,
    hits: &Value,
    actor: &Actor,
) -> Result<(Case, bool), StoreError> {
    let open = sqlx::query(
        "SELECT * FROM cases WHERE subject = $1 AND status IN ('open', 'under review', 'escalated') \
         ORDER BY created_at LIMIT 1",
    )
    .bind(subject)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = open {
        return Ok((case_from(&row)?, false));
    }
    let id = new_id("case");
    let at = now();
    let row = sqlx::query(
        "INSERT INTO cases (id, subject, reason, hits, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'open', $5, $5) RETURNING *",
    )
    .bind(&id)
    .bind(subject)
    .bind(reason)
    .bind(hits.to_string())
    .bind(at)
    .fetch_one(&mut **tx)
    .await?;
    append(
        tx,
        seal,
        &id,
        actor,
        "opened",
        json!({"subject": subject, "hits": hits}),
        reason,
    )
    .await?;
    Ok((case_from(&row)?, true))
}

async fn case_in(tx: &mut Tx<'_>, id: &str) -> Result<Case, CaseError> {
    let row = sqlx::query("SELECT * FROM cases WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| CaseError::NotFound(id.to_string()))?;
    Ok(case_from(&row)?)
}

/// A case that still takes decisions, read in `tx` after locking its row:
/// on PostgreSQL two decisions on one case queue here, and the second reads
/// what the first decided (SQLite's writers queue at `BEGIN IMMEDIATE`).
pub async fn undecided(tx: &mut Tx<'_>, id: &str, actor: &Actor) -> Result<Case, CaseError> {
    if actor.operator.is_empty() {
        return Err(CaseError::NoOperator);
    }
    sqlx::query("UPDATE cases SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let case = case_in(tx, id).await?;
    if case.status.is_closed() {
        return Err(CaseError::Closed {
            id: case.id,
            status: case.status,
        });
    }
    Ok(case)
}

async fn set_status(tx: &mut Tx<'_>, id: &str, status: CaseStatus) -> Result<(), StoreError> {
    sqlx::query("UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl<S: crate::keys::ScopeKind> Store<S> {
    /// The operator a secret's key belongs to, if the key is live and has
    /// `scope`: the command line acts as the same person the API would.
    pub async fn operator_of(
        &self,
        secret: &str,
        scope: S,
    ) -> Result<Result<Actor, String>, StoreError> {
        let Some(key) = self.key_by_secret(secret.trim()).await? else {
            return Ok(Err("the operator key is unknown or revoked".into()));
        };
        if !key.allows(scope) {
            return Ok(Err(format!(
                "operator key {} lacks the scope {scope}",
                key.id
            )));
        }
        Ok(Actor::of_key(&key).map_err(|e| e.to_string()))
    }
}

impl<S> Store<S> {
    /// Opens a case by hand (an operator's own suspicion, a lawful order);
    /// the service checks the subject is one it knows how to name.
    pub async fn open_case(
        &self,
        subject: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<Case, CaseError> {
        if actor.operator.is_empty() {
            return Err(CaseError::NoOperator);
        }
        let mut tx = self.begin().await?;
        let (case, _) = open_in(&mut tx, self.seal(), subject, reason, &json!([]), actor).await?;
        tx.commit().await?;
        self.anchor_cases().await?;
        Ok(case)
    }

    pub async fn case(&self, id: &str) -> Result<Option<Case>, StoreError> {
        let row = sqlx::query("SELECT * FROM cases WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(case_from).transpose()
    }

    /// Cases, oldest first; of one status only if given.
    pub async fn cases(&self, status: Option<CaseStatus>) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM cases WHERE ($1 = '' OR status = $1) ORDER BY created_at, id",
        )
        .bind(status.map_or("", CaseStatus::as_str))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(case_from).collect()
    }

    /// A case's history, in order.
    pub async fn case_history(&self, id: &str) -> Result<Vec<Entry>, StoreError> {
        let rows = sqlx::query("SELECT * FROM case_history WHERE case_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(entry_from).collect()
    }

    /// Assigns the case (an open one is then under review).
    pub async fn assign_case(
        &self,
        id: &str,
        assignee: &str,
        actor: &Actor,
        why: &str,
    ) -> Result<Case, CaseError> {
        let mut tx = self.begin().await?;
        let case = undecided(&mut tx, id, actor).await?;
        let status = match case.status {
            CaseStatus::Open => CaseStatus::UnderReview,
            other => other,
        };
        sqlx::query("UPDATE cases SET assignee = $1 WHERE id = $2")
            .bind(assignee)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, id, status).await?;
        append(
            &mut tx,
            self.seal(),
            id,
            actor,
            "assigned",
            json!({"assignee": assignee, "status": status}),
            why,
        )
        .await?;
        let case = case_in(&mut tx, id).await?;
        tx.commit().await?;
        self.anchor_cases().await?;
        Ok(case)
    }

    /// A note on the case (a closed one too: the record may grow).
    pub async fn note_case(&self, id: &str, actor: &Actor, note: &str) -> Result<Entry, CaseError> {
        if actor.operator.is_empty() {
            return Err(CaseError::NoOperator);
        }
        let mut tx = self.begin().await?;
        case_in(&mut tx, id).await?;
        let entry = append(&mut tx, self.seal(), id, actor, "note", json!({}), note).await?;
        tx.commit().await?;
        self.anchor_cases().await?;
        Ok(entry)
    }

    /// The chain shows a freeze of `token_account` citing `order_sha256`
    /// (hex) in `signature`. The approved case it carries out is frozen
    /// when the account frozen is the subject's: its associated account of
    /// the mint (`subject_account` says which that is) or an account a held
    /// payment came from. A freeze of another account citing the order is
    /// noted on the case, which stays approved. Once: false if no approved
    /// case awaits that order (or the account was not the subject's).
    pub async fn record_frozen<H: Holdings>(
        &self,
        holdings: &H,
        order_sha256: &str,
        token_account: &str,
        signature: &str,
        subject_account: impl Fn(&str) -> Option<String>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "SELECT * FROM cases WHERE freeze_order_sha256 = $1 AND freeze_signature IS NULL",
        )
        .bind(order_sha256)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(false);
        };
        let case = case_from(&row)?;
        let held = holdings.accounts(&mut tx, &case.id).await?;
        let subjects: Vec<String> = subject_account(&case.subject)
            .into_iter()
            .chain(held)
            .collect();
        if !subjects.iter().any(|a| a == token_account) {
            let noted = sqlx::query(
                "SELECT 1 AS noted FROM case_history WHERE case_id = $1 AND action = 'freeze of another account' \
                 AND detail LIKE $2",
            )
            .bind(&case.id)
            .bind(format!("%{signature}%"))
            .fetch_optional(&mut *tx)
            .await?;
            if noted.is_none() {
                append(
                    &mut tx,
                    self.seal(),
                    &case.id,
                    &Actor::chain(),
                    "freeze of another account",
                    json!({"signature": signature, "token_account": token_account,
                           "subject_accounts": subjects}),
                    "a freeze citing this case's order froze an account that is not the subject's; the case stays open",
                )
                .await?;
                tx.commit().await?;
                self.anchor_cases().await?;
            }
            return Ok(false);
        }
        sqlx::query("UPDATE cases SET freeze_signature = $1 WHERE id = $2")
            .bind(signature)
            .bind(&case.id)
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, &case.id, CaseStatus::Frozen).await?;
        append(
            &mut tx,
            self.seal(),
            &case.id,
            &Actor::chain(),
            "frozen",
            json!({"status": CaseStatus::Frozen, "signature": signature, "token_account": token_account}),
            "the freeze citing the approved order landed",
        )
        .await?;
        tx.commit().await?;
        self.anchor_cases().await?;
        Ok(true)
    }

    /// Writes the chain's head to the seal's anchor file (outside the
    /// database), if this store is sealed: after every decision, and at
    /// each watcher pass.
    pub async fn anchor_cases(&self) -> Result<(), StoreError> {
        let Some(seal) = self.seal() else {
            return Ok(());
        };
        let row = sqlx::query("SELECT seq, head FROM case_chain WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        let (seq, head): (i64, String) = (row.try_get("seq")?, row.try_get("head")?);
        if seq == 0 {
            return Ok(());
        }
        seal.anchor(seq, &head)
            .map_err(|e| StoreError::Seal(e.to_string()))
    }

    /// A case the screening opens on `subject` for `hits` (or the hit joined
    /// to the subject's undecided case): the case, and whether it is new.
    pub async fn open_screening_case(
        &self,
        subject: &str,
        reason: &str,
        hits: &Value,
    ) -> Result<(Case, bool), StoreError> {
        let mut tx = self.begin().await?;
        let (case, new) = open_in(
            &mut tx,
            self.seal(),
            subject,
            reason,
            hits,
            &Actor::screening(),
        )
        .await?;
        if !new {
            append(
                &mut tx,
                self.seal(),
                &case.id,
                &Actor::screening(),
                "hit",
                json!({"hits": hits}),
                reason,
            )
            .await?;
        }
        tx.commit().await?;
        self.anchor_cases().await?;
        Ok((case, new))
    }
}
