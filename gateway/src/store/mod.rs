//! The gateway's storage: the service kit's database (SQLite, or PostgreSQL
//! for several gateway instances; keys, webhooks and the outbox) with the
//! gateway's own tables (invoices, movements, cases) migrated after the
//! kit's. Every state change and the events it causes commit in one
//! transaction.
use std::time::Duration;

use usd1_service::Schema;

pub mod apply;
pub mod cases;
pub mod chain;
pub mod finality;
pub mod held;
pub mod invoices;
pub mod keys;
mod lists;
pub mod outbox;
pub mod payload;
pub mod webhooks;

pub use usd1_service::store::{
    iso8601, new_id, now, signed, units, Any, Dialect, StoreError, Tx, DEFAULT_ACQUIRE_TIMEOUT,
};

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The gateway's tables, after the service kit's; its events' streams are invoices.
pub const SCHEMA: Schema = Schema {
    sqlite: &SQLITE,
    postgres: &POSTGRES,
    stream: "invoice",
};

/// The gateway's database: the service kit's store (keys, webhooks, the
/// outbox, cases) with the gateway's tables' methods on it.
#[derive(Clone, Debug)]
pub struct Store {
    kit: usd1_service::Store<keys::Scope>,
}

impl std::ops::Deref for Store {
    type Target = usd1_service::Store<keys::Scope>;
    fn deref(&self) -> &Self::Target {
        &self.kit
    }
}

impl Store {
    /// Opens (creating a SQLite file if missing) and migrates the database.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, DEFAULT_ACQUIRE_TIMEOUT).await
    }

    /// [`Self::open`], waiting at most `acquire` for a connection (and on
    /// SQLite for the write lock: its busy timeout).
    pub async fn open_with(url: &str, acquire: Duration) -> Result<Self, StoreError> {
        Ok(Store {
            kit: usd1_service::Store::open(url, &SCHEMA, acquire).await?,
        })
    }

    /// The service kit's store beneath (a deliverer's).
    pub fn kit(&self) -> &usd1_service::Store<keys::Scope> {
        &self.kit
    }

    /// A new subscription of `key` (at most `max` live per key) to the
    /// gateway's events, and its signing secret (returned this once).
    pub async fn subscribe(
        &self,
        key: &keys::ApiKey,
        url: &str,
        events: &[String],
        max: usize,
    ) -> Result<Result<webhooks::Webhook, webhooks::SubscribeError>, StoreError> {
        self.kit
            .subscribe(&webhooks::EVENTS, key, url, events, max)
            .await
    }

    /// This store, sealing every case history entry with `seal` (and
    /// anchoring the head in its file).
    pub fn sealed(self, seal: cases::Seal) -> Self {
        Store {
            kit: self.kit.sealed(seal),
        }
    }
}
