//! The services' one storage layer: SQLite (embedded, the default) or
//! PostgreSQL (several instances of a service on one database), through
//! sqlx's `Any` driver. Both speak the same SQL here but for the schema's one
//! auto-numbered column and the outbox's row locks (`Dialect`). Every state
//! change and the events it causes commit in one transaction. A service's
//! schema is this crate's migrations (keys, webhooks, the outbox) followed by
//! its own, numbered from [`SERVICE_MIGRATIONS_FROM`] on.
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use thiserror::Error;

use std::marker::PhantomData;

use sqlx::migrate::{Migration, MigrationSource, Migrator};

pub use crate::time::{iso8601, now};
pub use sqlx::Any;
pub type Tx<'a> = sqlx::Transaction<'a, Any>;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// A service's own migrations are numbered from here on; below is this crate's.
pub const SERVICE_MIGRATIONS_FROM: i64 = 1000;

/// A service's own tables, one migrator per dialect (`sqlx::migrate!`).
#[derive(Clone, Copy, Debug)]
pub struct Schema {
    pub sqlite: &'static Migrator,
    pub postgres: &'static Migrator,
    /// What the service's event streams are of, for people ("invoice").
    pub stream: &'static str,
}

/// This crate's migrations and then the service's, as one source.
#[derive(Debug)]
struct Combined(Vec<Migration>);

impl MigrationSource<'static> for Combined {
    fn resolve(
        self,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>>
                + Send,
        >,
    > {
        Box::pin(async move { Ok(self.0) })
    }
}

async fn migrate(pool: &AnyPool, dialect: Dialect, schema: &Schema) -> Result<(), StoreError> {
    let (kit, service) = match dialect {
        Dialect::Sqlite => (&SQLITE, schema.sqlite),
        Dialect::Postgres => (&POSTGRES, schema.postgres),
    };
    if let Some(low) = service.iter().find(|m| m.version < SERVICE_MIGRATIONS_FROM) {
        return Err(StoreError::Malformed(format!(
            "the service's migration {} is numbered below {SERVICE_MIGRATIONS_FROM}, among the kit's",
            low.version
        )));
    }
    let migrations: Vec<Migration> = kit.iter().chain(service.iter()).cloned().collect();
    let migrator = Migrator::new(Combined(migrations)).await?;
    migrator.run(pool).await?;
    Ok(())
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("'{0}' is neither sqlite:PATH nor postgres://…")]
    UnknownDatabase(String),
    #[error("stored row is malformed: {0}")]
    Malformed(String),
    /// The case history's key or anchor file (outside the database).
    #[error("case seal: {0}")]
    Seal(String),
}

impl StoreError {
    /// The database is away rather than wrong: no connection came in time,
    /// the pool is closed, a connection broke, it is locked (SQLite) or
    /// shutting down or unreachable (PostgreSQL's classes 08 and 57P).
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(error) = self else {
            return false;
        };
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
            sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                // SQLite: 5 SQLITE_BUSY, 6 SQLITE_LOCKED (and their extended codes).
                matches!(code.as_ref(), "5" | "6" | "261" | "262" | "517")
                    || code.starts_with("08")
                    || code.starts_with("57P")
                    || db.message().contains("database is locked")
            }
            _ => false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A service's database; `S` is the service's scopes, which its API keys hold.
#[derive(Debug)]
pub struct Store<S> {
    pool: AnyPool,
    /// Reads that need no transaction: on SQLite a pool of its own, so a
    /// reader never waits behind the one writer (WAL serves it); on
    /// PostgreSQL the same pool.
    reader: AnyPool,
    /// SQLite: one connection `/ready` takes the write lock with for a
    /// moment, to see the database is writable (another process may hold
    /// it while reads go on). PostgreSQL: the pool.
    probe: AnyPool,
    dialect: Dialect,
    stream: &'static str,
    /// The case history's seal (key and anchor), kept outside the database.
    seal: Option<std::sync::Arc<crate::seal::Seal>>,
    scopes: PhantomData<fn() -> S>,
}

impl<S> Clone for Store<S> {
    fn clone(&self) -> Self {
        Store {
            pool: self.pool.clone(),
            reader: self.reader.clone(),
            probe: self.probe.clone(),
            dialect: self.dialect,
            stream: self.stream,
            seal: self.seal.clone(),
            scopes: PhantomData,
        }
    }
}

/// How long a caller waits for the database before it counts as away: the
/// API then answers 503 within this bound rather than hanging. On SQLite
/// half of it goes to the one writer connection and half to the write lock
/// (the busy timeout), so a write waits at most the whole; on PostgreSQL it
/// is the wait for a connection from the pool (connecting included).
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long `/ready`'s look at the database may wait for SQLite's write
/// lock: longer than any of our own transactions holds it.
const PROBE_BUSY: Duration = Duration::from_millis(800);

