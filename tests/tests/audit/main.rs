//! The auditor: `usd1 audit`, its checkpoint, and the transparency page rendered in headless Chromium.
//! One test binary for the area (each file a module), so the runtime is
//! linked once for all of them; run one file's tests with
//! `cargo test -p usd1-tests --test audit MODULE::`.
mod audit;
mod audit_checkpoint;
mod audit_end_state;
mod transparency;
mod transparency_hardening;
