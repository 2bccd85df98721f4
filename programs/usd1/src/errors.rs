//! Every way the program refuses: one variant per failure, never reordered (codes are public).
use anchor_lang::prelude::*;

#[error_code]
#[derive(PartialEq, Eq)]
pub enum Usd1Error {
    // --- roles and signers ---
    #[msg("The signer is not the admin")]
    NotAdmin,
    #[msg("The signer is not the pending admin")]
    NotPendingAdmin,
    #[msg("The signer is not the pauser")]
    NotPauser,
    #[msg("The signer is not the freezer")]
    NotFreezer,
    #[msg("The signer is not the treasurer")]
    NotTreasurer,
    #[msg("The signer is not this minter")]
    NotMinter,
    #[msg("A role cannot be given to the default (all-zero) public key")]
    DefaultPubkey,
    #[msg("The change would leave the setting as it already is")]
    NoChange,
    // --- accounts ---
    #[msg("The account belongs to another mint")]
    WrongMint,
    #[msg("The token program is not the one this mint was created with")]
    WrongTokenProgram,
    #[msg("The account belongs to another config")]
    WrongConfig,
    #[msg("The instructions sysvar account is not the real one")]
    WrongInstructionsSysvar,
    #[msg("The token account is not owned by the signer")]
    WrongTokenOwner,
    // --- initialize ---
    #[msg("Decimals must be at most 18")]
    InvalidDecimals,
    #[msg("Token name is too long")]
    NameTooLong,
    #[msg("Token symbol is too long")]
    SymbolTooLong,
    #[msg("Token URI is too long")]
    UriTooLong,
    // --- policy ---
    #[msg("Attestor set must hold between 1 and 8 keys")]
    InvalidAttestorCount,
    #[msg("Attestor keys must be distinct")]
    DuplicateAttestor,
    #[msg("Threshold must be between 1 and the number of attestors")]
    InvalidThreshold,
    #[msg("Maximum attestation age must be between 1 second and 31 days")]
    InvalidMaxAge,
    #[msg("Margin must be at most 10000 basis points")]
    InvalidMargin,
    // --- attestation ---
    #[msg("No Ed25519 signature instruction precedes the attestation")]
    MissingEd25519Instruction,
    #[msg("The Ed25519 instruction is malformed")]
    MalformedEd25519Instruction,
    #[msg("An Ed25519 signature offset points outside its own instruction")]
    Ed25519OffsetOutsideInstruction,
    #[msg("A signature covers bytes other than this attestation's digest")]
    AttestationMessageMismatch,
    #[msg("A signature is by a key that is not a registered attestor")]
    UnknownAttestor,
    #[msg("The same attestor signed more than once")]
    DuplicateSignature,
    #[msg("Fewer registered attestors signed than the threshold requires")]
    ThresholdNotMet,
    #[msg("No attestors are registered yet")]
    NoAttestors,
    #[msg("Attestation sequence number must be exactly the latest plus one")]
    InvalidSequence,
    #[msg("Attestation as_of must be newer than the latest attestation")]
    AttestationNotNewer,
    #[msg("Attestation as_of lies too far in the future")]
    AttestationInFuture,
    // --- mint gate ---
    #[msg("The token is paused")]
    Paused,
    #[msg("The token is not paused")]
    NotPaused,
    #[msg("The token is already paused")]
    AlreadyPaused,
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("The minter is disabled")]
    MinterDisabled,
    #[msg("The amount exceeds the minter's remaining allowance")]
    AllowanceExceeded,
    #[msg("No reserve attestation has been recorded yet")]
    NoAttestation,
    #[msg("The latest reserve attestation is older than the maximum age")]
    StaleAttestation,
    #[msg("The mint would put supply above the margin-adjusted attested reserve")]
    ReserveExceeded,
    #[msg("Arithmetic overflow")]
    Overflow,
    #[msg("The mint's supply did not move by the minted amount")]
    SupplyMismatch,
    #[msg("This instruction takes no extra accounts")]
    UnexpectedRemainingAccounts,
    // --- redemption, disclosure and compliance options (appended; codes are public) ---
    #[msg("The not-insured statement must be the program's own")]
    StatementAltered,
    #[msg("The amount is below the disclosed minimum redemption")]
    BelowMinimumRedemption,
    #[msg("The holder's token account is frozen")]
    HolderFrozen,
    #[msg("The redemption is not pending")]
    RedemptionNotPending,
    #[msg("Refunds go back to the token account the tokens came from")]
    WrongRefundAccount,
    #[msg("The escrow holds less than the pending redemptions")]
    EscrowShortfall,
    #[msg("Transfers are paused by the token's Pausable extension")]
    TransfersPaused,
    #[msg("Compliance options need the Token-2022 program")]
    OptionsRequireToken2022,
    #[msg("Seizure needs the permanent-delegate option chosen at initialize")]
    SeizeNotEnabled,
    #[msg("The redemption escrow cannot be seized from")]
    EscrowProtected,
    #[msg("The destination token account is frozen")]
    DestinationFrozen,
    #[msg("Legal name is empty or too long")]
    InvalidLegalName,
    #[msg("A disclosure URI is empty or too long")]
    InvalidDisclosureUri,
    #[msg("Redemption fee exceeds the program's limit")]
    FeeTooHigh,
    #[msg("Settlement target must be between 1 second and 30 days")]
    InvalidSettlementTarget,
    // --- money-safety fixes (appended; codes are public) ---
    #[msg("The redemption escrow cannot be frozen")]
    EscrowNotFreezable,
    #[msg("The latest attestation was retired with the attestor set that signed it; mints wait for the new set's first attestation")]
    AttestationRetired,
    #[msg("The refund account can no longer hold this token; refund to the holder's associated token account")]
    RefundAccountUnusable,
    #[msg("The memo program account is not the SPL Memo program")]
    WrongMemoProgram,
    // --- independent attestors (appended; codes are public) ---
    #[msg("The attestation's as_of is older than the policy's maximum submission delay; its signatures have expired")]
    AttestationExpired,
    #[msg("Max submission delay must be between 1 second and one day")]
    InvalidSubmissionDelay,
    // --- issuer operations (appended; codes are public) ---
    #[msg("The amount exceeds the minter's rate-limited capacity; it refills over its window")]
    MintRateExceeded,
    #[msg("A rate limit needs both a window (at most 30 days) and a cap, or neither")]
    InvalidRateLimit,
    #[msg("There is no pending admin proposal to cancel")]
    NoAdminProposal,
    #[msg("The redemption fee would exceed the amount redeemed")]
    FeeExceedsAmount,
    #[msg("The config books no pending redemption to close")]
    NoPendingRedemptions,
    #[msg("The config books more pending redemptions than were ever requested")]
    PendingExceedsRequested,
    #[msg("The config's pending redemptions and escrowed amount disagree")]
    EscrowBookMismatch,
    #[msg("An attestation must be a top-level instruction of its transaction, not a cross-program invocation")]
    AttestationViaCpi,
    #[msg("The escrow account is not this config's redemption escrow")]
    WrongEscrow,
    #[msg("The bump given for a new account is not the canonical bump of its address")]
    NonCanonicalBump,
    #[msg("The address of an account to create is already an account")]
    AccountInUse,
}

/// Every error, in code order (code = 6000 + index): what clients decode
/// codes with. A new variant goes at the end of the enum and of this list;
/// `tests/tests/house/idl.rs` fails when the two drift from the IDL.
pub const ALL_ERRORS: &[Usd1Error] = &[
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
    Usd1Error::AttestationExpired,
    Usd1Error::InvalidSubmissionDelay,
    Usd1Error::MintRateExceeded,
    Usd1Error::InvalidRateLimit,
    Usd1Error::NoAdminProposal,
    Usd1Error::FeeExceedsAmount,
    Usd1Error::NoPendingRedemptions,
    Usd1Error::PendingExceedsRequested,
    Usd1Error::EscrowBookMismatch,
    Usd1Error::AttestationViaCpi,
    Usd1Error::WrongEscrow,
    Usd1Error::NonCanonicalBump,
    Usd1Error::AccountInUse,
];
