//! Test support for the USD1 integration tests: the native runtime fixture and
//! assertions on exact errors and unchanged state.
pub mod audit_harness;
pub mod bank;
pub mod browser;
pub mod cli_harness;
pub mod cli_reference;
pub mod cosign_harness;
pub mod custodian;
pub mod desk_harness;
pub mod fixture;
pub mod gateway_harness;
pub mod gateway_process;
pub mod keystores;
pub mod ledgers;
pub mod localnet;
pub mod measure;
pub mod moments;
pub mod node;
pub mod openapi_judges;
pub mod oracle_harness;
pub mod postgres;
pub mod proxy;
pub mod redemption;
pub mod tour;
pub mod vault;
pub mod webhook_judges;

pub use fixture::*;
