//! The bank's answers on the desk's payments: a status report (pain.002),
//! the statement's debit, a wire returned. Each moves its redemption once
//! (decided by `decide::redeem::on_answer`); an unknown payment, a repeat,
//! a refused repeated file, a refusal after a payment are each named, and
//! the last is recorded on the holder's case.
use serde::Serialize;
use sqlx::Row;
use usd1_client::bank::StatusReport;
use usd1_service::cases;

use super::redemptions::{db, emit, redemption_in, set_stage_at, unsigned, Redemption};
use super::{flag, now, post_at, Store, StoreError, Tx};
use crate::decide::redeem::{self, Answer, Outcome, Stage};
use crate::ledger;

/// What one bank answer did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Answered {
    pub end_to_end_id: String,
    pub status: String,
    /// The redemption it names, if the desk knows the payment.
    pub redemption: Option<u64>,
    pub outcome: Option<Outcome>,
}

impl Store {
    /// Applies a payment status report: each payment's status moves its
    /// redemption once; an unknown payment, a repeat, a refusal after a
    /// payment are each named (the last opens a case), nothing else moves.
    pub async fn apply_status_report(
        &self,
        report: &StatusReport,
    ) -> Result<Vec<Answered>, StoreError> {
        let mut tx = self.begin().await?;
        let answered = apply_report_in(&mut tx, self.seal(), report).await?;
        tx.commit().await?;
        self.anchor_cases().await?;
        Ok(answered)
    }
}

/// [`Store::apply_status_report`] inside the caller's transaction.
pub(crate) async fn apply_report_in(
    tx: &mut Tx<'_>,
    seal: Option<&cases::Seal>,
    report: &StatusReport,
) -> Result<Vec<Answered>, StoreError> {
    let mut answered = Vec::new();
    if report.payments.is_empty() && report.group_reason.as_deref() == Some("DU01") {
        // The bank refused a file it had already taken: the first delivery stands.
        let rows = sqlx::query(
            "SELECT id, end_to_end_id FROM redemptions WHERE message_id = $1 ORDER BY id",
        )
        .bind(&report.original_message_id)
        .fetch_all(&mut **tx)
        .await?;
        for row in &rows {
            answered.push(Answered {
                end_to_end_id: row.try_get("end_to_end_id")?,
                status: "RJCT DU01".into(),
                redemption: Some(unsigned(row, "id")?),
                outcome: Some(Outcome::AlreadyKnown),
            });
        }
        return Ok(answered);
    }
    let mut ids: Vec<String> = report
        .payments
        .iter()
        .map(|p| p.end_to_end_id.clone())
        .collect();
    if ids.is_empty() {
        // A group status answers every payment of the original file.
        let rows =
            sqlx::query("SELECT end_to_end_id FROM redemptions WHERE message_id = $1 ORDER BY id")
                .bind(&report.original_message_id)
                .fetch_all(&mut **tx)
                .await?;
        ids = rows
            .iter()
            .map(|r| r.try_get("end_to_end_id"))
            .collect::<Result<_, _>>()?;
    }
    for e2e in ids {
        let Some((status, reason)) = report.status_of(&e2e) else {
            continue;
        };
        let reference = format!("{}/{e2e}", report.message_id);
        let (redemption, outcome) = answer_in(
            tx,
            seal,
            &e2e,
            redeem::answer(status),
            reason,
            &reference,
            now(),
        )
        .await?;
        answered.push(Answered {
            end_to_end_id: e2e,
            status: status.to_string(),
            redemption,
            outcome,
        });
    }
    sqlx::query("UPDATE payment_files SET answered_at = $1 WHERE message_id = $2")
        .bind(now())
        .bind(&report.original_message_id)
        .execute(&mut **tx)
        .await?;
    Ok(answered)
}

/// The bank's answer on the payment `e2e` (a status report's, or its
/// statement's debit), given at `at`: the redemption it names and what it did.
pub(crate) async fn answer_in(
    tx: &mut Tx<'_>,
    seal: Option<&cases::Seal>,
    e2e: &str,
    answer: Answer,
    reason: Option<&str>,
    reference: &str,
    at: i64,
) -> Result<(Option<u64>, Option<Outcome>), StoreError> {
    let row = sqlx::query("SELECT id FROM redemptions WHERE end_to_end_id = $1")
        .bind(e2e)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Ok((None, None));
    };
    let redemption = redemption_in(tx, unsigned(&row, "id")?).await?;
    let outcome = redeem::on_answer(redemption.stage, answer);
    let customer = redemption.customer_id.clone().unwrap_or_default();
    match outcome {
        Outcome::Moves(Stage::Settling) => {
            set_stage_at(tx, redemption.id, Stage::Settling, None, at).await?;
            sqlx::query("UPDATE redemptions SET bank_reference = $1 WHERE id = $2")
                .bind(reference)
                .bind(db(redemption.id))
                .execute(&mut **tx)
                .await?;
            post_at(tx, &ledger::payout_debited(redemption.payout), at).await?;
        }
        Outcome::Moves(Stage::Rejecting) => {
            set_stage_at(tx, redemption.id, Stage::Rejecting, reason, at).await?;
            sqlx::query(
                "UPDATE redemptions SET reason_code = $1, bank_reference = $2 WHERE id = $3",
            )
            .bind(i64::from(redeem::reason_code(reason)))
            .bind(reference)
            .bind(db(redemption.id))
            .execute(&mut **tx)
            .await?;
            post_at(
                tx,
                &ledger::payout_refused(&customer, redemption.payout),
                at,
            )
            .await?;
        }
        Outcome::Contradicts => {
            let why = format!(
                "the bank answered {answer:?} on {e2e} ({reference}) after the redemption was {}",
                redemption.stage
            );
            flag(
                tx,
                seal,
                &redemption.holder,
                "bank answer contradicts",
                &why,
            )
            .await?;
        }
        _ => {}
    }
    Ok((Some(redemption.id), Some(outcome)))
}

/// A paid wire came back (a reversal credit naming its EndToEndId, booked
/// at `at`): the dollars are the customer's again, a case and
/// `redemption.returned`.
pub(crate) async fn returned_in(
    tx: &mut Tx<'_>,
    seal: Option<&cases::Seal>,
    e2e: &str,
    at: i64,
) -> Result<Option<Redemption>, StoreError> {
    let row = sqlx::query(
        "SELECT id FROM redemptions WHERE end_to_end_id = $1 AND state IN ('settling', 'paid')",
    )
    .bind(e2e)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let redemption = redemption_in(tx, unsigned(&row, "id")?).await?;
    let why = format!(
        "the payment of redemption {} came back: the customer is owed its dollars",
        redemption.id
    );
    set_stage_at(tx, redemption.id, Stage::Returned, Some(&why), at).await?;
    let customer = redemption.customer_id.clone().unwrap_or_default();
    post_at(
        tx,
        &ledger::payout_returned(&customer, redemption.payout),
        at,
    )
    .await?;
    flag(tx, seal, &redemption.holder, "payment returned", &why).await?;
    emit(tx, "redemption.returned", redemption.id, e2e).await?;
    Ok(Some(redemption_in(tx, redemption.id).await?))
}
