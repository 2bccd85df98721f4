//! Every program-derived address of USD1, derived here and nowhere else.
use solana_sdk::pubkey::Pubkey;
use usd1::constants::{
    CONFIG_SEED, DISCLOSURE_SEED, ESCROW_SEED, HISTORY_SEED, MINTER_SEED, REDEMPTION_SEED,
};

/// `["config", mint]`: the mint's Config (mint and freeze authority).
pub fn config(mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[CONFIG_SEED, mint.as_ref()], &usd1::ID).0
}

/// `["minter", config, minter]`: a minter's allowance.
pub fn minter_allowance(config: &Pubkey, minter: &Pubkey) -> Pubkey {
    minter_allowance_and_bump(config, minter).0
}

/// [`minter_allowance`] and its canonical bump, which `configure_minter`
/// takes (the program checks it instead of searching for it).
pub fn minter_allowance_and_bump(config: &Pubkey, minter: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[MINTER_SEED, config.as_ref(), minter.as_ref()], &usd1::ID)
}

/// `["attestations", config]`: the attestation ring buffer.
pub fn attestation_history(config: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[HISTORY_SEED, config.as_ref()], &usd1::ID).0
}

/// `["escrow", config]`: the Config-owned token account holding redemption escrow.
pub fn escrow(config: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[ESCROW_SEED, config.as_ref()], &usd1::ID).0
}

/// `["redemption", config, id (u64 LE)]`: one redemption request.
pub fn redemption(config: &Pubkey, id: u64) -> Pubkey {
    redemption_and_bump(config, id).0
}

/// [`redemption`] and its canonical bump, which `request_redemption` takes.
pub fn redemption_and_bump(config: &Pubkey, id: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[REDEMPTION_SEED, config.as_ref(), &id.to_le_bytes()],
        &usd1::ID,
    )
}

/// `["disclosure", config]`: the holder disclosure.
pub fn disclosure(config: &Pubkey) -> Pubkey {
    disclosure_and_bump(config).0
}

/// [`disclosure`] and its canonical bump, which `set_disclosure` takes.
pub fn disclosure_and_bump(config: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[DISCLOSURE_SEED, config.as_ref()], &usd1::ID)
}

/// `["__event_authority"]`: the signer of the program's self-CPI events.
pub fn event_authority() -> Pubkey {
    Pubkey::find_program_address(&[b"__event_authority"], &usd1::ID).0
}

/// The associated token account of `owner` for `mint` under `token_program`.
pub fn associated_token_account(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    anchor_spl::associated_token::get_associated_token_address_with_program_id(
        owner,
        mint,
        token_program,
    )
}
