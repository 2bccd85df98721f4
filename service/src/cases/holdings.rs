//! What a service holds under a case: the gateway's payments from a listed
//! sender, the desk's deposits and redemptions. The cases decide (four eyes,
//! the history); the service says what is held, releases it as it would
//! have applied it, names the accounts it came from (a freeze of one carries
//! out the case) and the evidence a case file carries. Each hold is an entry
//! of the history (`HELD`, naming the item by `KEY` with its `FACTS`), so
//! `verify_cases` holds the service's rows against it.
use std::future::Future;

use serde_json::{Map, Value};
use sqlx::AnyPool;

use super::Case;
use crate::store::{StoreError, Tx};

/// A held item's row as the service keeps it, for the history to check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldRow {
    pub case_id: String,
    /// The item (a payment's signature).
    pub key: String,
    /// What the history recorded of it, in `FACTS` order.
    pub facts: Vec<Option<String>>,
    /// The history entry that released it.
    pub released_by: Option<i64>,
}

pub trait Holdings: Send + Sync {
    /// What releasing one held item did (the gateway: the payment recorded).
    type Released: Send;
    /// The history action that records a hold ("payment held").
    const HELD: &'static str;
    /// The detail field naming the item ("signature").
    const KEY: &'static str;
    /// The detail fields the item's row must agree with ("amount_units", …).
    const FACTS: &'static [&'static str];
    /// The item, for people ("held payment").
    const NOUN: &'static str;
    /// The history action that changes a held item's facts, if the service
    /// has one (the desk: a deposit in suspense given its owner): its detail
    /// names the item by `KEY` and carries the facts that change.
    const AMENDED: Option<&'static str> = None;

    /// Whether the case still holds anything (its release then needs four eyes).
    fn holds(
        &self,
        tx: &mut Tx<'_>,
        case_id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Why the case may not be released yet, if it may not (the desk: a
    /// deposit in suspense no customer is named for would be released to
    /// no one).
    fn unreleasable(
        &self,
        _tx: &mut Tx<'_>,
        _case_id: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send {
        async { Ok(None) }
    }

    /// Releases everything the case holds, as it would have been applied,
    /// citing history entry `seq`.
    fn release(
        &self,
        tx: &mut Tx<'_>,
        case: &Case,
        seq: i64,
    ) -> impl Future<Output = Result<Vec<Self::Released>, StoreError>> + Send;

    /// The accounts held items came from.
    fn accounts(
        &self,
        tx: &mut Tx<'_>,
        case_id: &str,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// What a case file shows beyond the case and its history (what the
    /// subject moved, what is held; `on_chain`, read just before).
    fn evidence(
        &self,
        tx: &mut Tx<'_>,
        case: &Case,
        on_chain: Option<&Value>,
    ) -> impl Future<Output = Result<Map<String, Value>, StoreError>> + Send;

    /// Every held item's row.
    fn rows(&self, pool: &AnyPool)
        -> impl Future<Output = Result<Vec<HeldRow>, StoreError>> + Send;
}
