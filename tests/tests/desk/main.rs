//! The issuance desk: customers, bank statements in, deposits minted through the program exactly once, the dollar ledger.
//! One test binary for the area (each file a module); run one file's tests
//! with `cargo test -p usd1-tests --test desk MODULE::`.
mod desk_api;
mod desk_deposits;
mod desk_faults;
mod desk_openapi;
mod desk_outside;
mod desk_postgres;
mod desk_process;
mod desk_reconcile;
mod desk_redemptions;
mod desk_suspense;
