//! Accounts and transactions in a validator's wire forms, made by agave's own
//! encoders (`solana-account-decoder`, `solana-transaction-status`) so that
//! `jsonParsed` answers are the ones wallets parse on mainnet. JSON-RPC and
//! PubSub both encode through here.
use solana_account_decoder::parse_account_data::SplTokenAdditionalDataV2;
use solana_account_decoder::parse_token::{get_token_account_mint, token_amount_to_ui_amount_v3};
use solana_account_decoder::{encode_ui_account, parse_account_data::AccountAdditionalDataV3};
use solana_account_decoder_client_types::token::UiTokenAmount;
use solana_account_decoder_client_types::{UiAccount, UiAccountEncoding, UiDataSliceConfig};
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::sysvar::clock::Clock;
use solana_transaction_status::{
    ConfirmedTransactionWithStatusMeta, EncodeError, EncodedConfirmedTransactionWithStatusMeta,
    TransactionStatusMeta, TransactionTokenBalance, TransactionWithStatusMeta,
    UiTransactionEncoding, VersionedTransactionWithStatusMeta,
};
use spl_token_2022_interface::extension::interest_bearing_mint::InterestBearingConfig;
use spl_token_2022_interface::extension::scaled_ui_amount::ScaledUiAmountConfig;
use spl_token_2022_interface::extension::{BaseStateWithExtensions, StateWithExtensions};
use spl_token_2022_interface::state::Mint;

use crate::chain::{Chain, Record, TokenBalance};

/// Whether `owner` is one of the two token programs.
pub fn is_token_program(owner: &Pubkey) -> bool {
    *owner == usd1_client::TOKEN_PROGRAM_ID || *owner == usd1_client::TOKEN_2022_PROGRAM_ID
}

/// What agave's token parser needs of a mint to show its amounts: decimals,
/// and the interest-bearing or scaled-UI-amount configuration as of `now`.
pub fn mint_data(mint: &[u8], now: i64) -> Option<SplTokenAdditionalDataV2> {
    let mint = StateWithExtensions::<Mint>::unpack(mint).ok()?;
    Some(SplTokenAdditionalDataV2 {
        decimals: mint.base.decimals,
        interest_bearing_config: mint
            .get_extension::<InterestBearingConfig>()
            .ok()
            .map(|config| (*config, now)),
        scaled_ui_amount_config: mint
            .get_extension::<ScaledUiAmountConfig>()
            .ok()
            .map(|config| (*config, now)),
    })
}

/// [`mint_data`] of the mint at `mint`, read from the chain now.
pub async fn mint_data_of(chain: &Chain, mint: &Pubkey) -> Option<SplTokenAdditionalDataV2> {
    let banks = chain.banks();
    let account = banks.get_account(*mint).await.ok()??;
    let now = banks.get_sysvar::<Clock>().await.ok()?.unix_timestamp;
    mint_data(&account.data, now)
}

/// `amount` base units as a validator shows them.
pub fn token_amount(amount: u64, mint: &SplTokenAdditionalDataV2) -> UiTokenAmount {
    token_amount_to_ui_amount_v3(amount, mint)
}

/// An account in `encoding`; for `jsonParsed`, a token account is parsed with
/// its mint's data, and an account no parser knows falls back to base64, as
/// on a validator.
pub async fn account(
    chain: &Chain,
    address: &Pubkey,
    account: &Account,
    encoding: UiAccountEncoding,
    slice: Option<UiDataSliceConfig>,
) -> UiAccount {
    let additional =
        if encoding == UiAccountEncoding::JsonParsed && is_token_program(&account.owner) {
            match get_token_account_mint(&account.data) {
                Some(mint) => mint_data_of(chain, &mint).await,
                None => None,
            }
        } else {
            None
        };
    let additional = additional.map(|data| AccountAdditionalDataV3 {
        spl_token_additional_data: Some(data),
    });
    encode_ui_account(address, account, encoding, additional, slice)
}

fn token_balances(balances: &[TokenBalance]) -> Vec<TransactionTokenBalance> {
    balances
        .iter()
        .map(|b| TransactionTokenBalance {
            account_index: b.account_index,
            mint: b.mint.to_string(),
            ui_token_amount: token_amount(
                b.amount,
                &SplTokenAdditionalDataV2 {
                    decimals: b.decimals,
                    ..SplTokenAdditionalDataV2::default()
                },
            ),
            owner: b.owner.to_string(),
            program_id: b.program_id.to_string(),
        })
        .collect()
}

/// A recorded transaction as getTransaction answers it, in any of the
/// validator's encodings (`jsonParsed` parses every instruction agave knows).
pub fn transaction(
    record: &Record,
    encoding: UiTransactionEncoding,
    max_supported_transaction_version: Option<u8>,
) -> Result<EncodedConfirmedTransactionWithStatusMeta, EncodeError> {
    let meta = TransactionStatusMeta {
        status: record.err.clone().map_or(Ok(()), Err),
        fee: record.fee,
        pre_balances: record.pre_balances.clone(),
        post_balances: record.post_balances.clone(),
        inner_instructions: Some(record.inner_instructions.clone()),
        log_messages: Some(record.logs.clone()),
        pre_token_balances: Some(token_balances(&record.extra.pre_token_balances)),
        post_token_balances: Some(token_balances(&record.extra.post_token_balances)),
        rewards: Some(Vec::new()),
        loaded_addresses: record.extra.loaded_addresses.clone(),
        return_data: None,
        compute_units_consumed: Some(record.units_consumed),
        cost_units: None,
    };
    ConfirmedTransactionWithStatusMeta {
        slot: record.slot,
        tx_with_meta: TransactionWithStatusMeta::Complete(VersionedTransactionWithStatusMeta {
            transaction: record.transaction.clone(),
            meta,
        }),
        block_time: Some(record.block_time),
    }
    .encode(encoding, max_supported_transaction_version)
}
