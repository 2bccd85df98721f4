//! Decoders for the program's accounts and for the token accounts it governs.
use anchor_lang::{AccountDeserialize, Discriminator};
use anchor_spl::token_2022::spl_token_2022::extension::StateWithExtensions;
use anchor_spl::token_2022::spl_token_2022::state::{
    Account as TokenAccountState, AccountState, Mint as MintState,
};
use solana_sdk::pubkey::Pubkey;

use crate::error::ClientError;

pub use usd1::state::{
    AttestationHistory, AttestationRecord, Config, Disclosure, MinterAllowance, Redemption,
    RedemptionStatus,
};

/// Decodes a borsh account of the program, checking its discriminator.
pub fn decode<T: AccountDeserialize>(address: &Pubkey, data: &[u8]) -> Result<T, ClientError> {
    T::try_deserialize(&mut &data[..]).map_err(|e| ClientError::Decode {
        address: *address,
        kind: std::any::type_name::<T>()
            .rsplit("::")
            .next()
            .unwrap_or("account"),
        reason: e.to_string(),
    })
}

/// Decodes the zero-copy attestation ring buffer.
pub fn decode_history(address: &Pubkey, data: &[u8]) -> Result<AttestationHistory, ClientError> {
    let err = |reason: &str| ClientError::Decode {
        address: *address,
        kind: "AttestationHistory",
        reason: reason.to_string(),
    };
    let disc = AttestationHistory::DISCRIMINATOR;
    if !data.starts_with(disc) {
        return Err(err("wrong discriminator"));
    }
    let body = data
        .get(disc.len()..disc.len() + std::mem::size_of::<AttestationHistory>())
        .ok_or_else(|| err("account too short"))?;
    Ok(bytemuck::pod_read_unaligned(body))
}

/// The recorded attestations of a history account, newest first.
pub fn history_newest_first(history: &AttestationHistory) -> Vec<AttestationRecord> {
    let len = history.records.len() as u64;
    let kept = history.count.min(len);
    (0..kept)
        .map(|back| history.records[((history.count - 1 - back) % len) as usize])
        .collect()
}

/// What a mint account says (classic SPL Token or Token-2022).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MintInfo {
    pub supply: u64,
    pub decimals: u8,
    pub mint_authority: Option<Pubkey>,
    pub freeze_authority: Option<Pubkey>,
}

pub fn decode_mint(address: &Pubkey, data: &[u8]) -> Result<MintInfo, ClientError> {
    let mint = StateWithExtensions::<MintState>::unpack(data).map_err(|e| ClientError::Decode {
        address: *address,
        kind: "Mint",
        reason: e.to_string(),
    })?;
    Ok(MintInfo {
        supply: mint.base.supply,
        decimals: mint.base.decimals,
        mint_authority: mint.base.mint_authority.into(),
        freeze_authority: mint.base.freeze_authority.into(),
    })
}

/// What a token account says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenAccountInfo {
    pub mint: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
    pub frozen: bool,
}

pub fn decode_token_account(
    address: &Pubkey,
    data: &[u8],
) -> Result<TokenAccountInfo, ClientError> {
    let account = StateWithExtensions::<TokenAccountState>::unpack(data).map_err(|e| {
        ClientError::Decode {
            address: *address,
            kind: "TokenAccount",
            reason: e.to_string(),
        }
    })?;
    Ok(TokenAccountInfo {
        mint: account.base.mint,
        owner: account.base.owner,
        amount: account.base.amount,
        frozen: account.base.state == AccountState::Frozen,
    })
}
