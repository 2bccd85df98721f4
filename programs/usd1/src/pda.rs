//! The accounts the program creates after `initialize` (a minter's allowance,
//! the disclosure, a redemption record), made at the bump their caller passes.
//!
//! Anchor's `init` searches the canonical bump with `find_program_address`,
//! 1,500 CU for every bump it tries (an `init_if_needed` on every call), and
//! on agave 3.1 it cannot create an account whose address already holds
//! lamports (it asks for the system program's `CreateAccountAllowPrefund`,
//! which 3.1 does not know), so anyone could block the next redemption by
//! sending rent to its predictable address. Here the caller passes the bump;
//! the instruction's `seeds = [..], bump = bump` checks that it derives the
//! account's address (one `create_program_address`), [`create`] shows that no
//! higher bump does, so every account is still at the one address clients
//! derive, and makes the account whether or not its address was funded first.
use anchor_lang::prelude::*;
use anchor_lang::system_program::{self, Allocate, Assign, CreateAccount, Transfer};
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

/// The accounts that create one: who pays, the new account (its address
/// already checked against `seeds` and the bump), the system program.
pub struct NewAccount<'a, 'info> {
    pub payer: &'a AccountInfo<'info>,
    pub account: &'a AccountInfo<'info>,
    pub system_program: &'a AccountInfo<'info>,
}

/// Makes `new.account`, at the PDA of `seeds` and the canonical `bump`, a
/// `space`-byte account of this program, the payer funding its rent: one
/// `CreateAccount` when its address holds nothing, else a top-up, `Allocate`
/// and `Assign`, so lamports sent there first cannot block it. An address
/// that is already an account (of this program or any other) is refused by
/// the system program, and nothing changes.
pub fn create(new: &NewAccount<'_, '_>, seeds: &[&[u8]], bump: u8, space: usize) -> Result<()> {
    require_canonical(seeds, bump)?;
    let bump = [bump];
    let mut signer: Vec<&[u8]> = Vec::with_capacity(seeds.len().saturating_add(1));
    signer.extend_from_slice(seeds);
    signer.push(&bump);
    let signer = [&signer[..]];
    let program = new.system_program.key();
    let rent = Rent::get()?.minimum_balance(space);
    let funded = new.account.lamports();
    let space = u64::try_from(space).map_err(|_| error!(Usd1Error::Overflow))?;
    if funded == 0 {
        let accounts = CreateAccount {
            from: new.payer.clone(),
            to: new.account.clone(),
        };
        let cpi = CpiContext::new_with_signer(program, accounts, &signer);
        return system_program::create_account(cpi, rent, space, &crate::ID);
    }
    let top_up = rent.saturating_sub(funded);
    if top_up > 0 {
        let accounts = Transfer {
            from: new.payer.clone(),
            to: new.account.clone(),
        };
        system_program::transfer(CpiContext::new(program, accounts), top_up)?;
    }
    let allocate = Allocate {
        account_to_allocate: new.account.clone(),
    };
    system_program::allocate(
        CpiContext::new_with_signer(program, allocate, &signer),
        space,
    )?;
    let assign = Assign {
        account_to_assign: new.account.clone(),
    };
    system_program::assign(
        CpiContext::new_with_signer(program, assign, &signer),
        &crate::ID,
    )
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
