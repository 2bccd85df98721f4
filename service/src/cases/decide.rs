//! Deciding a case, one decision at a time, with four eyes where money or
//! a freeze follows: releasing what is held (payments from a listed
//! sender, a deposit), like a
//! freeze, is proposed by one operator and approved by another (a different
//! person: their keys name different operators), and neither is taken while
//! the other is pending. Each decision and what it causes commit together.
use serde_json::{json, Value};

use super::{append, case_in, files, set_status, undecided};
use super::{Actor, Case, CaseError, CaseFile, CaseStatus, Decision, Holdings, Proposal};
use crate::store::{now, Store};

/// What a decision did; `R` what releasing one held item did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decided<R> {
    /// Released (a case holding nothing), with what each held item became.
    Released(Vec<R>),
    /// A release of held payments proposed: another operator approves it.
    ReleaseProposed,
    Escalated,
    /// The case file written, and its SHA-256 (hex).
    Reported(CaseFile),
    FreezeProposed,
}

/// What an approval did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Approved<R> {
    /// The held items applied, as they would have been.
    Release(Vec<R>),
    /// The freeze's order written: the freeze must cite its SHA-256.
    Freeze(Box<Case>, CaseFile),
}

impl<S> Store<S> {
    /// Decides the case, a report's case file carrying what the chain
    /// holds of the subject (`on_chain`, read just before); what the case
    /// holds is `holdings`'.
    pub async fn decide_case_seen<H: Holdings>(
        &self,
        holdings: &H,
        id: &str,
        decision: Decision,
        actor: &Actor,
        why: &str,
        on_chain: Option<&Value>,
    ) -> Result<Decided<H::Released>, CaseError> {
        let mut tx = self.begin().await?;
        let case = undecided(&mut tx, id, actor).await?;
        let seal = self.seal();
        let decided = match decision {
            Decision::Release => {
                if case.freeze.is_some() {
                    return Err(CaseError::DecisionPending {
                        id: case.id,
                        pending: "freeze",
                    });
                }
                if case.release.is_some() {
                    return Err(CaseError::ReleaseAlreadyProposed(case.id));
                }
                if let Some(why) = holdings.unreleasable(&mut tx, id).await? {
                    return Err(CaseError::NotReleasable { id: case.id, why });
                }
                if holdings.holds(&mut tx, id).await? {
                    sqlx::query(
                        "UPDATE cases SET release_proposed_by = $1, release_proposed_key = $2, \
                         updated_at = $3 WHERE id = $4",
                    )
                    .bind(&actor.operator)
                    .bind(&actor.api_key)
                    .bind(now())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    append(
                        &mut tx,
                        seal,
                        id,
                        actor,
                        "release proposed",
                        json!({"proposed_by": actor.operator, "proposed_key": actor.api_key}),
                        why,
                    )
                    .await?;
                    Decided::ReleaseProposed
                } else {
                    set_status(&mut tx, id, CaseStatus::Released).await?;
                    let entry = append(
                        &mut tx,
                        seal,
                        id,
                        actor,
                        "released",
                        json!({"status": CaseStatus::Released}),
                        why,
                    )
                    .await?;
                    Decided::Released(holdings.release(&mut tx, &case, entry.seq).await?)
                }
            }
            Decision::Escalate => {
                set_status(&mut tx, id, CaseStatus::Escalated).await?;
                append(
                    &mut tx,
                    seal,
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
                let file =
                    files::write(&mut tx, holdings, id, "report", actor, why, on_chain).await?;
                append(
                    &mut tx,
                    seal,
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
                if case.release.is_some() {
                    return Err(CaseError::DecisionPending {
                        id: case.id,
                        pending: "release",
                    });
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
                    seal,
                    id,
                    actor,
                    "freeze proposed",
                    json!({"reason_code": reason_code, "proposed_by": actor.operator,
                           "proposed_key": actor.api_key}),
                    why,
                )
                .await?;
                Decided::FreezeProposed
            }
        };
        tx.commit().await?;
        self.anchor_cases().await?;
        Ok(decided)
    }

    /// A second operator approves what is proposed: a release (the held
    /// payments are applied) or a freeze (the case file is written as the
    /// order the freeze cites; `on_chain`, read just before, goes in it).
    pub async fn approve_case_seen<H: Holdings>(
        &self,
        holdings: &H,
        id: &str,
        actor: &Actor,
        why: &str,
        on_chain: Option<&Value>,
    ) -> Result<Approved<H::Released>, CaseError> {
        let mut tx = self.begin().await?;
        let case = undecided(&mut tx, id, actor).await?;
        let seal = self.seal();
        let approved = match case.approvable_by(actor)? {
            Proposal::Release => {
                let proposed_by = case
                    .release
                    .as_ref()
                    .map(|r| r.proposed_by.clone())
                    .unwrap_or_default();
                set_status(&mut tx, id, CaseStatus::Released).await?;
                let entry = append(
                    &mut tx,
                    seal,
                    id,
                    actor,
                    "released",
                    json!({"status": CaseStatus::Released, "approved_by": actor.operator,
                           "proposed_by": proposed_by}),
                    why,
                )
                .await?;
                Approved::Release(holdings.release(&mut tx, &case, entry.seq).await?)
            }
            Proposal::Freeze => {
                let reason_code = case
                    .freeze
                    .as_ref()
                    .map(|f| f.reason_code)
                    .unwrap_or_default();
                let file =
                    files::write(&mut tx, holdings, id, "order", actor, why, on_chain).await?;
                sqlx::query(
                    "UPDATE cases SET freeze_order_sha256 = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(&file.sha256)
                .bind(now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
                append(
                    &mut tx,
                    seal,
                    id,
                    actor,
                    "freeze approved",
                    json!({"order_sha256": file.sha256, "reason_code": reason_code}),
                    why,
                )
                .await?;
                Approved::Freeze(Box::new(case_in(&mut tx, id).await?), file)
            }
        };
        tx.commit().await?;
        self.anchor_cases().await?;
        Ok(approved)
    }

    /// [`Self::approve_case_seen`], which must approve a freeze.
    pub async fn approve_freeze_seen<H: Holdings>(
        &self,
        holdings: &H,
        id: &str,
        actor: &Actor,
        why: &str,
        on_chain: Option<&Value>,
    ) -> Result<(Case, CaseFile), CaseError> {
        match self.case(id).await? {
            Some(case) if case.freeze.is_none() => {
                return Err(CaseError::NoFreezeProposed(case.id))
            }
            None => return Err(CaseError::NotFound(id.to_string())),
            Some(_) => {}
        }
        match self
            .approve_case_seen(holdings, id, actor, why, on_chain)
            .await?
        {
            Approved::Freeze(case, file) => Ok((*case, file)),
            Approved::Release(_) => Err(CaseError::NoFreezeProposed(id.to_string())),
        }
    }
}
