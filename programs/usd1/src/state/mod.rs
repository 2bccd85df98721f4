//! Account types, one file each. Every type keeps an `invariant()` that handlers
//! check after they mutate it.
pub mod attestation_history;
pub mod config;
pub mod disclosure;
pub mod minter;
pub mod redemption;

pub use attestation_history::*;
pub use config::*;
pub use disclosure::*;
pub use minter::*;
pub use redemption::*;
