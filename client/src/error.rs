//! Client errors, and `Failure`: why the chain refused a transaction, named by
//! the program error where there is one.
use std::fmt;

use anchor_lang::error::ErrorCode as AnchorError;
use anchor_spl::token_2022::spl_token_2022::error::TokenError;
use solana_sdk::instruction::InstructionError;
use solana_sdk::message::Message;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::TransactionError;
use solana_system_interface::error::SystemError;
use thiserror::Error;
use usd1::errors::Usd1Error;

use crate::amount::AmountError;

#[derive(Debug, Error)]
pub enum ClientError {
    /// The chain executed and refused the transaction.
    #[error("{failure}")]
    Failed { failure: Failure, logs: Vec<String> },
    /// The ledger (RPC node or in-process bank) could not be reached or answered badly.
    #[error("ledger error: {0}")]
    Ledger(String),
    /// A sent transaction that did not land and never can: no status at the
    /// commitment, and its blockhash expired (by the node's block height) or
    /// its durable nonce advanced. Only now may its intent be signed anew.
    #[error(
        "transaction {signature} did not land and can no longer land ({why}): nothing it would have done happened"
    )]
    Expired { signature: Signature, why: String },
    /// A sent transaction whose fate is not known yet: it may still land, so
    /// nothing was signed anew. (A send-time error is never the chain's verdict.)
    #[error(
        "transaction {signature} is not confirmed after {waited_secs}s and may still land; nothing was signed again \
         (check it with `solana confirm {signature}` before sending anything new)"
    )]
    Unconfirmed {
        signature: Signature,
        waited_secs: u64,
    },
    /// The RPC node gave no JSON-RPC answer: which node, and what failed
    /// (connection refused, a timeout, TLS, an HTTP status, not JSON-RPC).
    #[error("cannot reach the RPC node {url}: {why}")]
    Unreachable { url: String, why: String },
    #[error("account {0} does not exist")]
    AccountNotFound(Pubkey),
    #[error("account {address} is not a valid {kind}: {reason}")]
    Decode {
        address: Pubkey,
        kind: &'static str,
        reason: String,
    },
    #[error(transparent)]
    Amount(#[from] AmountError),
    /// Signatures collected elsewhere were checked before sending and fall short.
    #[error(transparent)]
    Signatures(#[from] crate::attestation::SignatureProblem),
    /// A transaction needs this key's signature and none was given.
    #[error("missing signature for {0}: the transaction needs it and none was given")]
    MissingSignature(Pubkey),
    /// A signature was given for this key but does not sign this transaction.
    #[error(
        "the signature given for {signer} does not sign this transaction ({reason}); \
         was it made for another command, blockhash, nonce or fee payer?"
    )]
    BadSignature { signer: Pubkey, reason: String },
    /// A signer could not sign (a key in an HSM or a vault that is down,
    /// slow, refusing or answering wrongly): nothing was sent.
    #[error("{signer} did not sign: {reason}; nothing was sent")]
    SignerFailed { signer: Pubkey, reason: String },
    /// Signing only was asked for: the transaction, signed by the signers
    /// present, was not sent.
    #[error("signed only, not sent")]
    SignedOnly(Box<solana_sdk::transaction::Transaction>),
    /// An audit checkpoint was refused or could not be written.
    #[error(transparent)]
    Checkpoint(#[from] crate::checkpoint::CheckpointError),
}

impl ClientError {
    /// The on-chain failure, if the chain refused the transaction.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Self::Failed { failure, .. } => Some(failure),
            _ => None,
        }
    }

    /// A refusal of the transaction with `message`, with the program that
    /// raised it located (see [`Failure::located`]).
    pub fn located(self, message: &Message) -> Self {
        match self {
            Self::Failed { failure, logs } if failure.program.is_none() => Self::Failed {
                failure: Failure::located(failure.error, &logs, message),
                logs,
            },
            other => other,
        }
    }
}

/// Why a transaction failed, as the runtime reported it, and which program
/// raised a custom error code. The code alone does not say: 0 is
/// `NotRentExempt` from a token program but `AccountAlreadyInUse` from the
/// system program, and 17 is only `AccountFrozen` when a token program said it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub error: TransactionError,
    /// The program that raised the error, when the logs or the failing
    /// instruction tell.
    pub program: Option<Pubkey>,
}

impl Failure {
    /// A failure whose raising program is not known.
    pub fn new(error: TransactionError) -> Self {
        Self {
            error,
            program: None,
        }
    }

