//! Redemptions as stored: each on-chain request taken once (by its id),
//! held under a case or due for the next payment run (`payments`); the
//! bank's answers move it (`answers`); the settle/reject transactions'
//! journal.
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use usd1_client::send_journal::Attempt;
use usd1_service::cases::{self, Actor};
use usd1_service::outbox::Stream;

use super::{now, post, post_at, record_hold, Store, StoreError, Tx};
use crate::decide::redeem::{self, Requester, Stage};
use crate::ledger;
use crate::scopes::EVENTS;

/// One request as the program holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requested {
    pub id: u64,
    pub holder: String,
    pub amount: u64,
    pub fee: u64,
    pub requested_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Redemption {
    pub id: u64,
    pub holder: String,
    pub amount: u64,
    pub fee: u64,
    /// What is paid: the amount less the fee, in whole cents.
    pub payout: u64,
    pub customer_id: Option<String>,
    pub bank_account_id: Option<String>,
    pub stage: Stage,
    pub why: Option<String>,
    pub case_id: Option<String>,
    pub end_to_end_id: String,
    pub message_id: Option<String>,
    pub bank_reference: Option<String>,
    /// The on-chain reason code of its rejection (the bank's refusal).
    pub reason_code: Option<u16>,
    pub chain_signature: Option<String>,
    pub requested_at: i64,
    pub updated_at: i64,
}

/// A redemption's event (`redemption.*`): the redemption as it now stands.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RedemptionEvent {
    pub redemption: Redemption,
}

pub(crate) fn unsigned(row: &AnyRow, column: &str) -> Result<u64, StoreError> {
    let value: i64 = row.try_get(column)?;
    u64::try_from(value).map_err(|_| StoreError::Malformed(format!("{column} = {value}")))
}

