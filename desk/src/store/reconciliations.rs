//! What the reconciliation reads from the desk's books, and its record:
//! each statement's booked balances kept by account and date; each day's
//! report stored, a break opening a case and `reconciliation.break`.
use serde_json::json;
use sqlx::Row;
use usd1_client::bank::Statement;
use usd1_service::cases::{self, Actor};

use super::{new_id, now, Store, StoreError, Tx};
use crate::ledger::Account;
use crate::scopes::EVENTS;
use usd1_client::reconciliation::{Figures, Report};

/// Keeps `statement`'s opening and closing booked balances (a later
/// statement of the same date replaces them).
pub(crate) async fn record_balances(
    tx: &mut Tx<'_>,
    file: &str,
    statement: &Statement,
) -> Result<(), StoreError> {
    for balance in statement
        .balances
        .iter()
        .filter(|b| b.kind == "CLBD" || b.kind == "OPBD")
    {
        let date = balance.date.get(..10).unwrap_or(&balance.date);
        // Five decimals in the bank's amounts, six in base units.
        let amount = i64::try_from(balance.amount.value() * 10)
            .map_err(|_| StoreError::Malformed(format!("balance {}", balance.amount.value())))?;
        sqlx::query(
            "INSERT INTO statement_balances (account, date, kind, amount, file_sha256) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (account, date, kind) DO UPDATE SET amount = excluded.amount, file_sha256 = excluded.file_sha256",
        )
        .bind(statement.account.id())
        .bind(date)
        .bind(&balance.kind)
        .bind(amount)
        .bind(file)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Why a day cannot be reconciled.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("'{0}' is not a day: give it as YYYY-MM-DD")]
    NotADay(String),
    #[error("no statement gives the closing balance of {account} for {date}: import that day's camt.053 or BAI2 first")]
    NoClosing { account: String, date: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A day's reconciliation as recorded.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Reconciled {
    pub id: String,
    /// The day, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The bank, the reserve and the supply agreed to the cent, the gap itemised.
    pub balanced: bool,
    /// The case a break opened.
    pub case_id: Option<String>,
    /// The three-way report: the figures side by side and every item between them.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

/// `reconciliation.completed` and `reconciliation.break`.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReconciliationEvent {
    pub id: String,
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
    pub case_id: Option<String>,
}

impl Store {
    /// The desk's side of the figures of `date` as they stood at its end
    /// (the chain's are the caller's): the bank's closing balance, the books
    /// as of the day's last second, the redemptions taken and not closed
    /// then, and those the bank had paid whose debit no statement of the
    /// day or before carries. What happened later does not change them.
    pub async fn figures(&self, date: &str, account: &str) -> Result<Figures, ReconcileError> {
        let end = usd1_client::reconciliation::day_end(date)
            .ok_or_else(|| ReconcileError::NotADay(date.to_string()))?;
        let closing = sqlx::query(
            "SELECT amount FROM statement_balances WHERE account = $1 AND date = $2 AND kind = 'CLBD'",
        )
        .bind(account)
        .bind(date)
        .fetch_optional(self.pool())
        .await
        .map_err(StoreError::from)?
        .ok_or_else(|| ReconcileError::NoClosing {
            account: account.to_string(),
            date: date.to_string(),
        })?;
        let books = self.books_as_of(end).await?;
        let owed = |account: &Account| -books.balance(account);
        let owed_to_customers: i128 = books
            .balances
            .iter()
            .filter(|(a, _)| matches!(a, Account::Customer(_)))
            .map(|(_, b)| -b)
            .sum();
        let total = |row: sqlx::any::AnyRow| {
            Ok::<i128, StoreError>(i128::from(row.try_get::<i64, _>("total")?))
        };
        // In the supply (escrowed) and off the books (owed to the customer).
        let escrowed_taken = total(
            sqlx::query(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM redemptions \
                 WHERE taken_at <= $1 AND (closed_at IS NULL OR closed_at > $1)",
            )
            .bind(end)
            .fetch_one(self.pool())
            .await
            .map_err(StoreError::from)?,
        )?;
        let paid_not_debited = total(
            sqlx::query(
                "SELECT CAST(COALESCE(SUM(r.payout), 0) AS BIGINT) AS total FROM redemptions r \
                 WHERE r.paid_at <= $1 AND NOT EXISTS (SELECT 1 FROM bank_entries e \
                 WHERE e.end_to_end_id = r.end_to_end_id AND e.direction = 'DBIT' AND e.status = 'BOOK' \
                 AND e.reversal = 0 AND (e.booking_date IS NULL OR SUBSTR(e.booking_date, 1, 10) <= $2))",
            )
            .bind(end)
            .bind(date)
            .fetch_one(self.pool())
            .await
            .map_err(StoreError::from)?,
        )?;
        Ok(Figures {
            date: date.to_string(),
            account: account.to_string(),
            bank_closing: i128::from(
                closing
                    .try_get::<i64, _>("amount")
                    .map_err(StoreError::from)?,
            ),
            owed_to_customers,
            suspense: owed(&Account::Suspense),
            fees: owed(&Account::Fees),
            payouts_in_transit: owed(&Account::PayoutsInTransit),
            escrowed_taken,
            paid_not_debited,
            ..Figures::default()
        })
    }

    /// Every reconciliation recorded, newest first: id, date, whether it
    /// balanced, its case and its report.
    pub async fn reconciliations(&self) -> Result<Vec<Reconciled>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, date, balanced, report, case_id FROM reconciliations ORDER BY created_at DESC, id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let report: String = row.try_get("report")?;
                Ok(Reconciled {
                    id: row.try_get("id")?,
                    date: row.try_get("date")?,
                    balanced: row.try_get::<i64, _>("balanced")? == 1,
                    case_id: row.try_get("case_id")?,
                    report: serde_json::from_str(&report).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Days `account` has a closing balance for and no reconciliation yet,
    /// and which have ended by `now` (unix seconds), oldest first: what the
    /// schedule reconciles.
    pub async fn unreconciled_days(
        &self,
        account: &str,
        now: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT date FROM statement_balances b WHERE account = $1 AND kind = 'CLBD' \
             AND NOT EXISTS (SELECT 1 FROM reconciliations r WHERE r.date = b.date) ORDER BY date",
        )
        .bind(account)
        .fetch_all(self.pool())
        .await?;
        let mut days = Vec::new();
        for row in &rows {
            let day: String = row.try_get("date")?;
            if usd1_client::reconciliation::day_end(&day).is_some_and(|end| end < now) {
                days.push(day);
            }
        }
        Ok(days)
    }

    /// Stores the day's report: balanced, `reconciliation.completed`; a
    /// break opens a case on the day and emits `reconciliation.break`. Its id.
    pub async fn record_reconciliation(&self, report: &Report) -> Result<String, StoreError> {
        let id = new_id("rec");
        let mut tx = self.begin().await?;
        let body = serde_json::to_value(report).unwrap_or_default();
        let case_id = if report.balanced {
            None
        } else {
            let why = format!(
                "the reconciliation of {} does not balance: {} base units unexplained",
                report.figures.date, report.unexplained
            );
            let subject = format!("reconciliation:{}", report.figures.date);
            let (case, _) = cases::open_in(
                &mut tx,
                self.seal(),
                &subject,
                &why,
                &json!([]),
                &Actor::screening(),
            )
            .await?;
            Some(case.id)
        };
        sqlx::query(
            "INSERT INTO reconciliations (id, date, balanced, report, case_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(&report.figures.date)
        .bind(i64::from(report.balanced))
        .bind(body.to_string())
        .bind(&case_id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        let kind = if report.balanced {
            "reconciliation.completed"
        } else {
            "reconciliation.break"
        };
        usd1_service::outbox::emit(
            &mut tx,
            &EVENTS,
            kind,
            &id,
            None,
            ReconciliationEvent {
                id: id.clone(),
                report: body.clone(),
                case_id: case_id.clone(),
            },
        )
        .await?;
        tx.commit().await?;
        self.anchor_cases().await?;
        Ok(id)
    }
}