    /// A failure of a transaction with `message`, located from the runtime's
    /// `logs` (the innermost program that failed) or, without them, from the
    /// program of the failing top-level instruction.
    pub fn located(error: TransactionError, logs: &[String], message: &Message) -> Self {
        let program = failing_program(logs).or_else(|| match &error {
            TransactionError::InstructionError(index, _) => message
                .instructions
                .get(usize::from(*index))
                .and_then(|ix| message.account_keys.get(usize::from(ix.program_id_index)))
                .copied(),
            _ => None,
        });
        Self { error, program }
    }

    /// The custom error code of the failing instruction, if any.
    pub fn custom_code(&self) -> Option<u32> {
        match &self.error {
            TransactionError::InstructionError(_, InstructionError::Custom(code)) => Some(*code),
            _ => None,
        }
    }

    /// Whether USD1 itself may have raised the code: it did, or nobody knows who did.
    fn may_be_usd1s(&self) -> bool {
        self.program.is_none_or(|program| program == usd1::ID)
    }

    /// The program's own error, when the code is one of `Usd1Error`'s.
    pub fn usd1_error(&self) -> Option<Usd1Error> {
        if !self.may_be_usd1s() {
            return None;
        }
        usd1_error_from_code(self.custom_code()?)
    }

    /// True when the failure is exactly `error`.
    pub fn is(&self, error: Usd1Error) -> bool {
        self.usd1_error() == Some(error)
    }

    /// A token program's own error (SPL Token and Token-2022 share the codes
    /// SPL Token has).
    pub fn token_error(&self) -> Option<TokenError> {
        let program = self.program?;
        if program != crate::TOKEN_PROGRAM_ID && program != crate::TOKEN_2022_PROGRAM_ID {
            return None;
        }
        TokenError::try_from(self.custom_code()?).ok()
    }

    /// The system program's own error.
    pub fn system_error(&self) -> Option<SystemError> {
        if self.program? != solana_system_interface::program::ID {
            return None;
        }
        SystemError::try_from(self.custom_code()?).ok()
    }
}

/// The innermost program the runtime logged as failing with a custom error:
/// `Program <id> failed: custom program error: 0x…` comes first from the
/// program that raised it, then from each caller it propagates through.
pub fn failing_program(logs: &[String]) -> Option<Pubkey> {
    logs.iter().find_map(|line| {
        let (program, reason) = line.strip_prefix("Program ")?.split_once(" failed: ")?;
        reason
            .starts_with("custom program error")
            .then(|| program.parse().ok())
            .flatten()
    })
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(error) = self.usd1_error() {
            return write!(f, "{}: {}", error.name(), error);
        }
        if let Some(error) = self.token_error() {
            return write!(f, "{error:?}: {error}");
        }
        if let Some(error) = self.system_error() {
            return write!(f, "{error:?}: {error}");
        }
        match self.custom_code().filter(|_| self.may_be_usd1s()) {
            Some(code) => match anchor_error_from_code(code) {
                Some(error) => write!(f, "{}: {}", error.name(), error),
                None => write!(f, "{}", self.error),
            },
            None => write!(f, "{}", self.error),
        }
    }
}

/// The Anchor framework errors an account check of this program can raise.
const ANCHOR_ERRORS: &[AnchorError] = &[
    AnchorError::ConstraintMut,
    AnchorError::ConstraintHasOne,
    AnchorError::ConstraintSigner,
    AnchorError::ConstraintRaw,
    AnchorError::ConstraintOwner,
    AnchorError::ConstraintSeeds,
    AnchorError::ConstraintAddress,
    AnchorError::ConstraintTokenMint,
    AnchorError::ConstraintTokenOwner,
    AnchorError::ConstraintTokenTokenProgram,
    AnchorError::ConstraintDuplicateMutableAccount,
    AnchorError::InstructionMissing,
    AnchorError::InstructionFallbackNotFound,
    AnchorError::InstructionDidNotDeserialize,
    AnchorError::AccountDiscriminatorNotFound,
    AnchorError::AccountDiscriminatorMismatch,
    AnchorError::AccountDidNotDeserialize,
    AnchorError::AccountNotEnoughKeys,
    AnchorError::AccountNotMutable,
    AnchorError::AccountOwnedByWrongProgram,
    AnchorError::InvalidProgramId,
    AnchorError::AccountNotSigner,
    AnchorError::AccountNotSystemOwned,
    AnchorError::AccountNotInitialized,
    AnchorError::DeclaredProgramIdMismatch,
];

/// The Anchor framework error with this code, if it is one of those above.
pub fn anchor_error_from_code(code: u32) -> Option<AnchorError> {
    ANCHOR_ERRORS
        .iter()
        .copied()
        .find(|e| u32::from(*e) == code)
}

/// Every `Usd1Error`, in code order (code = 6000 + index): the program's own list.
pub use usd1::errors::ALL_ERRORS as ALL_USD1_ERRORS;