fn from_row(row: &AnyRow) -> Result<Redemption, StoreError> {
    let stage: String = row.try_get("state")?;
    Ok(Redemption {
        id: unsigned(row, "id")?,
        holder: row.try_get("holder")?,
        amount: unsigned(row, "amount")?,
        fee: unsigned(row, "fee")?,
        payout: unsigned(row, "payout")?,
        customer_id: row.try_get("customer_id")?,
        bank_account_id: row.try_get("bank_account_id")?,
        stage: Stage::named(&stage)
            .ok_or_else(|| StoreError::Malformed(format!("stage {stage}")))?,
        why: row.try_get("why")?,
        case_id: row.try_get("case_id")?,
        end_to_end_id: row.try_get("end_to_end_id")?,
        message_id: row.try_get("message_id")?,
        bank_reference: row.try_get("bank_reference")?,
        reason_code: row
            .try_get::<Option<i64>, _>("reason_code")?
            .and_then(|c| u16::try_from(c).ok()),
        chain_signature: row.try_get("chain_signature")?,
        requested_at: row.try_get("requested_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(crate) fn db(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(crate) async fn redemption_in(tx: &mut Tx<'_>, id: u64) -> Result<Redemption, StoreError> {
    let row = sqlx::query("SELECT * FROM redemptions WHERE id = $1")
        .bind(db(id))
        .fetch_one(&mut **tx)
        .await?;
    from_row(&row)
}

pub(crate) async fn set_stage(
    tx: &mut Tx<'_>,
    id: u64,
    stage: Stage,
    why: Option<&str>,
) -> Result<(), StoreError> {
    set_stage_at(tx, id, stage, why, now()).await
}

/// Moves a redemption to `stage` at `at` (unix seconds), keeping when the
/// bank paid it (`paid_at`) and when its escrow left the supply or came
/// back (`closed_at`): what the reconciliation of a past day reads.
pub(crate) async fn set_stage_at(
    tx: &mut Tx<'_>,
    id: u64,
    stage: Stage,
    why: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    let (paid, closed) = match stage {
        Stage::Settling => (Some(at), None),
        Stage::Paid | Stage::Rejected => (None, Some(at)),
        _ => (None, None),
    };
    sqlx::query(
        "UPDATE redemptions SET state = $1, why = $2, updated_at = $3, \
         paid_at = COALESCE($5, paid_at), closed_at = COALESCE($6, closed_at) WHERE id = $4",
    )
    .bind(stage.as_str())
    .bind(why)
    .bind(now())
    .bind(db(id))
    .bind(paid)
    .bind(closed)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Closes `redemption` at `stage` (`paid` or `rejected`) as of `at`: a
/// rejection gives the tokens back, so the redemption's booking is
/// reversed; its event (`cause`: what closed it).
async fn close_in(
    tx: &mut Tx<'_>,
    redemption: &Redemption,
    stage: Stage,
    why: Option<&str>,
    at: i64,
    cause: &str,
) -> Result<(), StoreError> {
    set_stage_at(tx, redemption.id, stage, why, at).await?;
    let kind = if stage == Stage::Rejected {
        let customer = redemption.customer_id.clone().unwrap_or_default();
        let booking = ledger::redemption_rejected(&customer, redemption.amount, redemption.fee);
        post_at(tx, &booking, at).await?;
        "redemption.rejected"
    } else {
        "redemption.paid"
    };
    emit(tx, kind, redemption.id, cause).await
}

/// Emits a redemption's event in its stream.
pub(crate) async fn emit(
    tx: &mut Tx<'_>,
    kind: &str,
    id: u64,
    cause: &str,
) -> Result<(), StoreError> {
    let row = sqlx::query(
        "UPDATE redemptions SET event_seq = event_seq + 1 WHERE id = $1 RETURNING event_seq",
    )
    .bind(db(id))
    .fetch_one(&mut **tx)
    .await?;
    let seq: i64 = row.try_get("event_seq")?;
    let redemption = redemption_in(tx, id).await?;
    let stream = format!("redemption:{id}");
    let stream = Stream {
        id: &stream,
        seq,
        key_id: "",
    };
    let data = RedemptionEvent { redemption };
    usd1_service::outbox::emit(tx, &EVENTS, kind, cause, Some(stream), data).await?;
    Ok(())
}

/// Whose the wallet is, and whether the desk may pay them.
pub(crate) async fn requester(
    tx: &mut Tx<'_>,
    holder: &str,
) -> Result<Option<(String, Option<String>, Requester)>, StoreError> {
    let row = sqlx::query(
        "SELECT c.id, c.status, w.listed_at, \
         (SELECT COUNT(*) FROM wallets l WHERE l.customer_id = c.id AND l.listed_at IS NOT NULL) AS listed, \
         (SELECT MIN(b.id) FROM bank_accounts b WHERE b.customer_id = c.id) AS account \
         FROM wallets w JOIN customers c ON c.id = w.customer_id WHERE w.address = $1",
    )
    .bind(holder)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let status: String = row.try_get("status")?;
    let account: Option<String> = row.try_get("account")?;
    Ok(Some((
        row.try_get("id")?,
        account.clone(),
        Requester {
            kyb: status.parse().map_err(StoreError::Malformed)?,
            listed: row.try_get::<i64, _>("listed")? > 0,
            has_bank_account: account.is_some(),
        },
    )))
}

/// The payout of `amount` less `fee`, in whole cents (what a payment file carries).
pub fn payout_of(amount: u64, fee: u64) -> u64 {
    let payout = amount.saturating_sub(fee);
    payout - payout % 10_000
}

impl Store {
    /// The next redemption id the desk has not looked at.
    pub async fn redemption_cursor(&self) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT next_redemption FROM desk_cursor WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        unsigned(&row, "next_redemption")
    }

    /// Takes the pending requests the program holds from the cursor up to
    /// `next` (others were resolved elsewhere), each once: paid if it may
    /// be, else held under a case. Its postings in the same transaction.
    pub async fn take_redemptions(
        &self,
        requests: &[Requested],
        next: u64,
    ) -> Result<Vec<(u64, Stage)>, StoreError> {
        let mut tx = self.begin().await?;
        // Locks the cursor (another desk on the database waits here) and reads it.
        let row = sqlx::query(
            "UPDATE desk_cursor SET next_redemption = next_redemption WHERE id = 1 RETURNING next_redemption",
        )
        .fetch_one(&mut *tx)
        .await?;
        let from = unsigned(&row, "next_redemption")?;
        sqlx::query(
            "UPDATE desk_cursor SET next_redemption = $1 WHERE id = 1 AND next_redemption < $1",
        )
        .bind(db(next))
        .execute(&mut *tx)
        .await?;
        let mut taken = Vec::new();
        // What another desk took first is not taken again.
        for request in requests.iter().filter(|r| r.id >= from) {
            let known = requester(&mut tx, &request.holder).await?;
            let (stage, why) = redeem::stage_of(known.as_ref().map(|k| &k.2));
            let at = now();
            let inserted = sqlx::query(
                "INSERT INTO redemptions (id, holder, amount, fee, payout, customer_id, bank_account_id, state, why, \
                 end_to_end_id, requested_at, created_at, updated_at, taken_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) ON CONFLICT (id) DO NOTHING",
            )
            .bind(db(request.id))
            .bind(&request.holder)
            .bind(db(request.amount))
            .bind(db(request.fee))
            .bind(db(payout_of(request.amount, request.fee)))
            .bind(known.as_ref().map(|k| k.0.clone()))
            .bind(known.as_ref().and_then(|k| k.1.clone()))
            .bind(stage.as_str())
            .bind(why)
            .bind(redeem::end_to_end_id(request.id))
            .bind(request.requested_at)
            .bind(at)
            .bind(known.as_ref().map(|_| at))
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() != 1 {
                continue;
            }
            if let Some((customer, _, _)) = &known {
                post(
                    &mut tx,
                    &ledger::redeemed(customer, request.amount, request.fee),
                )
                .await?;
            }
            if stage == Stage::Held {
                let reason = format!(
                    "redemption {} from {}: {}",
                    request.id,
                    request.holder,
                    why.unwrap_or_default()
                );
                let (case, _) = cases::open_in(
                    &mut tx,
                    self.seal(),
                    &request.holder,
                    &reason,
                    &json!([]),
                    &Actor::screening(),
                )
                .await?;
                record_hold(
                    &mut tx,
                    self.seal(),
                    &case.id,
                    &format!("redemption:{}", request.id),
                    request.amount,
                    known.as_ref().map(|(customer, _, _)| customer.as_str()),
                    &reason,
                )
                .await?;
                sqlx::query("UPDATE redemptions SET case_id = $1 WHERE id = $2")
                    .bind(&case.id)
                    .bind(db(request.id))
                    .execute(&mut *tx)
                    .await?;
            }
            taken.push((request.id, stage));
        }
        tx.commit().await?;
        self.anchor_cases().await?;
        Ok(taken)
    }

    pub async fn redemptions(&self, stage: Option<Stage>) -> Result<Vec<Redemption>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM redemptions WHERE ($1 = '' OR state = $1) ORDER BY id")
                .bind(stage.map_or("", Stage::as_str))
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(from_row).collect()
    }

    /// A settle or reject transaction, recorded before it is sent.
    pub async fn record_chain_attempt(
        &self,
        id: u64,
        action: &str,
        attempt: &Attempt,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO chain_attempts (signature, redemption_id, action, blockhash, last_valid_height, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(attempt.signature.to_string())
        .bind(db(id))
        .bind(action)
        .bind(attempt.blockhash.to_string())
        .bind(attempt.last_valid_block_height.map(db))
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn chain_attempts(&self, id: u64) -> Result<Vec<Attempt>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM chain_attempts WHERE redemption_id = $1 ORDER BY at, signature",
        )
        .bind(db(id))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(super::attempt_from).collect()
    }

    /// The settlement (or rejection) landed (at `landed_at` by the chain's
    /// clock, which dates its record; now if not known): paid (or
    /// rejected), its event, once.
    pub async fn record_resolved(
        &self,
        id: u64,
        signature: &str,
        landed_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        let at = landed_at.unwrap_or_else(now);
        let mut tx = self.begin().await?;
        let redemption = redemption_in(&mut tx, id).await?;
        let stage = match redemption.stage {
            Stage::Settling => Stage::Paid,
            Stage::Rejecting => Stage::Rejected,
            _ => return Ok(false),
        };
        sqlx::query("UPDATE redemptions SET chain_signature = $1 WHERE id = $2")
            .bind(signature)
            .bind(db(id))
            .execute(&mut *tx)
            .await?;
        close_in(&mut tx, &redemption, stage, None, at, signature).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The chain shows redemption `id` `settled` (else rejected) by someone
    /// else while the desk still had it to pay, settle or reject: recorded
    /// as the chain has it ([`redeem::resolved_outside`]), its booking
    /// reversed if the tokens came back, its event, and a case on the
    /// holder when a person must look, in one transaction. The stage
    /// recorded, or `None` if there was nothing left to do.
    pub async fn record_resolved_outside(
        &self,
        id: u64,
        settled: bool,
    ) -> Result<Option<Stage>, StoreError> {
        let mut tx = self.begin().await?;
        let redemption = redemption_in(&mut tx, id).await?;
        let Some(outside) = redeem::resolved_outside(redemption.stage, settled) else {
            return Ok(None);
        };
        let why = outside
            .concern
            .unwrap_or("settled or rejected on-chain outside the desk");
        let cause = format!("outside:{id}");
        close_in(
            &mut tx,
            &redemption,
            outside.stage,
            Some(why),
            now(),
            &cause,
        )
        .await?;
        if let Some(concern) = outside.concern {
            let reason = format!("redemption {id} from {}: {concern}", redemption.holder);
            let action = "resolved outside the desk";
            super::flag(&mut tx, self.seal(), &redemption.holder, action, &reason).await?;
        }
        tx.commit().await?;
        self.anchor_cases().await?;
        Ok(Some(outside.stage))
    }

    /// Held redemptions whose case was released, and whose customer may now
    /// be paid: due. Their ids.
    pub async fn recheck_held_redemptions(&self) -> Result<Vec<u64>, StoreError> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "SELECT id, holder FROM redemptions WHERE state = 'held' AND released_by IS NOT NULL",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut due = Vec::new();
        for row in &rows {
            let (id, holder): (u64, String) = (unsigned(row, "id")?, row.try_get("holder")?);
            let known = requester(&mut tx, &holder).await?;
            if redeem::stage_of(known.as_ref().map(|k| &k.2)).0 != Stage::PaymentDue {
                continue;
            }
            let Some((customer, account, _)) = known else {
                continue;
            };
            let redemption = redemption_in(&mut tx, id).await?;
            if redemption.customer_id.is_none() {
                // Unknown when it came in: its dollars are owed from now on.
                post(
                    &mut tx,
                    &ledger::redeemed(&customer, redemption.amount, redemption.fee),
                )
                .await?;
            }
            sqlx::query(
                "UPDATE redemptions SET customer_id = $1, bank_account_id = $2, \
                 taken_at = COALESCE(taken_at, $4) WHERE id = $3",
            )
            .bind(&customer)
            .bind(account)
            .bind(db(id))
            .bind(now())
            .execute(&mut *tx)
            .await?;
            set_stage(&mut tx, id, Stage::PaymentDue, None).await?;
            due.push(id);
        }
        tx.commit().await?;
        Ok(due)
    }
}
