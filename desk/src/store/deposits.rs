//! Deposits as stored: where each stands, the second operator's approval
//! of a large one, and the mint's journal — every mint transaction
//! recorded (committed) before it is sent, so that after a crash the chain
//! says whether it landed and no deposit is minted twice.
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use usd1_client::send_journal::Attempt;
use usd1_service::cases::{self, Actor};

use super::{emit_deposit, now, post_at, Store, StoreError, Tx};
use crate::decide::State;
use crate::ledger;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Deposit {
    pub id: String,
    /// The issuer's bank account and the entry's identity in it.
    pub account: String,
    pub identity: String,
    pub customer_id: Option<String>,
    /// USD1 base units.
    pub amount: u64,
    /// SHA-256 (hex) of the issuer's account and the entry's identity; the
    /// mint's memo carries it (`usd1-desk deposit <base58>`).
    pub reference_hash: String,
    pub state: State,
    pub why: Option<String>,
    pub case_id: Option<String>,
    pub wallet: Option<String>,
    pub proposed_by: Option<String>,
    pub approved_by: Option<String>,
    pub mint_signature: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A deposit's event (`deposit.*`): the deposit as it now stands, and the
/// mint's transaction for `deposit.minted`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DepositEvent {
    pub deposit: Deposit,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl DepositEvent {
    pub fn of(deposit: &Deposit, signature: Option<&str>) -> Self {
        DepositEvent {
            deposit: deposit.clone(),
            signature: signature.map(str::to_string),
        }
    }
}

impl Deposit {
    /// The memo its mint carries on-chain.
    /// The hash is written in base58 (as Solana writes hashes) to keep the
    /// memo short: the same 32 bytes as `reference_hash`'s hex.
    pub fn memo(&self) -> String {
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = self
                .reference_hash
                .get(2 * i..2 * i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or_default();
        }
        format!(
            "usd1-desk deposit {}",
            solana_sdk::hash::Hash::new_from_array(bytes)
        )
    }
}

pub(crate) fn from_row(row: &AnyRow) -> Result<Deposit, StoreError> {
    let state: String = row.try_get("state")?;
    let amount: i64 = row.try_get("amount")?;
    Ok(Deposit {
        id: row.try_get("id")?,
        account: row.try_get("account")?,
        identity: row.try_get("identity")?,
        customer_id: row.try_get("customer_id")?,
        amount: u64::try_from(amount)
            .map_err(|_| StoreError::Malformed(format!("amount {amount}")))?,
        reference_hash: row.try_get("reference_hash")?,
        state: State::named(&state)
            .ok_or_else(|| StoreError::Malformed(format!("state {state}")))?,
        why: row.try_get("why")?,
        case_id: row.try_get("case_id")?,
        wallet: row.try_get("wallet")?,
        proposed_by: row.try_get("proposed_by")?,
        approved_by: row.try_get("approved_by")?,
        mint_signature: row.try_get("mint_signature")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(crate) async fn deposit_in(tx: &mut Tx<'_>, id: &str) -> Result<Deposit, StoreError> {
    let row = sqlx::query("SELECT * FROM deposits WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    from_row(&row)
}

/// Holds `deposit` (`held`: its customer listed; or in suspense) under a
/// case: the open one on the customer's listed wallet (or on
/// `deposit:ID`), opened if there is none; its `held` entry, its case id
/// and `deposit.held`, in the caller's transaction.
pub(crate) async fn hold(
    tx: &mut Tx<'_>,
    seal: Option<&cases::Seal>,
    deposit: Deposit,
) -> Result<Deposit, StoreError> {
    let subject = match &deposit.customer_id {
        Some(customer) => listed_wallet(tx, customer)
            .await?
            .unwrap_or_else(|| customer.clone()),
        None => format!("deposit:{}", deposit.id),
    };
    let reason = match deposit.state {
        State::Held => format!("deposit {} of a listed customer", deposit.id),
        _ => format!(
            "deposit {} in suspense: {}",
            deposit.id,
            deposit.why.clone().unwrap_or_default()
        ),
    };
    let (case, _) =
        cases::open_in(tx, seal, &subject, &reason, &json!([]), &Actor::screening()).await?;
    super::record_hold(
        tx,
        seal,
        &case.id,
        &format!("deposit:{}", deposit.id),
        deposit.amount,
        deposit.customer_id.as_deref(),
        &reason,
    )
    .await?;
    sqlx::query("UPDATE deposits SET case_id = $1, released_by = NULL WHERE id = $2")
        .bind(&case.id)
        .bind(&deposit.id)
        .execute(&mut **tx)
        .await?;
    let deposit = deposit_in(tx, &deposit.id).await?;
    let data = DepositEvent::of(&deposit, None);
    // Held again later (under another case), it is another event.
    let cause = format!("{}:{}", deposit.id, case.id);
    emit_deposit(tx, "deposit.held", &deposit.id, &cause, data).await?;
    Ok(deposit)
}

/// A listed wallet of `customer`, if it has one.
pub(crate) async fn listed_wallet(
    tx: &mut Tx<'_>,
    customer: &str,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query(
        "SELECT address FROM wallets WHERE customer_id = $1 AND listed_at IS NOT NULL ORDER BY address LIMIT 1",
    )
    .bind(customer)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| r.try_get("address"))
        .transpose()
        .map_err(Into::into)
}

pub(crate) async fn set_state(
    tx: &mut Tx<'_>,
    id: &str,
    state: State,
    why: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE deposits SET state = $1, why = $2, updated_at = $3 WHERE id = $4")
        .bind(state.as_str())
        .bind(why)
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Why a deposit decision is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApprovalError {
    #[error("no deposit {0}")]
    NotFound(String),
    #[error("deposit {id} is {state}, not awaiting approval")]
    NotAwaiting { id: String, state: State },
    #[error("every approval names the operator who gave it")]
    NoOperator,
    #[error("{operator} proposed deposit {id}'s mint: another operator approves it (four eyes)")]
    FourEyes { id: String, operator: String },
}

/// What one approval did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum Approval {
    /// The first operator's: a second one approves.
    Proposed,
    /// The second: the deposit is ready to mint.
    Approved,
}

impl Store {
    pub async fn deposit(&self, id: &str) -> Result<Option<Deposit>, StoreError> {
        let row = sqlx::query("SELECT * FROM deposits WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Deposits, oldest first; in one state only if given.
    pub async fn deposits(&self, state: Option<State>) -> Result<Vec<Deposit>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM deposits WHERE ($1 = '' OR state = $1) ORDER BY created_at, id",
        )
        .bind(state.map_or("", State::as_str))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// One operator's approval of a large deposit's mint: the first
    /// proposes, a different one approves (four eyes).
    pub async fn approve_deposit(
        &self,
        id: &str,
        operator: &str,
    ) -> Result<Result<Approval, ApprovalError>, StoreError> {
        let operator = operator.trim();
        if operator.is_empty() {
            return Ok(Err(ApprovalError::NoOperator));
        }
        let mut tx = self.begin().await?;
        let Some(row) = sqlx::query("SELECT * FROM deposits WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(Err(ApprovalError::NotFound(id.to_string())));
        };
        let deposit = from_row(&row)?;
        if deposit.state != State::AwaitingApproval {
            return Ok(Err(ApprovalError::NotAwaiting {
                id: id.to_string(),
                state: deposit.state,
            }));
        }
        let approval = match deposit.proposed_by.as_deref() {
            None => {
                sqlx::query("UPDATE deposits SET proposed_by = $1, updated_at = $2 WHERE id = $3")
                    .bind(operator)
                    .bind(now())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                Approval::Proposed
            }
            Some(first) if first == operator => {
                return Ok(Err(ApprovalError::FourEyes {
                    id: id.to_string(),
                    operator: operator.to_string(),
                }))
            }
            Some(_) => {
                sqlx::query(
                    "UPDATE deposits SET approved_by = $1, state = 'ready', why = NULL, updated_at = $2 WHERE id = $3",
                )
                .bind(operator)
                .bind(now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
                Approval::Approved
            }
        };
        tx.commit().await?;
        Ok(Ok(approval))
    }

    /// Moves a deposit that waits on something outside the chain (its
    /// customer's KYB, a wallet) back through the rules: the ones now ready.
    pub async fn recheck_waiting(&self, four_eyes_above: u64) -> Result<Vec<String>, StoreError> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "SELECT d.id, d.amount, d.approved_by, c.status, \
             (SELECT COUNT(*) FROM wallets w WHERE w.customer_id = c.id) AS wallets, \
             (SELECT COUNT(*) FROM wallets w WHERE w.customer_id = c.id AND w.listed_at IS NOT NULL) AS listed \
             FROM deposits d JOIN customers c ON c.id = d.customer_id \
             WHERE d.state = 'awaiting_kyb' ORDER BY d.created_at, d.id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut moved = Vec::new();
        for row in &rows {
            let status: String = row.try_get("status")?;
            let amount: i64 = row.try_get("amount")?;
            let facts = crate::decide::Facts {
                booked: true,
                kyb: status.parse().map_err(StoreError::Malformed)?,
                listed: row.try_get::<i64, _>("listed")? > 0,
                has_wallet: row.try_get::<i64, _>("wallets")? > 0,
                amount: u64::try_from(amount).unwrap_or_default(),
                four_eyes_above,
                approved: row.try_get::<Option<String>, _>("approved_by")?.is_some(),
            };
            let state = crate::decide::state_of(&facts);
            if state != State::AwaitingKyb {
                let id: String = row.try_get("id")?;
                set_state(&mut tx, &id, state, None).await?;
                if state == State::Held {
                    // Listed since its case let it go: held again, under a case.
                    let deposit = deposit_in(&mut tx, &id).await?;
                    hold(&mut tx, self.seal(), deposit).await?;
                }
                moved.push(id);
            }
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// Records that the deposit waits for the reserve (once: the event is
    /// emitted when it starts waiting).
    pub async fn await_reserve(&self, id: &str, why: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let deposit = deposit_in(&mut tx, id).await?;
        set_state(&mut tx, id, State::AwaitingReserve, Some(why)).await?;
        if deposit.state != State::AwaitingReserve {
            let deposit = deposit_in(&mut tx, id).await?;
            emit_deposit(
                &mut tx,
                "deposit.awaiting_reserve",
                id,
                &format!("{id}:{}", deposit.updated_at),
                DepositEvent::of(&deposit, None),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deposits to try minting now: ready, and those waiting for the
    /// reserve, oldest first.
    pub async fn mintable(&self) -> Result<Vec<Deposit>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM deposits WHERE state IN ('ready', 'awaiting_reserve') ORDER BY created_at, id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The mint's one record before it leaves: the deposit is claimed
    /// (`minting`, to `wallet`) and this attempt is on disk, or nothing is
    /// sent. False when another desk claimed it first (its row lock orders
    /// two instances on PostgreSQL; SQLite's one writer does on SQLite).
    pub async fn record_mint_attempt(
        &self,
        id: &str,
        wallet: &str,
        attempt: &Attempt,
    ) -> Result<bool, StoreError> {
        self.record_mint_attempts(&[(id, wallet)], attempt).await
    }

    /// [`Self::record_mint_attempt`] of one transaction carrying several
    /// deposits: every one claimed, or none (false) and nothing is sent.
    pub async fn record_mint_attempts(
        &self,
        deposits: &[(&str, &str)],
        attempt: &Attempt,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        for (id, wallet) in deposits {
            let updated = sqlx::query(
                "UPDATE deposits SET state = 'minting', wallet = $1, why = NULL, updated_at = $2 \
                 WHERE id = $3 AND state IN ('ready', 'awaiting_reserve')",
            )
            .bind(*wallet)
            .bind(now())
            .bind(*id)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO mint_attempts (signature, deposit_id, blockhash, last_valid_height, at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(attempt.signature.to_string())
            .bind(*id)
            .bind(attempt.blockhash.to_string())
            .bind(
                attempt
                    .last_valid_block_height
                    .map(|h| i64::try_from(h).unwrap_or(i64::MAX)),
            )
            .bind(now())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The deposit's recorded mint attempts.
    pub async fn mint_attempts(&self, id: &str) -> Result<Vec<Attempt>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM mint_attempts WHERE deposit_id = $1 ORDER BY at, signature")
                .bind(id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(super::attempt_from).collect()
    }

    /// The mint landed (`signature`, at `landed_at` by the chain's clock):
    /// minted, its postings dated then (now if not known), `deposit.minted`.
    /// Once.
    pub async fn record_minted(
        &self,
        id: &str,
        signature: &str,
        landed_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        Ok(self.record_minted_all(&[id], signature, landed_at).await? == 1)
    }

    /// [`Self::record_minted`] of every deposit one transaction minted, in
    /// one database transaction: how many were recorded now.
    pub async fn record_minted_all(
        &self,
        ids: &[&str],
        signature: &str,
        landed_at: Option<i64>,
    ) -> Result<usize, StoreError> {
        let at = landed_at.unwrap_or_else(now);
        let mut tx = self.begin().await?;
        let mut recorded = 0;
        for id in ids {
            let updated = sqlx::query(
                "UPDATE deposits SET state = 'minted', mint_signature = $1, why = NULL, updated_at = $2 \
                 WHERE id = $3 AND state = 'minting'",
            )
            .bind(signature)
            .bind(now())
            .bind(*id)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                continue;
            }
            let deposit = deposit_in(&mut tx, id).await?;
            let customer = deposit.customer_id.clone().unwrap_or_default();
            post_at(&mut tx, &ledger::minted(&customer, deposit.amount), at).await?;
            emit_deposit(
                &mut tx,
                "deposit.minted",
                id,
                signature,
                DepositEvent::of(&deposit, Some(signature)),
            )
            .await?;
            recorded += 1;
        }
        tx.commit().await?;
        Ok(recorded)
    }

    /// No attempt can land any more: the deposit is mintable again (`why`).
    pub async fn mint_failed(&self, id: &str, state: State, why: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE deposits SET state = $1, why = $2, updated_at = $3 WHERE id = $4 AND state = 'minting'")
            .bind(state.as_str())
            .bind(why)
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The wallet a customer's USD1 is minted to: its first registered, unlisted.
    pub async fn mint_wallet(&self, customer: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT address, (SELECT COUNT(*) FROM wallets l WHERE l.customer_id = $1 AND l.listed_at IS NOT NULL) AS listed \
             FROM wallets WHERE customer_id = $1 AND listed_at IS NULL ORDER BY registered_at, address LIMIT 1",
        )
        .bind(customer)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        if row.try_get::<i64, _>("listed")? > 0 {
            return Ok(None);
        }
        Ok(Some(row.try_get("address")?))
    }
}
