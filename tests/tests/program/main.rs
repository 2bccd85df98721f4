//! The program's rules, each refusal by its exact error and nothing changed: the native runtime beside the real SPL programs (`usd1_tests::Fixture`).
//! One test binary for the area (each file a module), so the runtime is
//! linked once for all of them; run one file's tests with
//! `cargo test -p usd1-tests --test program MODULE::`.
mod account_checks;
mod attestation;
mod compliance;
mod disclosure;
mod freeze_pause;
mod happy_path;
mod mint_gate;
mod new_accounts;
mod properties;
mod rate_limit;
mod redemption;
mod redemption_refunds;
mod redemption_refusals;
mod roles;
mod roles_config;
mod vault_roles;