/// The `Usd1Error` with this code, if it is one.
pub fn usd1_error_from_code(code: u32) -> Option<Usd1Error> {
    let index = code.checked_sub(anchor_lang::error::ERROR_CODE_OFFSET)?;
    ALL_USD1_ERRORS.get(usize::try_from(index).ok()?).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_table_matches_the_program_codes() {
        for (i, error) in ALL_USD1_ERRORS.iter().enumerate() {
            assert_eq!(u32::from(*error), 6000 + i as u32, "{}", error.name());
            assert_eq!(usd1_error_from_code(u32::from(*error)), Some(*error));
        }
        assert_eq!(usd1_error_from_code(5999), None);
        assert_eq!(
            usd1_error_from_code(6000 + ALL_USD1_ERRORS.len() as u32),
            None
        );
    }

    #[test]
    fn failures_are_named_by_their_error() {
        use solana_sdk::instruction::InstructionError;
        let failure = Failure::new(TransactionError::InstructionError(
            0,
            InstructionError::Custom(3012),
        ));
        assert_eq!(
            failure.to_string(),
            "AccountNotInitialized: The program expected this account to be already initialized"
        );
        let failure = Failure::new(TransactionError::InstructionError(
            1,
            InstructionError::Custom(6041),
        ));
        assert_eq!(
            failure.to_string(),
            "ReserveExceeded: The mint would put supply above the margin-adjusted attested reserve"
        );
        // Nobody said which program raised 17: no guess.
        let failure = Failure::new(TransactionError::InstructionError(
            0,
            InstructionError::Custom(17),
        ));
        assert_eq!(
            failure.to_string(),
            TransactionError::InstructionError(0, InstructionError::Custom(17)).to_string()
        );
    }

    /// The logs of a USD1 instruction whose CPI into `program` failed with `code`.
    fn cpi_failure_logs(program: &Pubkey, code: u32) -> Vec<String> {
        vec![
            format!("Program {} invoke [1]", usd1::ID),
            format!("Program {program} invoke [2]"),
            format!("Program {program} failed: custom program error: {code:#x}"),
            format!(
                "Program {} failed: custom program error: {code:#x}",
                usd1::ID
            ),
        ]
    }

    #[test]
    fn custom_codes_are_named_by_the_program_that_raised_them() {
        let error = |code| TransactionError::InstructionError(0, InstructionError::Custom(code));
        let message = Message::new(&[], None);
        for token in [crate::TOKEN_PROGRAM_ID, crate::TOKEN_2022_PROGRAM_ID] {
            let failure = Failure::located(error(17), &cpi_failure_logs(&token, 17), &message);
            assert_eq!(failure.program, Some(token));
            assert_eq!(failure.token_error(), Some(TokenError::AccountFrozen));
            assert_eq!(failure.to_string(), "AccountFrozen: Account is frozen");
            let failure = Failure::located(error(1), &cpi_failure_logs(&token, 1), &message);
            assert_eq!(failure.to_string(), "InsufficientFunds: Insufficient funds");
        }
        // The same code from the system program is another error.
        let system = solana_system_interface::program::ID;
        let failure = Failure::located(error(0), &cpi_failure_logs(&system, 0), &message);
        assert_eq!(
            failure.to_string(),
            "AccountAlreadyInUse: an account with the same address already exists"
        );
        assert_eq!(failure.usd1_error(), None);
        // A USD1 code is USD1's only when USD1 raised it.
        let failure = Failure::located(error(6000), &cpi_failure_logs(&usd1::ID, 6000), &message);
        assert!(failure.is(Usd1Error::NotAdmin));
        let stranger = Pubkey::new_unique();
        let failure = Failure::located(error(6000), &cpi_failure_logs(&stranger, 6000), &message);
        assert_eq!(failure.usd1_error(), None);
        assert_eq!(failure.to_string(), error(6000).to_string());
    }

    #[test]
    fn without_logs_the_failing_instruction_names_the_program() {
        let owner = Pubkey::new_unique();
        let transfer = anchor_spl::token_2022::spl_token_2022::instruction::transfer_checked(
            &crate::TOKEN_2022_PROGRAM_ID,
            &Pubkey::new_unique(),
            &Pubkey::new_unique(),
            &Pubkey::new_unique(),
            &owner,
            &[],
            1,
            6,
        )
        .unwrap();
        let message = Message::new(&[transfer], Some(&owner));
        let failure = Failure::located(
            TransactionError::InstructionError(0, InstructionError::Custom(17)),
            &[],
            &message,
        );
        assert_eq!(failure.to_string(), "AccountFrozen: Account is frozen");
    }
}
