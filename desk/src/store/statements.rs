//! Bank statements in: a file is taken once (by the SHA-256 of its bytes),
//! each entry once (by its identity within its account, whichever of
//! camt.052, camt.054, camt.053 or BAI2 brought it first). An incoming entry
//! is a deposit: its customer's (the reference its remittance names), or
//! suspense; a pending one waits for its booking; a reversal cancels the
//! deposit it names, or, after the mint, opens a case. The whole file
//! commits in one transaction with its postings and events.
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use usd1_client::bank::{self, Direction, Document, Entry, Statement};
use usd1_service::cases::{self, Actor};

use super::answers::{answer_in, apply_report_in, returned_in, Answered};
use super::deposits::{deposit_in, Deposit};
use super::{booked_at, emit_deposit, new_id, now, post_at, Store, StoreError, Tx};
use crate::decide::redeem::Answer;
use crate::decide::{self, Facts, Matched, Reversal, State};
use crate::ledger::{self, Account};

/// The largest bank file read.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// What importing a file did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Imported {
    pub sha256: String,
    pub format: String,
    pub message_id: String,
    /// False when this file (these very bytes) was taken before: nothing changed.
    pub new_file: bool,
    pub entries: usize,
    /// Entries never seen before (in any file).
    pub new_entries: usize,
    /// Deposits made or moved, and where each now stands.
    pub deposits: Vec<(String, State)>,
    /// Payments the bank answered (a status report, or a debit on the statement).
    pub answered: Vec<Answered>,
    /// Redemptions whose paid wire came back.
    pub returned: Vec<u64>,
}

/// Why a file is refused (nothing of it is kept).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Bank(#[from] bank::BankError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How deposits are taken in.
#[derive(Clone, Copy, Debug)]
pub struct Intake {
    /// Deposits above this (base units) wait for a second operator.
    pub four_eyes_above: u64,
}

/// The hash a deposit's mint carries on-chain: SHA-256 of the account and
/// the entry's identity, hex.
pub fn reference_hash(account: &str, identity: &str) -> String {
    usd1_client::hex(&usd1_client::sha256(
        format!("{account}\n{identity}").as_bytes(),
    ))
}

