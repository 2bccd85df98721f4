//! `usd1-desk`: the issuer's issuance desk. An institutional customer wires
//! dollars with its reference; the desk reads the issuer's bank statements
//! (camt.053/052/054, BAI2: the bank rails of `usd1_client::bank`), takes
//! each file and each entry once, matches the wire to its customer and
//! mints USD1 to the customer's registered wallet through the program, the
//! deposit's reference hash in the same transaction, exactly once. The
//! program decides: what the attested reserve does not cover waits. The
//! fiat side is a double-entry ledger. What a movement means is decided in
//! plain functions (`decide`, `ledger`); the store persists it, with its
//! postings and events, in one transaction. Keys, webhooks, the outbox and
//! cases are the service kit's (`usd1-service`).
pub mod api;
pub mod decide;
pub mod ledger;
pub mod mint;
pub mod payout;
pub mod reconcile;
pub mod scopes;
pub mod store;
