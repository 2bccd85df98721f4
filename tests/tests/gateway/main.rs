//! The payments gateway: its store on SQLite and PostgreSQL, its API, the watcher and deliverer over a localnet, and the real `usd1-gateway` process under faults.
//! One test binary for the area (each file a module), so the runtime is
//! linked once for all of them; run one file's tests with
//! `cargo test -p usd1-tests --test gateway MODULE::`.
mod gateway;
mod gateway_api;
mod gateway_cases;
mod gateway_compliance;
mod gateway_events;
mod gateway_faults;
mod gateway_invoices;
mod gateway_lists;
mod gateway_outage;
mod gateway_screening;
mod gateway_store;
mod gateway_webhooks;
mod openapi;
mod sandbox;
mod solana_pay;
