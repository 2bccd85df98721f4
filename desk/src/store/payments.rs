//! Payment runs: every redemption due put in one run, recorded (its MsgId,
//! creation time and date, which redemptions) before any file exists, so
//! that a crash before the file is written leads to the very same file, never
//! a second one.
use sqlx::Row;
use usd1_client::bank::pain001::{self, Agent, Debtor, Payment, PostalAddress, Run};
use usd1_client::bank::BankAmount;

use super::redemptions::{db, emit, redemption_in, set_stage, unsigned, Redemption};
use super::{now, post, Store, StoreError, Tx};
use crate::decide::redeem::Stage;
use crate::ledger;

impl Store {
    /// Puts every redemption due into one payment run from `debtor`, and
    /// records the run (its MsgId, creation time and date) before any file
    /// exists: the run, or None when nothing is due.
    pub async fn plan_payment_run(
        &self,
        debtor: &Debtor,
        execution_date: &str,
        created: &str,
    ) -> Result<Option<Run>, StoreError> {
        let mut tx = self.begin().await?;
        let due = sqlx::query("SELECT id FROM redemptions WHERE state = 'payment_due' ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        if due.is_empty() {
            return Ok(None);
        }
        let mut run = Run {
            debtor: debtor.clone(),
            currency: "USD".into(),
            execution_date: execution_date.into(),
            created: created.into(),
            payments: Vec::new(),
        };
        let mut ids = Vec::new();
        for row in &due {
            let id = unsigned(row, "id")?;
            let redemption = redemption_in(&mut tx, id).await?;
            run.payments.push(payment_of(&mut tx, &redemption).await?);
            ids.push(redemption);
        }
        let message_id = pain001::message_id(&run);
        let total: u64 = ids.iter().map(|r| r.payout).sum();
        let made = sqlx::query(
            "INSERT INTO payment_files (message_id, execution_date, created, payments, total, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(&message_id)
        .bind(execution_date)
        .bind(created)
        .bind(ids.len() as i64)
        .bind(db(total))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        if made.rows_affected() != 1 {
            // Another desk made this very run a moment ago.
            tx.rollback().await?;
            return Ok(None);
        }
        for redemption in &ids {
            let claimed = sqlx::query(
                "UPDATE redemptions SET message_id = $1 WHERE id = $2 AND state = 'payment_due'",
            )
            .bind(&message_id)
            .bind(db(redemption.id))
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() != 1 {
                // Another desk put it in its run first: this run is not made.
                tx.rollback().await?;
                return Ok(None);
            }
            set_stage(&mut tx, redemption.id, Stage::PaymentSent, None).await?;
            let customer = redemption.customer_id.clone().unwrap_or_default();
            post(&mut tx, &ledger::payout_sent(&customer, redemption.payout)).await?;
            emit(
                &mut tx,
                "redemption.payment_sent",
                redemption.id,
                &message_id,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Some(run))
    }

    /// Payment runs recorded but not yet written, rebuilt exactly as planned.
    pub async fn unwritten_runs(&self, debtor: &Debtor) -> Result<Vec<Run>, StoreError> {
        let mut tx = self.begin().await?;
        let files =
            sqlx::query("SELECT * FROM payment_files WHERE written_at IS NULL ORDER BY created_at")
                .fetch_all(&mut *tx)
                .await?;
        let mut runs = Vec::new();
        for file in &files {
            let message_id: String = file.try_get("message_id")?;
            let mut run = Run {
                debtor: debtor.clone(),
                currency: "USD".into(),
                execution_date: file.try_get("execution_date")?,
                created: file.try_get("created")?,
                payments: Vec::new(),
            };
            let rows = sqlx::query("SELECT id FROM redemptions WHERE message_id = $1 ORDER BY id")
                .bind(&message_id)
                .fetch_all(&mut *tx)
                .await?;
            for row in &rows {
                let redemption = redemption_in(&mut tx, unsigned(row, "id")?).await?;
                run.payments.push(payment_of(&mut tx, &redemption).await?);
            }
            if pain001::message_id(&run) != message_id {
                return Err(StoreError::Malformed(format!(
                    "payment run {message_id} no longer rebuilds to itself (its rows changed)"
                )));
            }
            runs.push(run);
        }
        tx.commit().await?;
        Ok(runs)
    }

    /// The run's file is written where the bank takes it.
    pub async fn run_written(&self, message_id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE payment_files SET written_at = $1 WHERE message_id = $2 AND written_at IS NULL",
        )
        .bind(now())
        .bind(message_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

/// The payment `redemption` is: its payout to its customer's linked account.
async fn payment_of(tx: &mut Tx<'_>, redemption: &Redemption) -> Result<Payment, StoreError> {
    let account = sqlx::query("SELECT * FROM bank_accounts WHERE id = $1")
        .bind(&redemption.bank_account_id)
        .fetch_one(&mut **tx)
        .await?;
    let text = |c: &str| account.try_get::<Option<String>, _>(c);
    let (number, agent) = match (
        text("number")?,
        text("routing")?,
        text("iban")?,
        text("bic")?,
    ) {
        (Some(number), Some(routing), _, _) => (number, routing),
        (_, _, Some(iban), Some(bic)) => (iban, bic),
        _ => {
            return Err(StoreError::Malformed(format!(
                "bank account of redemption {}",
                redemption.id
            )))
        }
    };
    Ok(Payment {
        end_to_end_id: redemption.end_to_end_id.clone(),
        // Whole cents (`payout_of`): a base unit is a millionth of a dollar.
        amount: BankAmount::from_minor(u128::from(redemption.payout / 10_000), 2)
            .ok_or_else(|| StoreError::Malformed(format!("payout {}", redemption.payout)))?,
        creditor_name: account.try_get("holder")?,
        creditor_account: number,
        creditor_agent: Agent::parse(&agent)
            .ok_or_else(|| StoreError::Malformed(format!("agent {agent}")))?,
        address: PostalAddress {
            street: text("street")?,
            post_code: text("postcode")?,
            town: account.try_get("town")?,
            country: account.try_get("country")?,
            ..PostalAddress::default()
        },
        remittance: Some(format!("USD1 redemption {}", redemption.id)),
    })
}
