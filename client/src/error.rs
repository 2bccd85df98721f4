//! Client errors, and `Failure`: why the chain refused a transaction, named by
//! the program error where there is one.
use std::fmt;

use anchor_lang::error::ErrorCode as AnchorError;
use solana_sdk::instruction::InstructionError;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::transaction::TransactionError;
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
}

impl ClientError {
    /// The on-chain failure, if the chain refused the transaction.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Self::Failed { failure, .. } => Some(failure),
            _ => None,
        }
    }
}

/// Why a transaction failed, as the runtime reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure(pub TransactionError);

impl Failure {
    /// The custom error code of the failing instruction, if any.
    pub fn custom_code(&self) -> Option<u32> {
        match &self.0 {
            TransactionError::InstructionError(_, InstructionError::Custom(code)) => Some(*code),
            _ => None,
        }
    }

    /// The program's own error, when the code is one of `Usd1Error`'s.
    pub fn usd1_error(&self) -> Option<Usd1Error> {
        usd1_error_from_code(self.custom_code()?)
    }

    /// True when the failure is exactly `error`.
    pub fn is(&self, error: Usd1Error) -> bool {
        self.custom_code() == Some(u32::from(error))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.usd1_error() {
            Some(error) => write!(f, "{}: {}", error.name(), error),
            None => match self.custom_code() {
                Some(code) => match anchor_error_from_code(code) {
                    Some(error) => write!(f, "{}: {}", error.name(), error),
                    None => write!(f, "{}", self.0),
                },
                None => write!(f, "{}", self.0),
            },
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

/// Every `Usd1Error`, in code order (code = 6000 + index).
pub const ALL_USD1_ERRORS: &[Usd1Error] = &[
    Usd1Error::NotAdmin,
    Usd1Error::NotPendingAdmin,
    Usd1Error::NotPauser,
    Usd1Error::NotFreezer,
    Usd1Error::NotTreasurer,
    Usd1Error::NotMinter,
    Usd1Error::DefaultPubkey,
    Usd1Error::NoChange,
    Usd1Error::WrongMint,
    Usd1Error::WrongTokenProgram,
    Usd1Error::WrongConfig,
    Usd1Error::WrongInstructionsSysvar,
    Usd1Error::WrongTokenOwner,
    Usd1Error::InvalidDecimals,
    Usd1Error::NameTooLong,
    Usd1Error::SymbolTooLong,
    Usd1Error::UriTooLong,
    Usd1Error::InvalidAttestorCount,
    Usd1Error::DuplicateAttestor,
    Usd1Error::InvalidThreshold,
    Usd1Error::InvalidMaxAge,
    Usd1Error::InvalidMargin,
    Usd1Error::MissingEd25519Instruction,
    Usd1Error::MalformedEd25519Instruction,
    Usd1Error::Ed25519OffsetOutsideInstruction,
    Usd1Error::AttestationMessageMismatch,
    Usd1Error::UnknownAttestor,
    Usd1Error::DuplicateSignature,
    Usd1Error::ThresholdNotMet,
    Usd1Error::NoAttestors,
    Usd1Error::InvalidSequence,
    Usd1Error::AttestationNotNewer,
    Usd1Error::AttestationInFuture,
    Usd1Error::Paused,
    Usd1Error::NotPaused,
    Usd1Error::AlreadyPaused,
    Usd1Error::ZeroAmount,
    Usd1Error::MinterDisabled,
    Usd1Error::AllowanceExceeded,
    Usd1Error::NoAttestation,
    Usd1Error::StaleAttestation,
    Usd1Error::ReserveExceeded,
    Usd1Error::Overflow,
    Usd1Error::SupplyMismatch,
    Usd1Error::UnexpectedRemainingAccounts,
    Usd1Error::StatementAltered,
    Usd1Error::BelowMinimumRedemption,
    Usd1Error::HolderFrozen,
    Usd1Error::RedemptionNotPending,
    Usd1Error::WrongRefundAccount,
    Usd1Error::EscrowShortfall,
    Usd1Error::TransfersPaused,
    Usd1Error::OptionsRequireToken2022,
    Usd1Error::SeizeNotEnabled,
    Usd1Error::EscrowProtected,
    Usd1Error::DestinationFrozen,
    Usd1Error::InvalidLegalName,
    Usd1Error::InvalidDisclosureUri,
    Usd1Error::FeeTooHigh,
    Usd1Error::InvalidSettlementTarget,
    Usd1Error::EscrowNotFreezable,
    Usd1Error::AttestationRetired,
    Usd1Error::RefundAccountUnusable,
    Usd1Error::WrongMemoProgram,
];

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
        let failure = Failure(TransactionError::InstructionError(
            0,
            InstructionError::Custom(3012),
        ));
        assert_eq!(
            failure.to_string(),
            "AccountNotInitialized: The program expected this account to be already initialized"
        );
        let failure = Failure(TransactionError::InstructionError(
            1,
            InstructionError::Custom(6041),
        ));
        assert_eq!(
            failure.to_string(),
            "ReserveExceeded: The mint would put supply above the margin-adjusted attested reserve"
        );
        let failure = Failure(TransactionError::InstructionError(
            0,
            InstructionError::Custom(17),
        ));
        assert_eq!(
            failure.to_string(),
            TransactionError::InstructionError(0, InstructionError::Custom(17)).to_string()
        );
    }
}
