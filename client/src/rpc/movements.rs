//! What a transaction did to one token account, read from the node's
//! pre/post token balances: how the gateway finds payments and builds its
//! ledger, the way Solana Pay's `validateTransfer` reads a transfer.
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::VersionedTransaction;
use solana_transaction_status_client_types::option_serializer::OptionSerializer;
use solana_transaction_status_client_types::{UiTransactionStatusMeta, UiTransactionTokenBalance};

use super::RpcLedger;
use crate::error::ClientError;
use crate::solana_pay::{Movement, Sender};

/// The SPL Memo program's first version, which older wallets still use.
const MEMO_V1_PROGRAM_ID: Pubkey =
    solana_sdk::pubkey!("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo");

/// A transaction's keys: its message's static keys followed, for a v0
/// message, by the addresses it loaded from lookup tables (writable, then
/// read-only), as the node reports them.
pub(super) fn account_keys(
    decoded: &VersionedTransaction,
    meta: Option<&UiTransactionStatusMeta>,
) -> Result<Vec<Pubkey>, &'static str> {
    let mut keys = decoded.message.static_account_keys().to_vec();
    if decoded.message.address_table_lookups().is_some() {
        let loaded = match meta.map(|m| &m.loaded_addresses) {
            Some(OptionSerializer::Some(loaded)) => loaded,
            _ => return Err("a v0 transaction without its loaded addresses"),
        };
        for address in loaded.writable.iter().chain(&loaded.readonly) {
            keys.push(address.parse().map_err(|_| "a malformed loaded address")?);
        }
    }
    Ok(keys)
}

/// One account's balance (base units) and owner in a list of token balances.
fn balance_of(
    balances: &[UiTransactionTokenBalance],
    index: usize,
) -> Option<(u64, Option<Pubkey>, String)> {
    let entry = balances
        .iter()
        .find(|b| usize::from(b.account_index) == index)?;
    let owner = match &entry.owner {
        OptionSerializer::Some(owner) => owner.parse().ok(),
        _ => None,
    };
    Some((
        entry.ui_token_amount.amount.parse().ok()?,
        owner,
        entry.mint.clone(),
    ))
}

/// A transaction as the node returned it, decoded, with its keys resolved.
pub(super) struct Fetched {
    pub slot: u64,
    pub block_time: Option<i64>,
    pub decoded: VersionedTransaction,
    pub meta: Option<UiTransactionStatusMeta>,
    pub keys: Vec<Pubkey>,
}

/// "transaction SIGNATURE: what": a transaction the node described oddly.
pub(super) fn malformed(signature: &Signature, what: &str) -> ClientError {
    ClientError::Ledger(format!("transaction {signature}: {what}"))
}

impl RpcLedger {
    /// `getTransaction`, decoded and its keys resolved (legacy or v0).
    pub(super) async fn fetch_decoded(
        &self,
        signature: &Signature,
    ) -> Result<Fetched, ClientError> {
        let confirmed = self.transaction(signature).await?;
        let decoded = confirmed
            .transaction
            .transaction
            .decode()
            .ok_or_else(|| malformed(signature, "cannot decode the transaction"))?;
        let meta = confirmed.transaction.meta;
        let keys = account_keys(&decoded, meta.as_ref()).map_err(|e| malformed(signature, e))?;
        Ok(Fetched {
            slot: confirmed.slot,
            block_time: confirmed.block_time,
            decoded,
            meta,
            keys,
        })
    }

    /// What `signature` did to the token account `account`: `None` if the
    /// transaction failed on-chain (it moved nothing) or does not name the
    /// account among its token balances.
    pub async fn movement(
        &self,
        signature: &Signature,
        account: &Pubkey,
    ) -> Result<Option<Movement>, ClientError> {
        let Fetched {
            slot,
            block_time,
            decoded,
            meta,
            keys,
        } = self.fetch_decoded(signature).await?;
        let malformed = |what: &str| malformed(signature, what);
        let Some(meta) = meta else {
            return Err(malformed("no status meta"));
        };
        if meta.err.is_some() {
            return Ok(None);
        }
        let Some(index) = keys.iter().position(|k| k == account) else {
            return Ok(None);
        };
        let (pre, post) = match (&meta.pre_token_balances, &meta.post_token_balances) {
            (OptionSerializer::Some(pre), OptionSerializer::Some(post)) => (pre, post),
            _ => return Err(malformed("the node gave no token balances")),
        };
        let after = balance_of(post, index);
        let before = balance_of(pre, index);
        let Some(mint) = after.as_ref().or(before.as_ref()).map(|b| b.2.clone()) else {
            return Ok(None);
        };
        // The senders: other accounts of the mint whose balance fell, read
        // from before and after alike (one closed in the transaction is in
        // the balances before only: 0 after).
        let mut indexes: Vec<usize> = pre
            .iter()
            .chain(post.iter())
            .filter(|b| b.mint == mint)
            .map(|b| usize::from(b.account_index))
            .filter(|at| *at != index)
            .collect();
        indexes.sort_unstable();
        indexes.dedup();
        let mut senders: Vec<Sender> = Vec::new();
        for at in indexes {
            let (now, owner_after, _) = balance_of(post, at).unwrap_or_default();
            let (was, owner_before, _) = balance_of(pre, at).unwrap_or_default();
            let (Some(owner), Some(account)) = (owner_after.or(owner_before), keys.get(at)) else {
                continue;
            };
            if was > now {
                senders.push(Sender {
                    owner,
                    account: *account,
                    amount: was - now,
                });
            }
        }
        senders.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.owner.cmp(&b.owner)));
        let memos = decoded
            .message
            .instructions()
            .iter()
            .filter(|ix| {
                keys.get(usize::from(ix.program_id_index)).is_some_and(|p| {
                    *p == crate::instructions::MEMO_PROGRAM_ID || *p == MEMO_V1_PROGRAM_ID
                })
            })
            .map(|ix| String::from_utf8_lossy(&ix.data).into_owned())
            .collect();
        let inner = match meta.inner_instructions {
            OptionSerializer::Some(inner) => super::decode_inner(inner, &keys),
            _ => Vec::new(),
        };
        let events =
            crate::events::from_inner_instructions(inner.iter().map(|(p, d)| (p, d.as_slice())));
        Ok(Some(Movement {
            signature: *signature,
            slot,
            block_time,
            mint: mint.parse().map_err(|_| malformed("a malformed mint"))?,
            pre: before.map_or(0, |b| b.0),
            post: after.map_or(0, |b| b.0),
            fee: meta.fee,
            fee_payer: keys.first().copied().unwrap_or_default(),
            account: *account,
            counterparties: senders.iter().map(|s| s.owner).collect(),
            senders,
            keys,
            memos,
            events,
        }))
    }
}
