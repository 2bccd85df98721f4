//! One transaction as the localnet keeps it: what the chain records and the
//! ledger folder stores (its own module, so neither depends on the other).
use solana_sdk::message::v0::LoadedAddresses;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::{TransactionError, VersionedTransaction};
use solana_transaction_status_client_types::InnerInstructions;

/// One transaction as the ledger keeps it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub signature: Signature,
    pub slot: u64,
    pub block_time: i64,
    pub transaction: VersionedTransaction,
    pub err: Option<TransactionError>,
    pub logs: Vec<String>,
    pub inner_instructions: Vec<InnerInstructions>,
    pub units_consumed: u64,
    pub fee: u64,
    /// Lamports of every account the transaction named, in [`Record::account_keys`] order.
    pub pre_balances: Vec<u64>,
    pub post_balances: Vec<u64>,
    /// Kept in the ledger folder beside the record (see `ledger_dir`).
    #[serde(skip)]
    pub extra: RecordExtra,
}

/// What a record keeps beyond the ledger folder's first format.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct RecordExtra {
    /// The addresses a v0 transaction loaded from lookup tables when it ran.
    pub loaded_addresses: LoadedAddresses,
    /// Token accounts among the named accounts, before and after.
    pub pre_token_balances: Vec<TokenBalance>,
    pub post_token_balances: Vec<TokenBalance>,
}

/// One token account's balance around a transaction, as a validator's
/// `preTokenBalances`/`postTokenBalances` report it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenBalance {
    /// Index in [`Record::account_keys`].
    pub account_index: u8,
    pub mint: Pubkey,
    pub owner: Pubkey,
    pub program_id: Pubkey,
    /// Base units.
    pub amount: u64,
    pub decimals: u8,
}

impl Record {
    /// Every address the transaction named: its static keys, then the ones
    /// it loaded (writable, then read-only) — the order its instructions index.
    pub fn account_keys(&self) -> impl Iterator<Item = &Pubkey> {
        let loaded = &self.extra.loaded_addresses;
        self.transaction
            .message
            .static_account_keys()
            .iter()
            .chain(&loaded.writable)
            .chain(&loaded.readonly)
    }

    /// The named accounts the transaction could write.
    pub fn writable_keys(&self) -> Vec<Pubkey> {
        let message = &self.transaction.message;
        let loaded = &self.extra.loaded_addresses;
        message
            .static_account_keys()
            .iter()
            .enumerate()
            .filter(|(index, _)| message.is_maybe_writable(*index, None))
            .map(|(_, key)| *key)
            .chain(loaded.writable.iter().copied())
            .collect()
    }
}
