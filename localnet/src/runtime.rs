//! The native runtime: USD1 registered natively through `processor!`, beside
//! the SPL Token, Token-2022 and associated-token programs bundled with
//! solana-program-test. The tests' fixture and the localnet both start here.
use anchor_lang::prelude::AccountInfo;
use solana_program_test::{processor, ProgramTest};
use solana_sdk::pubkey::Pubkey;

/// Anchor 1.x ties the program id, accounts and data to one `'info` lifetime;
/// the native runtime lends them for shorter. Leaking copies gives them the
/// lifetime Anchor wants: a few hundred bytes per instruction, which a test
/// or a development localnet can afford and a validator never runs.
fn usd1_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> anchor_lang::solana_program::entrypoint::ProgramResult {
    let accounts: &[AccountInfo] = Box::leak(accounts.to_vec().into_boxed_slice());
    let program_id: &Pubkey = Box::leak(Box::new(*program_id));
    let data: &[u8] = Box::leak(data.to_vec().into_boxed_slice());
    usd1::entry(program_id, accounts, data)
}

/// The runtime with USD1 registered natively and the SPL programs bundled.
pub fn program_test() -> ProgramTest {
    let mut test = ProgramTest::new("usd1", usd1::ID, processor!(usd1_entry));
    test.prefer_bpf(false);
    test
}
