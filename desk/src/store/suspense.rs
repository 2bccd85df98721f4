//! A deposit in suspense (a wire whose remittance named no customer's
//! reference, or several) given to the customer it belongs to. An operator
//! names the owner under the deposit's case while the case is undecided;
//! the dollars move from `suspense` to what the desk owes the customer, the
//! case's history records who named whom and why, and `deposit.owner_named`
//! is published, in one transaction. Nothing is minted yet: the case's
//! release (proposed by one operator, approved by another, who sees the
//! naming in the history) sends the deposit through the rules, and a case
//! holding a deposit with no owner named is not released at all.
use serde_json::json;
use usd1_service::cases::{self, Actor, CaseError};

use super::customers::{customer_in, CustomerError};
use super::deposits::{deposit_in, from_row, listed_wallet, Deposit, DepositEvent};
use super::{emit_deposit, now, post, Store, StoreError};
use crate::decide::State;
use crate::ledger;

/// The case history's action that names a deposit's owner.
pub const OWNER_NAMED: &str = "owner named";

/// Why naming a deposit's owner is refused.
#[derive(Debug, thiserror::Error)]
pub enum OwnerError {
    #[error("no deposit {0}")]
    NotFound(String),
    #[error("deposit {id} is not held by case {case}")]
    NotInCase { id: String, case: String },
    #[error("deposit {id} is {state}, not in suspense")]
    NotInSuspense { id: String, state: State },
    #[error("deposit {id} already belongs to customer {customer}")]
    AlreadyNamed { id: String, customer: String },
    #[error("deposit {0}'s amount is not whole cents: it cannot be minted to anyone")]
    NoAmount(String),
    #[error("no customer {0}")]
    NoCustomer(String),
    #[error("customer {0} has a wallet on a sanctions list: its deposits are held, not named")]
    CustomerListed(String),
    /// The case refuses: unknown, closed, no operator, or a release or
    /// freeze proposed (naming would change what the approver approves).
    #[error(transparent)]
    Case(CaseError),
}

impl From<CaseError> for OwnerError {
    fn from(error: CaseError) -> Self {
        OwnerError::Case(error)
    }
}

impl From<StoreError> for OwnerError {
    fn from(error: StoreError) -> Self {
        OwnerError::Case(CaseError::Store(error))
    }
}

impl From<sqlx::Error> for OwnerError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::from(error).into()
    }
}

impl Store {
    /// Names `customer` the owner of deposit `deposit_id`, held in suspense
    /// by case `case_id`, as `actor` (why: `why`): the deposit as it now
    /// stands.
    pub async fn name_owner(
        &self,
        case_id: &str,
        deposit_id: &str,
        customer: &str,
        actor: &Actor,
        why: &str,
    ) -> Result<Deposit, OwnerError> {
        let mut tx = self.begin().await?;
        let case = cases::undecided(&mut tx, case_id, actor).await?;
        let pending = match (&case.release, &case.freeze) {
            (Some(_), _) => Some("release"),
            (_, Some(_)) => Some("freeze"),
            _ => None,
        };
        if let Some(pending) = pending {
            return Err(CaseError::DecisionPending {
                id: case.id,
                pending,
            }
            .into());
        }
        let row = sqlx::query("SELECT * FROM deposits WHERE id = $1")
            .bind(deposit_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| OwnerError::NotFound(deposit_id.to_string()))?;
        let deposit = from_row(&row)?;
        let id = deposit.id.clone();
        if deposit.case_id.as_deref() != Some(case_id) {
            return Err(OwnerError::NotInCase { id, case: case.id });
        }
        if deposit.state != State::Suspense {
            let state = deposit.state;
            return Err(OwnerError::NotInSuspense { id, state });
        }
        if let Some(customer) = deposit.customer_id {
            return Err(OwnerError::AlreadyNamed { id, customer });
        }
        if deposit.amount == 0 {
            return Err(OwnerError::NoAmount(id));
        }
        match customer_in(&mut tx, customer).await {
            Ok(_) => {}
            Err(CustomerError::Store(error)) => return Err(error.into()),
            Err(_) => return Err(OwnerError::NoCustomer(customer.to_string())),
        }
        if listed_wallet(&mut tx, customer).await?.is_some() {
            return Err(OwnerError::CustomerListed(customer.to_string()));
        }
        let named = format!("owner named by {}: {why}", actor.operator);
        let updated = sqlx::query(
            "UPDATE deposits SET customer_id = $1, why = $2, updated_at = $3 \
             WHERE id = $4 AND state = 'suspense' AND customer_id IS NULL",
        )
        .bind(customer)
        .bind(&named)
        .bind(now())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            // Changed since it was read (a reversal took it): nothing is booked.
            let state = deposit_in(&mut tx, &id).await?.state;
            return Err(OwnerError::NotInSuspense { id, state });
        }
        post(
            &mut tx,
            &ledger::deposit_owner_named(customer, deposit.amount),
        )
        .await?;
        let entry = cases::append(
            &mut tx,
            self.seal(),
            case_id,
            actor,
            OWNER_NAMED,
            json!({"item": format!("deposit:{id}"), "customer": customer}),
            why,
        )
        .await?;
        let deposit = deposit_in(&mut tx, &id).await?;
        emit_deposit(
            &mut tx,
            "deposit.owner_named",
            &id,
            &format!("{id}:owner:{}", entry.seq),
            DepositEvent::of(&deposit, None),
        )
        .await?;
        tx.commit().await?;
        Ok(deposit)
    }
}
