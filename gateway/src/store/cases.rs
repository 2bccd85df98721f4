//! Compliance cases: a subject the screening (or an operator) flagged, what
//! flagged it, its status, assignee and decisions. Every action is an entry
//! of one append-only history, hash-chained across all cases: each entry
//! carries the SHA-256 of the one before, so an edited, deleted or inserted
//! row is found by [`Store::verify_cases`]. A freeze needs two operators
//! (four eyes): one proposes, another approves; the chain's `Frozen` event
//! citing the approved order closes the case.
use serde_json::{json, Value};
use sqlx::Row;

use super::{new_id, now, Store, StoreError, Tx};

mod files;
mod model;
mod verify;

pub use files::CaseFile;
pub(crate) use model::{case_from, entry_from};
pub use model::{Actor, Case, CaseError, CaseStatus, Decision, Entry, Freeze, Hashed, GENESIS};
pub use verify::{Broken, Verified};

/// Appends an entry to the chain inside the caller's transaction: the
/// chain's one row is locked by the update, so two writers queue.
pub(crate) async fn append(
    tx: &mut Tx<'_>,
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
    sqlx::query(
        "INSERT INTO case_history (seq, case_id, at, operator, api_key_id, action, detail, why, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
pub(crate) async fn open_in(
    tx: &mut Tx<'_>,
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

/// A case that still takes decisions, read in `tx`.
async fn undecided(tx: &mut Tx<'_>, id: &str, actor: &Actor) -> Result<Case, CaseError> {
    if actor.operator.is_empty() {
        return Err(CaseError::NoOperator);
    }
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

/// What a decision did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decided {
    /// Released, with what each held payment then became.
    Released(Vec<super::chain::Recorded>),
    Escalated,
    /// The case file written, and its SHA-256 (hex).
    Reported(CaseFile),
    FreezeProposed,
}

impl Store {
    /// Opens a case by hand (an operator's own suspicion, a lawful order).
    pub async fn open_case(
        &self,
        subject: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<Case, CaseError> {
        if actor.operator.is_empty() {
            return Err(CaseError::NoOperator);
        }
        if subject.parse::<solana_sdk::pubkey::Pubkey>().is_err() {
            return Err(CaseError::BadSubject(subject.to_string()));
        }
        let mut tx = self.begin().await?;
        let (case, _) = open_in(&mut tx, subject, reason, &json!([]), actor).await?;
        tx.commit().await?;
        Ok(case)
    }

    pub async fn case(&self, id: &str) -> Result<Option<Case>, StoreError> {
        let row = sqlx::query("SELECT * FROM cases WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(case_from).transpose()
    }

    /// Cases, oldest first; of one status only if given.
    pub async fn cases(&self, status: Option<CaseStatus>) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM cases WHERE ($1 = '' OR status = $1) ORDER BY created_at, id",
        )
        .bind(status.map_or("", CaseStatus::as_str))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(case_from).collect()
    }

    /// A case's history, in order.
    pub async fn case_history(&self, id: &str) -> Result<Vec<Entry>, StoreError> {
        let rows = sqlx::query("SELECT * FROM case_history WHERE case_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(self.pool())
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
            id,
            actor,
            "assigned",
            json!({"assignee": assignee, "status": status}),
            why,
        )
        .await?;
        let case = case_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(case)
    }

    /// A note on the case (a closed one too: the record may grow).
    pub async fn note_case(&self, id: &str, actor: &Actor, note: &str) -> Result<Entry, CaseError> {
        if actor.operator.is_empty() {
            return Err(CaseError::NoOperator);
        }
        let mut tx = self.begin().await?;
        case_in(&mut tx, id).await?;
        let entry = append(&mut tx, id, actor, "note", json!({}), note).await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// Decides the case; each decision and what it causes commit together.
    pub async fn decide_case(
        &self,
        id: &str,
        decision: Decision,
        actor: &Actor,
        why: &str,
    ) -> Result<Decided, CaseError> {
        self.decide_case_seen(id, decision, actor, why, None).await
    }

    /// [`Self::decide_case`], a report's case file carrying what the chain
    /// holds of the subject (`on_chain`, read just before).
    pub async fn decide_case_seen(
        &self,
        id: &str,
        decision: Decision,
        actor: &Actor,
        why: &str,
        on_chain: Option<&Value>,
    ) -> Result<Decided, CaseError> {
        let mut tx = self.begin().await?;
        let case = undecided(&mut tx, id, actor).await?;
        let decided = match decision {
            Decision::Release => {
                set_status(&mut tx, id, CaseStatus::Released).await?;
                let entry = append(
                    &mut tx,
                    id,
                    actor,
                    "released",
                    json!({"status": CaseStatus::Released}),
                    why,
                )
                .await?;
                Decided::Released(super::held::release(&mut tx, &case, entry.seq).await?)
            }
            Decision::Escalate => {
                set_status(&mut tx, id, CaseStatus::Escalated).await?;
                append(
                    &mut tx,
                    id,
                    actor,
                    "escalated",
                    json!({"status": CaseStatus::Escalated}),
                    why,
                )
                .await?;
                Decided::Escalated
            }
            Decision::Report => {
                set_status(&mut tx, id, CaseStatus::Reported).await?;
                let file = files::write(&mut tx, id, "report", actor, why, on_chain).await?;
                append(
                    &mut tx,
                    id,
                    actor,
                    "reported",
                    json!({"status": CaseStatus::Reported, "case_file_sha256": file.sha256}),
                    why,
                )
                .await?;
                Decided::Reported(file)
            }
            Decision::Freeze { reason_code } => {
                if case.freeze.is_some() {
                    return Err(CaseError::FreezeAlreadyProposed(case.id));
                }
                sqlx::query(
                    "UPDATE cases SET freeze_reason_code = $1, freeze_proposed_by = $2, \
                     freeze_proposed_key = $3, updated_at = $4 WHERE id = $5",
                )
                .bind(i64::from(reason_code))
                .bind(&actor.operator)
                .bind(&actor.api_key)
                .bind(now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
                append(
                    &mut tx,
                    id,
                    actor,
                    "freeze proposed",
                    json!({"reason_code": reason_code}),
                    why,
                )
                .await?;
                Decided::FreezeProposed
            }
        };
        tx.commit().await?;
        Ok(decided)
    }

    /// A second operator approves the proposed freeze: the case file is
    /// written as the order the freeze cites (its SHA-256 goes on-chain).
    pub async fn approve_freeze(
        &self,
        id: &str,
        actor: &Actor,
        why: &str,
    ) -> Result<(Case, CaseFile), CaseError> {
        self.approve_freeze_seen(id, actor, why, None).await
    }

    /// [`Self::approve_freeze`], the order carrying what the chain holds of
    /// the subject (`on_chain`, read just before).
    pub async fn approve_freeze_seen(
        &self,
        id: &str,
        actor: &Actor,
        why: &str,
        on_chain: Option<&Value>,
    ) -> Result<(Case, CaseFile), CaseError> {
        let mut tx = self.begin().await?;
        let case = undecided(&mut tx, id, actor).await?;
        let freeze = case
            .freeze
            .clone()
            .ok_or_else(|| CaseError::NoFreezeProposed(case.id.clone()))?;
        if freeze.order_sha256.is_some() {
            return Err(CaseError::FreezeAlreadyApproved(case.id));
        }
        let row = sqlx::query("SELECT freeze_proposed_key FROM cases WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let proposed_key: Option<String> = row.try_get("freeze_proposed_key")?;
        if actor.same_as(&freeze.proposed_by, proposed_key.as_deref()) {
            return Err(CaseError::FourEyes {
                operator: freeze.proposed_by,
            });
        }
        let file = files::write(&mut tx, id, "order", actor, why, on_chain).await?;
        sqlx::query("UPDATE cases SET freeze_order_sha256 = $1, updated_at = $2 WHERE id = $3")
            .bind(&file.sha256)
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        append(
            &mut tx,
            id,
            actor,
            "freeze approved",
            json!({"order_sha256": file.sha256, "reason_code": freeze.reason_code}),
            why,
        )
        .await?;
        let case = case_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok((case, file))
    }

    /// The chain shows a freeze citing `order_sha256` (hex) in `signature`:
    /// the approved case it carries out is frozen. Once: false if no
    /// approved case awaits that order.
    pub async fn record_frozen(
        &self,
        order_sha256: &str,
        token_account: &str,
        signature: &str,
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
        sqlx::query("UPDATE cases SET freeze_signature = $1 WHERE id = $2")
            .bind(signature)
            .bind(&case.id)
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, &case.id, CaseStatus::Frozen).await?;
        append(
            &mut tx,
            &case.id,
            &Actor::chain(),
            "frozen",
            json!({"status": CaseStatus::Frozen, "signature": signature, "token_account": token_account}),
            "the freeze citing the approved order landed",
        )
        .await?;
        tx.commit().await?;
        Ok(true)
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
        let (case, new) = open_in(&mut tx, subject, reason, hits, &Actor::screening()).await?;
        if !new {
            append(
                &mut tx,
                &case.id,
                &Actor::screening(),
                "hit",
                json!({"hits": hits}),
                reason,
            )
            .await?;
        }
        tx.commit().await?;
        Ok((case, new))
    }

    /// The senders of payments to invoices not yet settled (open or underpaid).
    pub async fn unsettled_payers(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT m.counterparty AS payer FROM movements m JOIN invoices i ON i.id = m.invoice_id \
             WHERE i.status IN ('open', 'underpaid') AND m.counterparty IS NOT NULL ORDER BY payer",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok(row.try_get("payer")?)).collect()
    }
}
