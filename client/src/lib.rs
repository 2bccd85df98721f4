//! `usd1-client`: everything that talks to the USD1 program.
//!
//! PDAs, one typed builder per instruction, account and event decoders, the
//! attestation digest and its Ed25519 instruction, exact decimal amounts, and
//! the [`Ledger`] trait with which the CLI, the oracle and the tests send
//! transactions — over RPC or in-process — through the same code.
pub mod accounts;
pub mod amount;
pub mod attestation;
pub mod audit;
pub mod bank;
pub mod certification;
pub mod checkpoint;
pub mod compute;
pub mod error;
pub mod events;
pub mod history;
pub mod instructions;
pub mod issuer;
pub mod keypair;
#[cfg(feature = "keystore")]
pub mod keystore;
pub mod ledger;
pub mod monthly;
pub mod pda;
pub mod reconciliation;
pub mod reserve_report;
pub mod screening;
pub mod send_journal;
pub mod signing;
pub mod size;
pub mod solana_pay;
pub mod transparency;

#[cfg(feature = "banks")]
pub mod banks;
#[cfg(feature = "rpc")]
pub mod rpc;

pub use accounts::{
    AttestationHistory, Config, Disclosure, MintInfo, MinterAllowance, Redemption,
    RedemptionStatus, TokenAccountInfo,
};
pub use amount::{
    dollars, format_amount, format_dollars, format_grouped, format_wide_amount, parse_amount,
    AmountError,
};
pub use error::{ClientError, Failure};
pub use events::Usd1Event;
pub use issuer::Usd1;
pub use ledger::{Ledger, Simulation};
pub use usd1::errors::Usd1Error;
pub use usd1::instructions::LawfulBasis;
pub use usd1::state::{MintOptions, Role};
pub use usd1::ID as PROGRAM_ID;

/// SPL Token (classic) program id.
pub const TOKEN_PROGRAM_ID: solana_sdk::pubkey::Pubkey = anchor_spl::token::ID;
/// Token-2022 program id.
pub const TOKEN_2022_PROGRAM_ID: solana_sdk::pubkey::Pubkey = anchor_spl::token_2022::ID;
/// Associated token account program id.
pub const ASSOCIATED_TOKEN_PROGRAM_ID: solana_sdk::pubkey::Pubkey =
    anchor_spl::associated_token::ID;

/// SHA-256 of `bytes`: how free-text references (payout instructions,
/// settlement wires, terms documents) are recorded on-chain.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    <sha2::Sha256 as sha2::Digest>::digest(bytes).into()
}

/// Lower-case hex: how hashes and digests are shown to people.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A 32-byte hash back from its hex (either case); `None` if it is not one.
pub fn hash_from_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

/// An error and its causes on one line, each cause's own lines joined: how
/// the binaries report a failure. A cause its error's text already ends
/// with (a wrapper that prints its source) is said once.
pub fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e
            .to_string()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if !parts.last().is_some_and(|said| said.ends_with(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod one_line_tests {
    #[derive(Debug)]
    struct Wrapper(Option<Box<Wrapper>>, &'static str);

    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match &self.0 {
                // Prints its source, as `#[error("database: {0}")]` does.
                Some(source) if self.1.is_empty() => write!(f, "database: {source}"),
                _ => write!(f, "{}", self.1),
            }
        }
    }

    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.0.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn a_cause_already_said_is_not_said_again() {
        let locked = Wrapper(None, "(code: 5) database is locked");
        let error = Wrapper(Some(Box::new(locked)), "");
        assert_eq!(
            super::one_line(&error),
            "database: (code: 5) database is locked"
        );
        let outer = Wrapper(
            Some(Box::new(Wrapper(None, "connection refused"))),
            "cannot reach the node\nat http://x",
        );
        assert_eq!(
            super::one_line(&outer),
            "cannot reach the node at http://x: connection refused"
        );
    }
}
