//! The accounts the program creates: in `initialize` the mint, the Config,
//! the history and the escrow; after it a minter's allowance, the
//! disclosure, a redemption record, each at the bump its caller passes.
//!
//! Anchor's `init` searches the canonical bump with `find_program_address`,
//! 1,500 CU for every bump it tries (an `init_if_needed` on every call), and
//! on agave 3.1 it cannot create an account whose address already holds
//! lamports (it asks for the system program's `CreateAccountAllowPrefund`,
//! which 3.1 does not know), so anyone could block the next redemption, or an
//! `initialize` seen in flight, by sending rent to the predictable address.
//! After `initialize` the caller passes the bump; the instruction's
//! `seeds = [..], bump = bump` checks that it derives the account's address
//! (one `create_program_address`), [`create`] shows that no higher bump does,
//! so every account is still at the one address clients derive; and [`make`]
//! makes every account whether or not its address was funded first.
use std::cell::RefMut;

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::program::invoke_signed;
use anchor_lang::system_program;
use anchor_lang::{Discriminator, ZeroCopy};
use solana_curve25519::edwards::{validate_edwards, PodEdwardsPoint};

use crate::errors::Usd1Error;

/// What `create_program_address` hashes after the seeds and the program id.
const PDA_MARKER: &[u8] = b"ProgramDerivedAddress";

/// Every byte value, so that a bump can be named by a `'static` slice.
const BYTES: [u8; 256] = {
    let mut bytes = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        bytes[i] = i as u8;
        i += 1;
    }
    bytes
};

/// Whether the hash of `parts` (seeds, bump, program id, marker) is an
/// address: one when it is not a point of the curve. The same hash and test
/// as `create_program_address`, for about a quarter of its units (one
/// `sol_sha256` and one `sol_curve_validate_point`, where the runtime
/// charges 1,500 for the call).
fn is_address(parts: &[&[u8]]) -> bool {
    let hash = solana_sha256_hasher::hashv(parts);
    !validate_edwards(&PodEdwardsPoint(hash.to_bytes()))
}

/// Refuses `bump` unless it is the canonical one of `seeds`, the one
/// `find_program_address` finds: no higher bump derives an address. The
/// parts hashed are laid out once; each higher bump replaces one of them.
pub fn require_canonical(seeds: &[&[u8]], bump: u8) -> Result<()> {
    if bump == u8::MAX {
        // No higher bump; half of all seeds end here.
        return Ok(());
    }
    let mut parts: Vec<&[u8]> = Vec::with_capacity(seeds.len().saturating_add(3));
    parts.extend_from_slice(seeds);
    parts.extend_from_slice(&[&[], crate::ID.as_ref(), PDA_MARKER]);
    let slot = seeds.len();
    for candidate in BYTES
        .get(usize::from(bump).saturating_add(1)..)
        .unwrap_or_default()
    {
        parts[slot] = core::slice::from_ref(candidate);
        require!(!is_address(&parts), Usd1Error::NonCanonicalBump);
    }
    Ok(())
}

/// The accounts that create one: who pays and the new account (its address
/// already checked). The instruction must also take the system program
/// (`Program<'info, System>`), which the runtime finds among its accounts.
pub struct NewAccount<'a, 'info> {
    pub payer: &'a AccountInfo<'info>,
    pub account: &'a AccountInfo<'info>,
}

/// Makes `new.account`, at the PDA of `seeds` and the canonical `bump`, a
/// `space`-byte account of this program, the payer funding its rent (see
/// [`make`]).
pub fn create(new: &NewAccount<'_, '_>, seeds: &[&[u8]], bump: u8, space: usize) -> Result<()> {
    require_canonical(seeds, bump)?;
    let bump = [bump];
    let mut signer: Vec<&[u8]> = Vec::with_capacity(seeds.len().saturating_add(1));
    signer.extend_from_slice(seeds);
    signer.push(&bump);
    make(new, space, space, &crate::ID, &[&signer[..]])
}