impl<S> Store<S> {
    /// Opens (creating a SQLite file if missing) and migrates the database
    /// to this crate's schema and then the service's, waiting at most
    /// `acquire` for a connection (and on SQLite for the write lock: its
    /// busy timeout).
    pub async fn open(url: &str, schema: &Schema, acquire: Duration) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let (dialect, url) = if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            (Dialect::Sqlite, format!("sqlite://{path}?mode=rwc"))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Dialect::Postgres, url.to_string())
        } else {
            return Err(StoreError::UnknownDatabase(url.to_string()));
        };
        // SQLite takes one writer at a time: one connection, never a
        // `database is locked` between two of our own.
        let connections = match dialect {
            Dialect::Sqlite => 1,
            Dialect::Postgres => 8,
        };
        let (wait, busy) = match dialect {
            Dialect::Sqlite => (acquire / 2, acquire / 2),
            Dialect::Postgres => (acquire, acquire),
        };
        let busy = format!("PRAGMA busy_timeout = {}", busy.as_millis());
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(wait)
            .after_connect(move |connection, _| {
                let busy = busy.clone();
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // WAL: readers never wait for the writer. NORMAL:
                        // durable across a crash of the process; a power
                        // loss may undo the last commits, which the watcher
                        // then records again (the chain is the source of
                        // truth, and an event's id follows its cause). The
                        // busy timeout: how long the writer waits for
                        // another process's lock before the database counts
                        // as away.
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = NORMAL",
                            "PRAGMA foreign_keys = ON",
                            busy.as_str(),
                        ] {
                            sqlx::query(pragma).execute(&mut *connection).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        migrate(&pool, dialect, schema).await?;
        let (reader, probe) = match dialect {
            Dialect::Postgres => (pool.clone(), pool.clone()),
            Dialect::Sqlite => (
                sqlite_side_pool(&url.replace("mode=rwc", "mode=ro"), 4, acquire, acquire).await?,
                sqlite_side_pool(&url, 1, acquire, PROBE_BUSY).await?,
            ),
        };
        Ok(Self {
            pool,
            reader,
            probe,
            dialect,
            stream: schema.stream,
            seal: None,
            scopes: PhantomData,
        })
    }

    /// The pool for reads outside a transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// Whether the database answers within `within`: on PostgreSQL a
    /// query; on SQLite the write lock taken and given back at once (reads
    /// go on while another process holds it, payments could not be recorded).
    pub async fn ping(&self, within: Duration) -> Result<(), String> {
        let look = async {
            match self.dialect {
                Dialect::Postgres => sqlx::query("SELECT 1")
                    .execute(&self.probe)
                    .await
                    .map(|_| ()),
                Dialect::Sqlite => {
                    let tx = self.probe.begin_with("BEGIN IMMEDIATE").await?;
                    tx.rollback().await
                }
            }
        };
        match tokio::time::timeout(within, look).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(match StoreError::from(error).is_unavailable() {
                true if self.dialect == Dialect::Sqlite => {
                    "locked by another process (writes wait)".to_string()
                }
                true => "not answering".to_string(),
                false => "answered with an error".to_string(),
            }),
            Err(_) => Err(format!("no answer within {} ms", within.as_millis())),
        }
    }

    /// The outbox: deliveries pending, the oldest pending's age (seconds)
    /// and dead letters.
    pub async fn outbox_stats(&self) -> Result<(i64, i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT \
             (SELECT COUNT(*) FROM deliveries WHERE status = 'pending') AS pending, \
             (SELECT COALESCE(MIN(e.created_at), 0) FROM deliveries d JOIN events e ON e.seq = d.event_seq \
              WHERE d.status = 'pending') AS oldest, \
             (SELECT COUNT(*) FROM deliveries WHERE status = 'dead') AS dead",
        )
        .fetch_one(&self.reader)
        .await?;
        let pending: i64 = row.try_get("pending")?;
        let oldest: i64 = row.try_get("oldest")?;
        let dead: i64 = row.try_get("dead")?;
        let age = if pending == 0 {
            0
        } else {
            now().saturating_sub(oldest)
        };
        Ok((pending, age, dead))
    }

    /// This store, sealing every case history entry with `seal` (and
    /// anchoring the head in its file).
    pub fn sealed(mut self, seal: crate::seal::Seal) -> Self {
        self.seal = Some(std::sync::Arc::new(seal));
        self
    }

    pub fn seal(&self) -> Option<&crate::seal::Seal> {
        self.seal.as_deref()
    }

    /// What the service's event streams are of ("invoice").
    pub fn stream(&self) -> &'static str {
        self.stream
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction; on SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so two writers queue instead of one failing midway.
    pub async fn begin(&self) -> Result<Tx<'static>, StoreError> {
        Ok(match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool.begin().await?,
        })
    }
}

/// A fresh identifier: `prefix_` and 16 random bytes in hex.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", usd1_client::hex(&rand::random::<[u8; 16]>()))
}

/// A column as a non-negative amount.
pub fn units(row: &AnyRow, column: &str) -> Result<u64, StoreError> {
    let value: i64 = row.try_get(column)?;
    u64::try_from(value).map_err(|_| StoreError::Malformed(format!("{column} = {value}")))
}

/// An amount for a BIGINT column (amounts above i64::MAX are refused at the API).
pub fn signed(units: u64) -> i64 {
    i64::try_from(units).unwrap_or(i64::MAX)
}

/// A SQLite pool beside the writer: `connections` at most, waiting
/// `acquire` for one and `busy` for a lock.
async fn sqlite_side_pool(
    url: &str,
    connections: u32,
    acquire: Duration,
    busy: Duration,
) -> Result<AnyPool, StoreError> {
    let busy = format!("PRAGMA busy_timeout = {}", busy.as_millis());
    Ok(AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(acquire)
        .after_connect(move |connection, _| {
            let busy = busy.clone();
            Box::pin(async move {
                sqlx::query(&busy).execute(&mut *connection).await?;
                Ok(())
            })
        })
        .connect(url)
        .await?)
}
