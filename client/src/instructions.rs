//! One typed builder per program instruction. Nothing else in the workspace
//! assembles a USD1 instruction by hand.
use anchor_lang::{InstructionData, ToAccountMetas};
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use usd1::instructions::{
    AttestArgs, BurnArgs, DisclosureArgs, InitializeArgs, LawfulBasis, MintToArgs, PolicyArgs,
    ProposeAdminArgs, RejectRedemptionArgs, RequestRedemptionArgs, SeizeArgs, SetAttestorsArgs,
    SetRoleArgs, SettleRedemptionArgs,
};
use usd1::state::Role;

use crate::pda;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: usd1::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

fn event_authority() -> Pubkey {
    pda::event_authority()
}

/// Creates `mint` (which must sign) with its Config; `admin` pays and becomes admin.
pub fn initialize(
    admin: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
    args: InitializeArgs,
) -> Instruction {
    let config = pda::config(mint);
    build(
        usd1::accounts::Initialize {
            admin: *admin,
            mint: *mint,
            config,
            history: pda::attestation_history(&config),
            escrow: pda::escrow(&config),
            token_program: *token_program,
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::Initialize { args },
    )
}

/// Withdraws the pending admin proposal.
pub fn cancel_admin_proposal(admin: &Pubkey, mint: &Pubkey) -> Instruction {
    build(
        usd1::accounts::CancelAdminProposal {
            admin: *admin,
            config: pda::config(mint),
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::CancelAdminProposal {},
    )
}

pub fn propose_admin(admin: &Pubkey, mint: &Pubkey, proposed: &Pubkey) -> Instruction {
    build(
        usd1::accounts::ProposeAdmin {
            admin: *admin,
            config: pda::config(mint),
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::ProposeAdmin {
            args: ProposeAdminArgs {
                proposed: *proposed,
            },
        },
    )
}

pub fn accept_admin(pending_admin: &Pubkey, mint: &Pubkey) -> Instruction {
    build(
        usd1::accounts::AcceptAdmin {
            pending_admin: *pending_admin,
            config: pda::config(mint),
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::AcceptAdmin {},
    )
}

pub fn set_role(admin: &Pubkey, mint: &Pubkey, role: Role, holder: &Pubkey) -> Instruction {
    build(
        usd1::accounts::SetRole {
            admin: *admin,
            config: pda::config(mint),
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::SetRole {
            args: SetRoleArgs {
                role,
                holder: *holder,
            },
        },
    )
}

/// Enables `minter` with an allowance and rate limit (creates its allowance
/// account on first use).
pub fn configure_minter(
    admin: &Pubkey,
    mint: &Pubkey,
    minter: &Pubkey,
    args: usd1::instructions::ConfigureMinterArgs,
) -> Instruction {
    let config = pda::config(mint);
    let (minter_allowance, allowance_bump) = pda::minter_allowance_and_bump(&config, minter);
    build(
        usd1::accounts::ConfigureMinter {
            admin: *admin,
            config,
            minter: *minter,
            minter_allowance,
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::ConfigureMinter {
            args,
            allowance_bump,
        },
    )
}

pub fn remove_minter(admin: &Pubkey, mint: &Pubkey, minter: &Pubkey) -> Instruction {
    let config = pda::config(mint);
    build(
        usd1::accounts::RemoveMinter {
            admin: *admin,
            config,
            minter_allowance: pda::minter_allowance(&config, minter),
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::RemoveMinter {},
    )
}

/// Replaces the attestor set; the live attestation is retired (no mint
/// against it until the new set attests) unless `keep_latest`.
pub fn set_attestors(
    admin: &Pubkey,
    mint: &Pubkey,
    attestors: Vec<Pubkey>,
    threshold: u8,
    keep_latest: bool,
) -> Instruction {
    build(
        usd1::accounts::SetAttestors {
            admin: *admin,
            config: pda::config(mint),
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::SetAttestors {
            args: SetAttestorsArgs {
                attestors,
                threshold,
                keep_latest,
            },
        },
    )
}

pub fn set_policy(admin: &Pubkey, mint: &Pubkey, args: PolicyArgs) -> Instruction {
    build(
        usd1::accounts::SetPolicy {
            admin: *admin,
            config: pda::config(mint),
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::SetPolicy { args },
    )
}

/// The `attest` instruction alone; it must directly follow its Ed25519
/// instruction (see [`crate::attestation::attest_instructions`]).
pub fn attest(mint: &Pubkey, args: AttestArgs) -> Instruction {
    let config = pda::config(mint);
    build(
        usd1::accounts::Attest {
            config,
            history: pda::attestation_history(&config),
            instructions: solana_sdk::sysvar::instructions::ID,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::Attest { args },
    )
}

/// Mints `amount` base units to the token account `destination`.
pub fn mint_to(
    minter: &Pubkey,
    mint: &Pubkey,
    destination: &Pubkey,
    token_program: &Pubkey,
    amount: u64,
) -> Instruction {
    let config = pda::config(mint);
    build(
        usd1::accounts::MintTo {
            minter: *minter,
            config,
            minter_allowance: pda::minter_allowance(&config, minter),
            mint: *mint,
            destination: *destination,
            token_program: *token_program,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::MintTo {
            args: MintToArgs { amount },
        },
    )
}

/// Burns `amount` base units from the minter's own token account `source`.
pub fn burn(
    minter: &Pubkey,
    mint: &Pubkey,
    source: &Pubkey,
    token_program: &Pubkey,
    amount: u64,
) -> Instruction {
    let config = pda::config(mint);
    build(
        usd1::accounts::Burn {
            minter: *minter,
            config,
            minter_allowance: pda::minter_allowance(&config, minter),
            mint: *mint,
            source: *source,
            token_program: *token_program,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::Burn {
            args: BurnArgs { amount },
        },
    )
}

pub fn freeze(
    freezer: &Pubkey,
    mint: &Pubkey,
    token_account: &Pubkey,
    token_program: &Pubkey,
    basis: LawfulBasis,
) -> Instruction {
    build(
        usd1::accounts::FreezeOrThaw {
            freezer: *freezer,
            config: pda::config(mint),
            mint: *mint,
            token_account: *token_account,
            token_program: *token_program,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::Freeze { args: basis },
    )
}

pub fn thaw(
    freezer: &Pubkey,
    mint: &Pubkey,
    token_account: &Pubkey,
    token_program: &Pubkey,
    basis: LawfulBasis,
) -> Instruction {
    build(
        usd1::accounts::FreezeOrThaw {
            freezer: *freezer,
            config: pda::config(mint),
            mint: *mint,
            token_account: *token_account,
            token_program: *token_program,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::Thaw { args: basis },
    )
}

pub fn pause(pauser: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Instruction {
    build(
        usd1::accounts::PauseOrUnpause {
            pauser: *pauser,
            config: pda::config(mint),
            mint: *mint,
            token_program: *token_program,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::Pause {},
    )
}

pub fn unpause(pauser: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Instruction {
    build(
        usd1::accounts::PauseOrUnpause {
            pauser: *pauser,
            config: pda::config(mint),
            mint: *mint,
            token_program: *token_program,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::Unpause {},
    )
}

pub fn set_disclosure(admin: &Pubkey, mint: &Pubkey, args: DisclosureArgs) -> Instruction {
    let config = pda::config(mint);
    let (disclosure, disclosure_bump) = pda::disclosure_and_bump(&config);
    build(
        usd1::accounts::SetDisclosure {
            admin: *admin,
            config,
            disclosure,
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::SetDisclosure {
            args,
            disclosure_bump,
        },
    )
}

/// Escrows `amount` base units from the holder's token account `source` as
/// redemption request `id` (which must be the Config's `next_redemption_id`).
pub fn request_redemption(
    holder: &Pubkey,
    mint: &Pubkey,
    source: &Pubkey,
    token_program: &Pubkey,
    id: u64,
    amount: u64,
    payout_ref_sha256: [u8; 32],
) -> Instruction {
    let config = pda::config(mint);
    let (redemption, redemption_bump) = pda::redemption_and_bump(&config, id);
    build(
        usd1::accounts::RequestRedemption {
            holder: *holder,
            config,
            disclosure: pda::disclosure(&config),
            mint: *mint,
            source: *source,
            escrow: pda::escrow(&config),
            redemption,
            token_program: *token_program,
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::RequestRedemption {
            args: RequestRedemptionArgs {
                amount,
                payout_ref_sha256,
            },
            redemption_bump,
        },
    )
}

pub fn settle_redemption(
    treasurer: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
    id: u64,
    settlement_ref_sha256: [u8; 32],
) -> Instruction {
    let config = pda::config(mint);
    build(
        usd1::accounts::SettleRedemption {
            treasurer: *treasurer,
            config,
            mint: *mint,
            escrow: pda::escrow(&config),
            redemption: pda::redemption(&config, id),
            token_program: *token_program,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::SettleRedemption {
            args: SettleRedemptionArgs {
                settlement_ref_sha256,
            },
        },
    )
}

/// Rejects request `id` of `holder`, refunding `refund_to`: the token account
/// the tokens came from, or the holder's associated token account when that
/// one can no longer hold them (the program creates it if missing, the
/// treasurer paying).
pub fn reject_redemption(
    treasurer: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
    id: u64,
    holder: &Pubkey,
    refund_to: &Pubkey,
    reason_code: u16,
) -> Instruction {
    let config = pda::config(mint);
    build(
        usd1::accounts::RejectRedemption {
            treasurer: *treasurer,
            config,
            mint: *mint,
            escrow: pda::escrow(&config),
            redemption: pda::redemption(&config, id),
            refund_to: *refund_to,
            holder: *holder,
            token_program: *token_program,
            associated_token_program: anchor_spl::associated_token::ID,
            system_program: anchor_lang::system_program::ID,
            memo_program: MEMO_PROGRAM_ID,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::RejectRedemption {
            args: RejectRedemptionArgs { reason_code },
        },
    )
}

/// Moves `amount` base units from token account `from` to `to` (permanent-delegate mints).
pub fn seize(
    admin: &Pubkey,
    mint: &Pubkey,
    from: &Pubkey,
    to: &Pubkey,
    token_program: &Pubkey,
    amount: u64,
    basis: LawfulBasis,
) -> Instruction {
    build(
        usd1::accounts::Seize {
            admin: *admin,
            config: pda::config(mint),
            mint: *mint,
            from: *from,
            to: *to,
            token_program: *token_program,
            event_authority: event_authority(),
            program: usd1::ID,
        },
        usd1::instruction::Seize {
            args: SeizeArgs {
                amount,
                reason_code: basis.reason_code,
                order_sha256: basis.order_sha256,
            },
        },
    )
}

/// A holder's plain token transfer between associated token accounts (a
/// wallet's transfer: USD1's program is not involved).
pub fn transfer(
    owner: &Pubkey,
    mint: &Pubkey,
    recipient: &Pubkey,
    token_program: &Pubkey,
    amount: u64,
    decimals: u8,
) -> Result<Instruction, crate::ClientError> {
    multisig_transfer(owner, &[], mint, recipient, token_program, amount, decimals)
}

/// [`transfer`] from the associated account of `owner`, an SPL Token
/// multisig account when `signers` (its signing members) are given.
pub fn multisig_transfer(
    owner: &Pubkey,
    signers: &[Pubkey],
    mint: &Pubkey,
    recipient: &Pubkey,
    token_program: &Pubkey,
    amount: u64,
    decimals: u8,
) -> Result<Instruction, crate::ClientError> {
    let signers: Vec<&Pubkey> = signers.iter().collect();
    anchor_spl::token_2022::spl_token_2022::instruction::transfer_checked(
        token_program,
        &pda::associated_token_account(owner, mint, token_program),
        mint,
        &pda::associated_token_account(recipient, mint, token_program),
        owner,
        &signers,
        amount,
        decimals,
    )
    .map_err(|_| crate::ClientError::Decode {
        address: *token_program,
        kind: "token program",
        reason: "neither SPL Token nor Token-2022".into(),
    })
}

/// Appends Solana Pay references to a transfer: read-only, non-signing keys
/// the token program ignores and `getSignaturesForAddress` indexes.
pub fn add_references(transfer: &mut Instruction, references: &[Pubkey]) {
    transfer.accounts.extend(
        references
            .iter()
            .map(|r| solana_sdk::instruction::AccountMeta::new_readonly(*r, false)),
    );
}

/// The SPL Memo program (v3).
pub use usd1::constants::MEMO_PROGRAM_ID;

/// The runtime's Compute Budget program.
pub const COMPUTE_BUDGET_PROGRAM_ID: Pubkey =
    solana_sdk::pubkey!("ComputeBudget111111111111111111111111111111");

/// The most compute units a transaction may ask for.
pub const MAX_COMPUTE_UNIT_LIMIT: u32 = 1_400_000;

/// `SetComputeUnitLimit(units)`: the transaction's compute budget.
pub fn compute_unit_limit(units: u32) -> Instruction {
    let mut data = vec![2];
    data.extend_from_slice(&units.to_le_bytes());
    Instruction {
        program_id: COMPUTE_BUDGET_PROGRAM_ID,
        accounts: vec![],
        data,
    }
}

/// `SetComputeUnitPrice(micro_lamports)`: the priority fee per compute unit.
pub fn compute_unit_price(micro_lamports: u64) -> Instruction {
    let mut data = vec![3];
    data.extend_from_slice(&micro_lamports.to_le_bytes());
    Instruction {
        program_id: COMPUTE_BUDGET_PROGRAM_ID,
        accounts: vec![],
        data,
    }
}

/// A memo (UTF-8 text) on the transaction, signed by `signer`.
pub fn memo(text: &str, signer: &Pubkey) -> Instruction {
    Instruction {
        program_id: MEMO_PROGRAM_ID,
        accounts: vec![solana_sdk::instruction::AccountMeta::new_readonly(
            *signer, true,
        )],
        data: text.as_bytes().to_vec(),
    }
}

/// Creates `owner`'s associated token account for `mint` if it does not exist yet.
pub fn create_associated_token_account(
    payer: &Pubkey,
    owner: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent(
        payer,
        owner,
        mint,
        token_program,
    )
}

#[cfg(test)]
mod tests;
