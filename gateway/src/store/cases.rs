//! The gateway's compliance cases: the service kit's cases (four eyes, the
//! sealed hash-chained history), holding payments from listed senders
//! ([`HeldPayments`]), on subjects that are Solana addresses.
use serde_json::Value;

use super::apply::Recorded;
use super::held::HeldPayments;
use super::{Store, StoreError};

pub use usd1_service::cases::{
    append, open_in, Actor, Anchored, Broken, Case, CaseError, CaseFile, CaseStatus, Decision,
    Entry, Freeze, Hashed, Proposal, Release, Seal, SealError, Verified, GENESIS,
};

/// What a decision did; a release's payments recorded as the watcher would have.
pub type Decided = usd1_service::cases::Decided<Recorded>;
/// What an approval did.
pub type Approved = usd1_service::cases::Approved<Recorded>;

impl Store {
    /// Opens a case by hand (an operator's own suspicion, a lawful order) on
    /// a Solana address.
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
        self.kit().open_case(subject, reason, actor).await
    }

    /// Decides the case.
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
        self.kit()
            .decide_case_seen(&HeldPayments, id, decision, actor, why, on_chain)
            .await
    }

    /// A second operator approves what is proposed: a release (the held
    /// payments are applied) or a freeze (the case file is written as the
    /// order the freeze cites; `on_chain`, read just before, goes in it).
    pub async fn approve_case_seen(
        &self,
        id: &str,
        actor: &Actor,
        why: &str,
        on_chain: Option<&Value>,
    ) -> Result<Approved, CaseError> {
        self.kit()
            .approve_case_seen(&HeldPayments, id, actor, why, on_chain)
            .await
    }

    /// [`Self::approve_case_seen`] of a proposed freeze.
    pub async fn approve_freeze(
        &self,
        id: &str,
        actor: &Actor,
        why: &str,
    ) -> Result<(Case, CaseFile), CaseError> {
        self.approve_freeze_seen(id, actor, why, None).await
    }

    /// [`Self::approve_case_seen`], which must approve a freeze.
    pub async fn approve_freeze_seen(
        &self,
        id: &str,
        actor: &Actor,
        why: &str,
        on_chain: Option<&Value>,
    ) -> Result<(Case, CaseFile), CaseError> {
        self.kit()
            .approve_freeze_seen(&HeldPayments, id, actor, why, on_chain)
            .await
    }

    /// Walks the whole chain, then holds the rows (held payments among
    /// them) against it.
    pub async fn verify_cases(&self) -> Result<Result<Verified, Broken>, StoreError> {
        self.kit().verify_cases_of(&HeldPayments).await
    }

    /// The chain shows a freeze of `token_account` citing `order_sha256`
    /// (hex) in `signature`: the approved case it carries out is frozen when
    /// the account is the subject's (`subject_account`) or one a held
    /// payment came from. Once: false if no approved case awaits that order.
    pub async fn record_frozen(
        &self,
        order_sha256: &str,
        token_account: &str,
        signature: &str,
        subject_account: impl Fn(&str) -> Option<String>,
    ) -> Result<bool, StoreError> {
        self.kit()
            .record_frozen(
                &HeldPayments,
                order_sha256,
                token_account,
                signature,
                subject_account,
            )
            .await
    }
}
