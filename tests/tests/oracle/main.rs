//! The reserve oracle and the co-signers: rounds, delivery under faults, independent attestors as processes.
//! One test binary for the area (each file a module), so the runtime is
//! linked once for all of them; run one file's tests with
//! `cargo test -p usd1-tests --test oracle MODULE::`.
mod bank_source;
mod cosign;
mod cosign_hardening;
mod keystore_rounds;
mod oracle;
mod oracle_delivery;
