//! The desk's storage: the service kit's database (keys, webhooks, the
//! outbox, cases) with the desk's tables (customers, bank files and entries,
//! deposits, mint attempts, the dollar ledger's postings) migrated after the
//! kit's. Each movement and its postings and events commit together.
use std::time::Duration;

use serde_json::Value;
use sqlx::Row;
use usd1_service::cases::{HeldRow, Holdings};
use usd1_service::outbox::Stream;
use usd1_service::Schema;

use crate::ledger::{Account, Booking, Books};
use crate::scopes::{Scope, EVENTS};

pub mod answers;
pub mod customers;
pub mod deposits;
pub mod payments;
pub mod reconciliations;
pub mod redemptions;
pub mod statements;
pub mod suspense;

pub use usd1_service::store::{new_id, now, Dialect, StoreError, Tx, DEFAULT_ACQUIRE_TIMEOUT};

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The desk's tables, after the service kit's.
pub const SCHEMA: Schema = Schema {
    sqlite: &SQLITE,
    postgres: &POSTGRES,
    stream: "deposit or redemption",
};

/// The desk's database.
#[derive(Clone, Debug)]
pub struct Store {
    kit: usd1_service::Store<Scope>,
}

impl std::ops::Deref for Store {
    type Target = usd1_service::Store<Scope>;
    fn deref(&self) -> &Self::Target {
        &self.kit
    }
}

impl Store {
    /// Opens (creating a SQLite file if missing) and migrates the database.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, DEFAULT_ACQUIRE_TIMEOUT).await
    }

    pub async fn open_with(url: &str, acquire: Duration) -> Result<Self, StoreError> {
        Ok(Store {
            kit: usd1_service::Store::open(url, &SCHEMA, acquire).await?,
        })
    }

    pub fn kit(&self) -> &usd1_service::Store<Scope> {
        &self.kit
    }

    /// The dollar ledger's balances (kept beside the postings).
    pub async fn books(&self) -> Result<Books, StoreError> {
        self.books_from("SELECT account, balance FROM ledger_balances", None)
            .await
    }

    /// The balances as they stood at `at` (unix seconds): today's less every
    /// posting dated after it, read in one statement.
    pub async fn books_as_of(&self, at: i64) -> Result<Books, StoreError> {
        self.books_from(
            "SELECT account, CAST(SUM(balance) AS BIGINT) AS balance FROM \
             (SELECT account, balance FROM ledger_balances \
              UNION ALL SELECT account, -amount AS balance FROM postings WHERE at > $1) later \
             GROUP BY account",
            Some(at),
        )
        .await
    }

    /// The balances summed from every posting again: equal to
    /// [`Self::books`] unless a row was changed behind the ledger's back.
    pub async fn books_from_postings(&self) -> Result<Books, StoreError> {
        self.books_from(
            "SELECT account, CAST(SUM(amount) AS BIGINT) AS balance FROM postings GROUP BY account",
            None,
        )
        .await
    }

    async fn books_from(&self, sql: &str, at: Option<i64>) -> Result<Books, StoreError> {
        let query = sqlx::query(sql);
        let query = match at {
            Some(at) => query.bind(at),
            None => query,
        };
        let rows = query.fetch_all(self.reader()).await?;
        let mut books = Books::default();
        for row in &rows {
            let name: String = row.try_get("account")?;
            let balance: i64 = row.try_get("balance")?;
            let account = Account::parse(&name)
                .ok_or_else(|| StoreError::Malformed(format!("ledger account '{name}'")))?;
            if balance != 0 {
                books.balances.insert(account, i128::from(balance));
            } else {
                books.balances.entry(account).or_insert(0);
            }
        }
        Ok(books)
    }
}

/// A journalled send (a mint, a settlement) as its row keeps it.
pub(crate) fn attempt_from(
    row: &sqlx::any::AnyRow,
) -> Result<usd1_client::send_journal::Attempt, StoreError> {
    let signature: String = row.try_get("signature")?;
    let blockhash: String = row.try_get("blockhash")?;
    let height: Option<i64> = row.try_get("last_valid_height")?;
    Ok(usd1_client::send_journal::Attempt {
        signature: signature
            .parse()
            .map_err(|_| StoreError::Malformed(signature.clone()))?,
        blockhash: blockhash
            .parse()
            .map_err(|_| StoreError::Malformed(blockhash.clone()))?,
        last_valid_block_height: height.and_then(|h| u64::try_from(h).ok()),
    })
}

/// Writes a booking's postings inside the caller's transaction, dated now.
pub(crate) async fn post(tx: &mut Tx<'_>, booking: &Booking) -> Result<(), StoreError> {
    post_at(tx, booking, now()).await
}

