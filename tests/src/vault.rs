//! A test-only program standing in for a multisig vault: what a Squads vault
//! is to USD1 — an address no key holds, a PDA of another program, which
//! signs by `invoke_signed`. Its one instruction forwards a USD1 instruction
//! with the vault PDA (`["vault"]`) signing. Registered beside USD1 in the
//! fixture's runtime, never deployed anywhere.
use anchor_lang::solana_program::account_info::AccountInfo;
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::program::invoke_signed;
use anchor_lang::solana_program::program_error::ProgramError;
use solana_sdk::pubkey::Pubkey;

/// The vault program's id (not a real deployment's).
pub const ID: Pubkey = Pubkey::new_from_array(*b"usd1-test-vault-program-00000001");

const SEED: &[u8] = b"vault";

/// The vault: the PDA that holds USD1 roles in the tests.
pub fn address() -> Pubkey {
    Pubkey::find_program_address(&[SEED], &ID).0
}

/// `ix` (a USD1 instruction naming the vault as a signer), sent through the
/// vault program: the outer transaction carries no signature for the vault.
pub fn through_vault(ix: Instruction) -> Instruction {
    let vault = address();
    let mut accounts = vec![AccountMeta::new_readonly(ix.program_id, false)];
    accounts.extend(ix.accounts.into_iter().map(|mut meta| {
        if meta.pubkey == vault {
            meta.is_signer = false;
        }
        meta
    }));
    Instruction {
        program_id: ID,
        accounts,
        data: ix.data,
    }
}

/// Forwards the instruction: accounts[0] is the target program, the rest its
/// accounts (the vault among them, signed for here); data is its data.
pub fn process(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let (vault, bump) = Pubkey::find_program_address(&[SEED], program_id);
    let (target, rest) = accounts
        .split_first()
        .ok_or(ProgramError::NotEnoughAccountKeys)?;
    let ix = Instruction {
        program_id: *target.key,
        accounts: rest
            .iter()
            .map(|a| AccountMeta {
                pubkey: *a.key,
                is_signer: a.is_signer || *a.key == vault,
                is_writable: a.is_writable,
            })
            .collect(),
        data: data.to_vec(),
    };
    invoke_signed(&ix, accounts, &[&[SEED, &[bump]]])
}
