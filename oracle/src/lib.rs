//! `usd1-oracle`: the reserve attestation daemon. It reads what the
//! custodians hold ([`sources`]), sums it into a canonical [`report`], signs
//! the attestation with its attestor keys and [`submit`]s it so the program's
//! mint gate always has a fresh, honest ceiling; it tells a supervisor how it
//! is doing through [`metrics`]. [`policy`] decides each round; [`daemon`]
//! does its I/O and runs the loop.
pub mod config;
pub mod cosigner;
pub mod daemon;
pub mod failover;
pub mod metrics;
pub mod policy;
pub mod report;
pub mod sources;
pub mod submit;

pub use config::Config;
pub use daemon::{Oracle, Outcome, RoundError, RoundOptions};
