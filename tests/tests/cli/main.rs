//! The `usd1` command line: its own command code over the in-process ledger and the real binary over JSON-RPC to a localnet.
//! One test binary for the area (each file a module), so the runtime is
//! linked once for all of them; run one file's tests with
//! `cargo test -p usd1-tests --test cli MODULE::`.
mod bank;
mod bank_judges;
mod certification;
mod cli;
mod cli_ceremony;
mod cli_refusals;
mod keystores;
mod lawful_orders;
mod migrations;
mod monthly_report;
mod offline_signing;
mod pay;
mod pay_packing;
mod read_only;
mod screening;
mod send_faults;
