//! `usd1-service`: the machinery every USD1 service stands on, so each
//! service (the gateway, the desk) keeps only its own domain. A database
//! (SQLite, or PostgreSQL for several instances) migrated to this crate's
//! tables and then the service's; API keys holding the service's scopes; the
//! transactional outbox, written in the transaction of the change that
//! caused each event; deliverers sending signed webhooks at least once, in
//! order per stream, never to the service's own network; compliance cases
//! with four eyes and a hash-chained, sealed history (what a case holds is
//! the service's); and the API's error bodies and HTTP server. What a change means is the service's decision;
//! this crate only stores and sends it.
pub mod api;
pub mod cases;
pub mod delivery;
pub mod egress;
pub mod events;
pub mod idempotency;
pub mod key_cli;
pub mod keys;
pub mod outbox;
pub mod seal;
pub mod server;
pub mod signature;
pub mod store;
pub mod time;
pub mod webhooks;

pub use store::{Schema, Store, StoreError, Tx};