/// When the bank booked `entry` (unix seconds): its booking date or time,
/// never later than now; now when the bank gives none. What the bank moved
/// is dated by the bank, so the books as of a day agree with that day's
/// statement however late the desk reads it.
pub(crate) fn booked_at(entry: &usd1_client::bank::Entry) -> i64 {
    entry
        .booking_date
        .as_deref()
        .and_then(|date| usd1_service::time::parse_time(date).ok())
        .map_or_else(now, |at| at.min(now()))
}

/// Writes a booking's postings inside the caller's transaction, dated `at`
/// (unix seconds): the books as of a moment are the postings dated before it.
pub(crate) async fn post_at(tx: &mut Tx<'_>, booking: &Booking, at: i64) -> Result<(), StoreError> {
    if !booking.is_balanced() {
        return Err(StoreError::Malformed(format!(
            "'{}' does not balance",
            booking.what
        )));
    }
    let id = new_id("bkg");
    for posting in &booking.postings {
        let amount = i64::try_from(posting.amount)
            .map_err(|_| StoreError::Malformed(format!("posting of {}", posting.amount)))?;
        sqlx::query(
            "INSERT INTO postings (booking, what, account, amount, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(booking.what)
        .bind(posting.account.to_string())
        .bind(amount)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO ledger_balances (account, balance) VALUES ($1, $2) \
             ON CONFLICT (account) DO UPDATE SET balance = ledger_balances.balance + excluded.balance",
        )
        .bind(posting.account.to_string())
        .bind(amount)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Emits a deposit's event in its stream (its `event_seq` advanced here).
pub(crate) async fn emit_deposit(
    tx: &mut Tx<'_>,
    kind: &str,
    deposit_id: &str,
    cause: &str,
    data: impl serde::Serialize,
) -> Result<String, StoreError> {
    let row = sqlx::query(
        "UPDATE deposits SET event_seq = event_seq + 1 WHERE id = $1 RETURNING event_seq",
    )
    .bind(deposit_id)
    .fetch_one(&mut **tx)
    .await?;
    let seq: i64 = row.try_get("event_seq")?;
    let stream = Stream {
        id: deposit_id,
        seq,
        key_id: "",
    };
    usd1_service::outbox::emit(tx, &EVENTS, kind, cause, Some(stream), data).await
}

/// What a desk case holds: deposits (a listed customer's, or one in
/// suspense) and redemptions (from a wallet the desk may not pay), each
/// named `deposit:ID` or `redemption:ID` in the history's `held` entry.
pub struct Held;

/// Appends the `held` entry of `item` (of `customer`, if known) to case
/// `case_id`'s history.
pub(crate) async fn record_hold(
    tx: &mut Tx<'_>,
    seal: Option<&usd1_service::cases::Seal>,
    case_id: &str,
    item: &str,
    amount: u64,
    customer: Option<&str>,
    why: &str,
) -> Result<(), StoreError> {
    usd1_service::cases::append(
        tx,
        seal,
        case_id,
        &usd1_service::cases::Actor::screening(),
        Held::HELD,
        serde_json::json!({"item": item, "amount_units": amount.to_string(), "customer": customer}),
        why,
    )
    .await?;
    Ok(())
}

/// Opens a case on `subject` for `why`, or, when one is open already,
/// records `action` in its history: nothing the bank or the chain says goes
/// unrecorded.
pub(crate) async fn flag(
    tx: &mut Tx<'_>,
    seal: Option<&usd1_service::cases::Seal>,
    subject: &str,
    action: &str,
    why: &str,
) -> Result<(), StoreError> {
    use usd1_service::cases::{self, Actor};
    let (case, new) = cases::open_in(
        tx,
        seal,
        subject,
        why,
        &Value::Array(Vec::new()),
        &Actor::screening(),
    )
    .await?;
    if !new {
        let detail = Value::Object(Default::default());
        cases::append(tx, seal, &case.id, &Actor::screening(), action, detail, why).await?;
    }
    Ok(())
}

impl Holdings for Held {
    type Released = String;
    const HELD: &'static str = "held";
    const KEY: &'static str = "item";
    const FACTS: &'static [&'static str] = &["amount_units", "customer"];
    const NOUN: &'static str = "held item";
    const AMENDED: Option<&'static str> = Some(suspense::OWNER_NAMED);

    async fn holds(&self, tx: &mut Tx<'_>, case_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS held FROM deposits WHERE case_id = $1 AND state IN ('held', 'suspense') \
             UNION ALL SELECT 1 AS held FROM redemptions WHERE case_id = $1 AND state = 'held'",
        )
        .bind(case_id)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(row.is_some())
    }

    /// A deposit in suspense is released only once its owner is named.
    async fn unreleasable(
        &self,
        tx: &mut Tx<'_>,
        case_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM deposits WHERE case_id = $1 AND state = 'suspense' \
             AND customer_id IS NULL AND released_by IS NULL ORDER BY id LIMIT 1",
        )
        .bind(case_id)
        .fetch_optional(&mut **tx)
        .await?;
        row.map(|row| {
            let id: String = row.try_get("id")?;
            Ok(format!(
                "deposit {id} is in suspense and no customer is named as its owner \
                 (usd1-desk case name-owner)"
            ))
        })
        .transpose()
    }

    /// A released deposit is looked at again (minted if its customer may
    /// be); one in suspense needs its customer named first.
    async fn release(
        &self,
        tx: &mut Tx<'_>,
        case: &usd1_service::cases::Case,
        seq: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "UPDATE deposits SET released_by = $3, updated_at = $1, \
             state = CASE WHEN state = 'held' OR (state = 'suspense' AND customer_id IS NOT NULL) \
                 THEN 'awaiting_kyb' ELSE state END, \
             why = CASE WHEN state = 'suspense' AND customer_id IS NULL \
                 THEN 'released with no owner named: it stays in suspense' ELSE 'released by its case' END \
             WHERE case_id = $2 AND released_by IS NULL RETURNING id",
        )
        .bind(now())
        .bind(&case.id)
        .bind(seq)
        .fetch_all(&mut **tx)
        .await?;
        // Released: the hit on the subject's wallet was a false positive.
        sqlx::query(
            "UPDATE wallets SET listed_at = NULL, cleared_case = $1 WHERE address = $2 AND listed_at IS NOT NULL",
        )
        .bind(&case.id)
        .bind(&case.subject)
        .execute(&mut **tx)
        .await?;
        let mut released: Vec<String> = rows
            .iter()
            .map(|r| Ok(format!("deposit:{}", r.try_get::<String, _>("id")?)))
            .collect::<Result<_, StoreError>>()?;
        // A redemption is looked at again by the next pass: paid if it may be now.
        let rows = sqlx::query(
            "UPDATE redemptions SET released_by = $3, updated_at = $1, why = 'released by its case' \
             WHERE case_id = $2 AND released_by IS NULL RETURNING id",
        )
        .bind(now())
        .bind(&case.id)
        .bind(seq)
        .fetch_all(&mut **tx)
        .await?;
        for row in &rows {
            released.push(format!("redemption:{}", row.try_get::<i64, _>("id")?));
        }
        Ok(released)
    }

    async fn accounts(&self, _tx: &mut Tx<'_>, _case_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(Vec::new())
    }

    async fn evidence(
        &self,
        tx: &mut Tx<'_>,
        case: &usd1_service::cases::Case,
        on_chain: Option<&Value>,
    ) -> Result<serde_json::Map<String, Value>, StoreError> {
        let rows = sqlx::query("SELECT * FROM deposits WHERE case_id = $1 ORDER BY created_at, id")
            .bind(&case.id)
            .fetch_all(&mut **tx)
            .await?;
        let deposits: Vec<Value> = rows
            .iter()
            .map(deposits::from_row)
            .map(|d| d.map(|d| serde_json::to_value(d).unwrap_or(Value::Null)))
            .collect::<Result<_, _>>()?;
        let mut evidence = serde_json::Map::new();
        evidence.insert("deposits".into(), Value::Array(deposits));
        evidence.insert("on_chain".into(), on_chain.cloned().unwrap_or(Value::Null));
        Ok(evidence)
    }

    async fn rows(&self, pool: &sqlx::AnyPool) -> Result<Vec<HeldRow>, StoreError> {
        // A hold is its case's; released items keep their case id.
        let rows = sqlx::query(
            "SELECT 'deposit:' || id AS item, case_id, amount, customer_id, released_by FROM deposits \
             WHERE case_id IS NOT NULL UNION ALL \
             SELECT 'redemption:' || CAST(id AS TEXT) AS item, case_id, amount, customer_id, released_by \
             FROM redemptions WHERE case_id IS NOT NULL ORDER BY item",
        )
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                let amount: i64 = row.try_get("amount")?;
                Ok(HeldRow {
                    case_id: row.try_get("case_id")?,
                    key: row.try_get("item")?,
                    facts: vec![Some(amount.to_string()), row.try_get("customer_id")?],
                    released_by: row.try_get("released_by")?,
                })
            })
            .collect()
    }
}