impl Store {
    /// Reads and imports one bank file.
    pub async fn import_statement(
        &self,
        name: &str,
        bytes: &[u8],
        intake: Intake,
    ) -> Result<Imported, ImportError> {
        let sha256 = usd1_client::hex(&usd1_client::sha256(bytes));
        let file = match bank::read(name, bytes, MAX_FILE_BYTES)? {
            Document::Statements(file) => file,
            Document::StatusReport(report) => {
                return self.import_status_report(name, &sha256, &report).await
            }
        };
        let mut imported = Imported {
            sha256: sha256.clone(),
            format: serde_json::to_value(file.format)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            message_id: file.message_id.clone(),
            entries: file.statements.iter().map(|s| s.entries.len()).sum(),
            ..Imported::default()
        };
        let mut tx = self.begin().await?;
        // Taken once: a second import of these bytes (another desk's at the
        // same moment too) finds the row and changes nothing.
        let taken = sqlx::query(
            "INSERT INTO statement_files (sha256, name, format, message_id, entries, new_entries, imported_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&sha256)
        .bind(name)
        .bind(&imported.format)
        .bind(&file.message_id)
        .bind(imported.entries as i64)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if taken.rows_affected() == 0 {
            return Ok(imported);
        }
        imported.new_file = true;
        let references = Self::references_in(&mut tx).await?;
        for statement in &file.statements {
            super::reconciliations::record_balances(&mut tx, &sha256, statement).await?;
            for entry in &statement.entries {
                let Some(booked) = decide::booked(entry) else {
                    continue;
                };
                let seen = take_entry(&mut tx, &sha256, statement, entry, booked).await?;
                if seen == Seen::New {
                    imported.new_entries += 1;
                }
                if seen == Seen::Again {
                    continue;
                }
                let named = entry
                    .transactions
                    .first()
                    .and_then(|t| t.end_to_end_id.clone().or_else(|| t.uetr.clone()));
                if booked {
                    match (entry.direction, entry.reversal, &named) {
                        (Direction::Debit, false, Some(e2e)) => {
                            let reference = entry
                                .bank_reference
                                .clone()
                                .unwrap_or_else(|| entry.identity.clone());
                            let (redemption, outcome) = answer_in(
                                &mut tx,
                                self.seal(),
                                e2e,
                                Answer::Paid,
                                None,
                                &reference,
                                booked_at(entry),
                            )
                            .await?;
                            if redemption.is_some() {
                                imported.answered.push(Answered {
                                    end_to_end_id: e2e.clone(),
                                    status: "BOOK".into(),
                                    redemption,
                                    outcome,
                                });
                            }
                        }
                        (Direction::Credit, true, Some(e2e)) => {
                            if let Some(r) =
                                returned_in(&mut tx, self.seal(), e2e, booked_at(entry)).await?
                            {
                                imported.returned.push(r.id);
                            }
                        }
                        _ => {}
                    }
                }
                let moved = if entry.reversal && entry.direction == Direction::Debit {
                    reverse(&mut tx, self.seal(), statement, entry).await?
                } else {
                    deposit(
                        &mut tx,
                        self.seal(),
                        statement,
                        entry,
                        booked,
                        &references,
                        intake,
                    )
                    .await?
                };
                imported.deposits.extend(moved.map(|d| (d.id, d.state)));
            }
        }
        sqlx::query("UPDATE statement_files SET new_entries = $1 WHERE sha256 = $2")
            .bind(imported.new_entries as i64)
            .bind(&sha256)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;
        self.anchor_cases().await?;
        Ok(imported)
    }
}

impl Store {
    /// A payment status report (pain.002), taken once by its hash.
    async fn import_status_report(
        &self,
        name: &str,
        sha256: &str,
        report: &bank::StatusReport,
    ) -> Result<Imported, ImportError> {
        let mut imported = Imported {
            sha256: sha256.to_string(),
            format: "pain.002".into(),
            message_id: report.message_id.clone(),
            entries: report.payments.len(),
            ..Imported::default()
        };
        let mut tx = self.begin().await?;
        let taken = sqlx::query(
            "INSERT INTO statement_files (sha256, name, format, message_id, entries, new_entries, imported_at) \
             VALUES ($1, $2, 'pain.002', $3, $4, $4, $5) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256)
        .bind(name)
        .bind(&report.message_id)
        .bind(report.payments.len() as i64)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if taken.rows_affected() == 0 {
            return Ok(imported);
        }
        imported.new_file = true;
        imported.new_entries = report.payments.len();
        imported.answered = apply_report_in(&mut tx, self.seal(), report).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.anchor_cases().await?;
        Ok(imported)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    New,
    /// Seen pending before, booked now.
    Booked,
    /// Seen before as it is now.
    Again,
}

/// Records the entry once; says whether it is new, newly booked, or seen.
async fn take_entry(
    tx: &mut Tx<'_>,
    file: &str,
    statement: &Statement,
    entry: &Entry,
    booked: bool,
) -> Result<Seen, StoreError> {
    let account = statement.account.id();
    let row = sqlx::query("SELECT status FROM bank_entries WHERE account = $1 AND identity = $2")
        .bind(account)
        .bind(&entry.identity)
        .fetch_optional(&mut **tx)
        .await?;
    let status = entry.status.code();
    if let Some(row) = row {
        let was: String = row.try_get("status")?;
        if was == status || !booked {
            return Ok(Seen::Again);
        }
        sqlx::query("UPDATE bank_entries SET status = $1 WHERE account = $2 AND identity = $3")
            .bind(status)
            .bind(account)
            .bind(&entry.identity)
            .execute(&mut **tx)
            .await?;
        return Ok(Seen::Booked);
    }
    let first = entry.transactions.first();
    let remittance: Vec<String> = entry
        .transactions
        .iter()
        .flat_map(|t| {
            t.remittance
                .structured
                .iter()
                .chain(&t.remittance.unstructured)
        })
        .cloned()
        .collect();
    sqlx::query(
        "INSERT INTO bank_entries (account, identity, direction, amount, status, reversal, booking_date, \
         remittance, debtor, end_to_end_id, file_sha256, seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(account)
    .bind(&entry.identity)
    .bind(entry.direction.code())
    .bind(decide::base_units(entry.amount).map_or(-1, |u| i64::try_from(u).unwrap_or(-1)))
    .bind(status)
    .bind(i64::from(entry.reversal))
    .bind(&entry.booking_date)
    .bind(remittance.join(" | "))
    .bind(first.and_then(|t| t.debtor.name.clone()))
    .bind(first.and_then(|t| t.end_to_end_id.clone().or_else(|| t.uetr.clone())))
    .bind(file)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(Seen::New)
}

/// What the desk knows of a customer when its money comes in.
async fn facts_of(
    tx: &mut Tx<'_>,
    customer: &str,
    amount: u64,
    booked: bool,
    intake: Intake,
) -> Result<Facts, StoreError> {
    let row = sqlx::query(
        "SELECT c.status, (SELECT COUNT(*) FROM wallets w WHERE w.customer_id = c.id) AS wallets, \
         (SELECT COUNT(*) FROM wallets w WHERE w.customer_id = c.id AND w.listed_at IS NOT NULL) AS listed \
         FROM customers c WHERE c.id = $1",
    )
    .bind(customer)
    .fetch_one(&mut **tx)
    .await?;
    let status: String = row.try_get("status")?;
    Ok(Facts {
        booked,
        kyb: status.parse().map_err(StoreError::Malformed)?,
        listed: row.try_get::<i64, _>("listed")? > 0,
        has_wallet: row.try_get::<i64, _>("wallets")? > 0,
        amount,
        four_eyes_above: intake.four_eyes_above,
        approved: false,
    })
}

/// An incoming entry: a new deposit, or a pending one now booked.
#[allow(clippy::too_many_arguments)]
async fn deposit(
    tx: &mut Tx<'_>,
    seal: Option<&cases::Seal>,
    statement: &Statement,
    entry: &Entry,
    booked: bool,
    references: &std::collections::HashMap<String, String>,
    intake: Intake,
) -> Result<Option<Deposit>, StoreError> {
    let account = statement.account.id();
    let matched = decide::match_entry(entry, references);
    if matched == Matched::NotIncoming {
        return Ok(None);
    }
    let existing = sqlx::query("SELECT id FROM deposits WHERE account = $1 AND identity = $2")
        .bind(account)
        .bind(&entry.identity)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(row) = existing {
        // Pending before, booked now: the money is here.
        let id: String = row.try_get("id")?;
        let deposit = deposit_in(tx, &id).await?;
        if deposit.state != State::Pending {
            return Ok(None);
        }
        return Ok(Some(
            settle_booked(tx, seal, deposit, intake, booked_at(entry)).await?,
        ));
    }
    let amount = decide::base_units(entry.amount);
    let (customer, state, why) = match (&matched, amount) {
        (Matched::Customer(customer), Some(amount)) => {
            let facts = facts_of(tx, customer, amount, booked, intake).await?;
            (Some(customer.to_string()), decide::state_of(&facts), None)
        }
        (Matched::Unknown { why }, _) => (None, State::Suspense, Some(why.clone())),
        (Matched::NotIncoming, _) => return Ok(None),
        (Matched::Customer(_), None) => (
            None,
            State::Suspense,
            Some(format!(
                "{} is not an amount of dollars and cents",
                entry.amount
            )),
        ),
    };
    let state = if !booked { State::Pending } else { state };
    let id = new_id("dep");
    let at = now();
    sqlx::query(
        "INSERT INTO deposits (id, account, identity, customer_id, amount, reference_hash, state, why, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&id)
    .bind(account)
    .bind(&entry.identity)
    .bind(&customer)
    .bind(amount.map_or(0, |a| i64::try_from(a).unwrap_or(i64::MAX)))
    .bind(reference_hash(account, &entry.identity))
    .bind(state.as_str())
    .bind(&why)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    let deposit = deposit_in(tx, &id).await?;
    if state == State::Pending {
        return Ok(Some(deposit));
    }
    Ok(Some(booked_now(tx, seal, deposit, booked_at(entry)).await?))
}

/// A pending deposit's entry booked: decided again with what is known now.
async fn settle_booked(
    tx: &mut Tx<'_>,
    seal: Option<&cases::Seal>,
    deposit: Deposit,
    intake: Intake,
    at: i64,
) -> Result<Deposit, StoreError> {
    let state = match &deposit.customer_id {
        Some(customer) => {
            let facts = facts_of(tx, customer, deposit.amount, true, intake).await?;
            decide::state_of(&facts)
        }
        None => State::Suspense,
    };
    super::deposits::set_state(tx, &deposit.id, state, None).await?;
    let deposit = deposit_in(tx, &deposit.id).await?;
    booked_now(tx, seal, deposit, at).await
}

/// The money of a deposit is in the bank (since `at`, the bank's booking):
/// its postings, its case if it is held, its event.
async fn booked_now(
    tx: &mut Tx<'_>,
    seal: Option<&cases::Seal>,
    deposit: Deposit,
    at: i64,
) -> Result<Deposit, StoreError> {
    let booking = match &deposit.customer_id {
        Some(customer) => ledger::deposit_received(customer, deposit.amount),
        None => ledger::deposit_in_suspense(deposit.amount),
    };
    post_at(tx, &booking, at).await?;
    if matches!(deposit.state, State::Held | State::Suspense) {
        return super::deposits::hold(tx, seal, deposit).await;
    }
    let data = super::deposits::DepositEvent::of(&deposit, None);
    emit_deposit(tx, "deposit.received", &deposit.id, &deposit.id, data).await?;
    Ok(deposit)
}

/// The bank took back an incoming wire (a debit marked as a reversal, naming
/// the wire's EndToEndId): the deposit is cancelled, or, if its USD1 is out,
/// a case opens (the customer holds tokens without dollars).
async fn reverse(
    tx: &mut Tx<'_>,
    seal: Option<&cases::Seal>,
    statement: &Statement,
    entry: &Entry,
) -> Result<Option<Deposit>, StoreError> {
    let Some(named) = entry
        .transactions
        .first()
        .and_then(|t| t.end_to_end_id.clone().or_else(|| t.uetr.clone()))
    else {
        return Ok(None);
    };
    let row = sqlx::query(
        "SELECT d.id FROM deposits d JOIN bank_entries e ON e.account = d.account AND e.identity = d.identity \
         WHERE d.account = $1 AND e.end_to_end_id = $2 AND e.direction = 'CRDT' ORDER BY d.created_at LIMIT 1",
    )
    .bind(statement.account.id())
    .bind(&named)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let id: String = row.try_get("id")?;
    let deposit = deposit_in(tx, &id).await?;
    let owner = match &deposit.customer_id {
        Some(customer) => Account::Customer(customer.clone()),
        None => Account::Suspense,
    };
    let was_booked = deposit.state != State::Pending;
    match decide::reversal_of(deposit.state) {
        Reversal::Nothing => return Ok(None),
        Reversal::Cancel => {
            super::deposits::set_state(
                tx,
                &id,
                State::Cancelled,
                Some("the bank reversed the wire"),
            )
            .await?;
        }
        Reversal::AfterMint => {
            let subject = deposit
                .wallet
                .clone()
                .unwrap_or_else(|| format!("deposit:{id}"));
            let reason = format!(
                "deposit {id} was reversed by the bank after its USD1 was minted: the customer holds tokens without dollars"
            );
            let (case, _) =
                cases::open_in(tx, seal, &subject, &reason, &json!([]), &Actor::screening())
                    .await?;
            super::deposits::set_state(tx, &id, State::ReturnedAfterMint, Some(&reason)).await?;
            sqlx::query("UPDATE deposits SET return_case_id = $1 WHERE id = $2")
                .bind(&case.id)
                .bind(&id)
                .execute(&mut **tx)
                .await?;
        }
    }
    if was_booked {
        post_at(
            tx,
            &ledger::deposit_reversed(owner, deposit.amount),
            booked_at(entry),
        )
        .await?;
    }
    Ok(Some(deposit_in(tx, &id).await?))
}