/// Makes `new.account` a `space`-byte account owned by `owner`, the payer
/// funding rent for `funded_len` bytes, the account signing by `signer` (its
/// seeds; none for a keypair that signs the transaction): one
/// `CreateAccount` when its address holds nothing, else a top-up, `Allocate`
/// and `Assign`, so lamports sent there first cannot block it. An address
/// that is already an account (of this program or any other) is refused with
/// `AccountInUse` before anything is sent.
pub fn make(
    new: &NewAccount<'_, '_>,
    space: usize,
    funded_len: usize,
    owner: &Pubkey,
    signer: &[&[&[u8]]],
) -> Result<()> {
    let account = new.account;
    require!(
        account.owner == &system_program::ID && account.data_is_empty(),
        Usd1Error::AccountInUse
    );
    let rent = Rent::get()?.minimum_balance(funded_len);
    let space = u64::try_from(space).map_err(|_| error!(Usd1Error::Overflow))?;
    let payer = AccountMeta::new(new.payer.key(), true);
    let signing = AccountMeta::new(account.key(), true);
    let funded = account.lamports();
    if funded == 0 {
        let fields: [&[u8]; 3] = [&rent.to_le_bytes(), &space.to_le_bytes(), owner.as_ref()];
        let data = system::data(system::CREATE_ACCOUNT, &fields);
        return call_system(new, data, vec![payer, signing], signer);
    }
    let top_up = rent.saturating_sub(funded);
    if top_up > 0 {
        let data = system::data(system::TRANSFER, &[&top_up.to_le_bytes()]);
        let receiving = AccountMeta::new(account.key(), false);
        call_system(new, data, vec![payer, receiving], &[])?;
    }
    let data = system::data(system::ALLOCATE, &[&space.to_le_bytes()]);
    call_system(new, data, vec![signing.clone()], signer)?;
    let data = system::data(system::ASSIGN, &[owner.as_ref()]);
    call_system(new, data, vec![signing], signer)
}

/// The system program's instructions, by their index in its wire format (a
/// little-endian u32, then the fields): encoded here, because the builders
/// of `solana-system-interface` bring a bincode encoder and its error
/// formatting into the program.
pub mod system {
    pub const CREATE_ACCOUNT: u32 = 0;
    pub const ASSIGN: u32 = 1;
    pub const TRANSFER: u32 = 2;
    pub const ALLOCATE: u32 = 8;

    /// The instruction data: `index`, then each field as it is.
    pub fn data(index: u32, fields: &[&[u8]]) -> Vec<u8> {
        let len = fields
            .iter()
            .fold(4usize, |len, field| len.saturating_add(field.len()));
        let mut data = Vec::with_capacity(len);
        data.extend_from_slice(&index.to_le_bytes());
        for field in fields {
            data.extend_from_slice(field);
        }
        data
    }
}

/// Sends the system program `data` with `accounts` (of the payer and the
/// new account), the new account signing by `signer` where it signs.
fn call_system(
    new: &NewAccount<'_, '_>,
    data: Vec<u8>,
    accounts: Vec<AccountMeta>,
    signer: &[&[&[u8]]],
) -> Result<()> {
    let instruction = Instruction {
        program_id: system_program::ID,
        accounts,
        data,
    };
    let infos = [new.payer.clone(), new.account.clone()];
    invoke_signed(&instruction, &infos, signer).map_err(Into::into)
}

/// The contents of a zero-copy account [`make`] has just made (zeroed), its
/// discriminator written: the caller fills in every field.
pub fn init_zero_copy<'a, T: ZeroCopy + Discriminator>(
    account: &'a AccountInfo<'_>,
) -> Result<RefMut<'a, T>> {
    let discriminator = T::DISCRIMINATOR;
    let end = discriminator
        .len()
        .checked_add(std::mem::size_of::<T>())
        .ok_or(Usd1Error::Overflow)?;
    let mut data = account.try_borrow_mut_data()?;
    require!(data.len() >= end, ErrorCode::AccountDidNotDeserialize);
    data[..discriminator.len()].copy_from_slice(discriminator);
    Ok(RefMut::map(data, |data| {
        bytemuck::from_bytes_mut(&mut data[discriminator.len()..end])
    }))
}

/// The contents of the program's account at `new.account` if the program
/// made it already; else `None`, once [`create`] has made it (at `seeds` and
/// `bump`, `space` bytes, zeroed: the caller writes it).
pub fn existing_or_create<T: AccountDeserialize>(
    new: &NewAccount<'_, '_>,
    seeds: &[&[u8]],
    bump: u8,
    space: usize,
) -> Result<Option<T>> {
    let current = existing::<T>(new.account)?;
    if current.is_none() {
        create(new, seeds, bump, space)?;
    }
    Ok(current)
}

/// The contents of a program account at a checked address, or `None` while
/// the address is not yet an account of any program (it may hold lamports).
fn existing<T: AccountDeserialize>(account: &AccountInfo<'_>) -> Result<Option<T>> {
    if account.owner == &system_program::ID {
        return Ok(None);
    }
    require_keys_eq!(
        *account.owner,
        crate::ID,
        ErrorCode::AccountOwnedByWrongProgram
    );
    T::try_deserialize(&mut &account.try_borrow_data()?[..]).map(Some)
}

/// Writes `value` (discriminator and fields) over `account`'s data.
pub fn store<T: AccountSerialize>(account: &AccountInfo<'_>, value: &T) -> Result<()> {
    value.try_serialize(&mut &mut account.try_borrow_mut_data()?[..])
}
