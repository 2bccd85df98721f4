//! The one send path over JSON-RPC. A transaction is its signature from the
//! moment it is signed: sending the same bytes again is always safe (they
//! land once at most), but what a send answers is not the chain's verdict.
//! An answer lost to a proxy (`502` after the node took it, a timeout, a
//! dropped connection) may hide a transaction that landed; `AlreadyProcessed`
//! says it landed; `BlockhashNotFound` may come from a node that lags. Each
//! of those is confirmed by its signature at the commitment
//! ([`RpcLedger::confirm`]), and a transaction is given up only once it is
//! known never to land: its blockhash expired by the node's block height, or
//! its durable nonce advanced ([`Expiry`]). The one answer that is a verdict
//! is a refusal the node gives in its preflight to the first and only
//! exchange of those bytes: then nothing ran anywhere.
use solana_rpc_client_api::client_error::{Error as RpcClientError, ErrorKind};
use solana_rpc_client_api::config::RpcSendTransactionConfig;
use solana_rpc_client_api::request::RpcError;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::transaction::{Transaction, TransactionError};

use super::RpcLedger;
use crate::error::ClientError;
use crate::ledger::Ledger;

/// What the answer to a transaction's first send means.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum FirstAnswer {
    /// Taken, or maybe taken (the answer was lost), or it already landed, or
    /// the node lags: the signature's status decides.
    Confirm,
    /// The node's preflight refused it: it ran nowhere and was sent nowhere.
    Refused,
    /// The node answered with an error of its own (unhealthy, a malformed
    /// request): it did not take the transaction.
    NotTaken,
}

/// How the answer to the first send of a transaction reads. Only a
/// JSON-RPC error object is the node's own word; anything else (no answer,
/// a proxy's 5xx, a body cut short, a mismatched signature) may hide a
/// transaction the node took.
pub(super) fn first_answer(error: &RpcClientError) -> FirstAnswer {
    match error.get_transaction_error() {
        // "That signature landed": its status says at what commitment.
        Some(TransactionError::AlreadyProcessed) => FirstAnswer::Confirm,
        // A node that lags has not seen a fresh blockhash yet; an expired one
        // is found expired by the block height.
        Some(TransactionError::BlockhashNotFound) => FirstAnswer::Confirm,
        Some(_) => FirstAnswer::Refused,
        None => match error.kind() {
            ErrorKind::RpcError(RpcError::RpcResponseError { .. }) => FirstAnswer::NotTaken,
            _ => FirstAnswer::Confirm,
        },
    }
}

/// When a sent transaction can no longer land.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Expiry {
    /// Past this block height (the node gave it with the blockhash).
    Height(u64),
    /// Once this nonce account holds another durable nonce than this.
    Nonce { account: Pubkey, nonce: Hash },
    /// A blockhash this ledger did not hand out: as the node judges it.
    Blockhash(Hash),
}

impl RpcLedger {
    /// Sends `transaction` for the first time, with a preflight at the
    /// commitment: `Ok` when its status must now decide (see [`first_answer`]).
    pub(super) async fn send_first(&self, transaction: &Transaction) -> Result<(), ClientError> {
        let config = RpcSendTransactionConfig {
            preflight_commitment: Some(self.commitment.commitment),
            ..RpcSendTransactionConfig::default()
        };
        let Err(error) = self
            .client
            .send_transaction_with_config(transaction, config)
            .await
        else {
            return Ok(());
        };
        match first_answer(&error) {
            FirstAnswer::Confirm => Ok(()),
            FirstAnswer::Refused => Err(self.error(error).located(&transaction.message)),
            FirstAnswer::NotTaken => Err(ClientError::Ledger(format!(
                "the node {} did not take transaction {}: {error}",
                self.url(),
                transaction.signatures.first().copied().unwrap_or_default()
            ))),
        }
    }

    /// When `transaction` can no longer land.
    pub(super) fn expiry_of(&self, transaction: &Transaction) -> Expiry {
        let blockhash = transaction.message.recent_blockhash;
        if let Some(advance) = solana_sdk::transaction::uses_durable_nonce(transaction) {
            let account = advance
                .accounts
                .first()
                .and_then(|i| transaction.message.account_keys.get(usize::from(*i)))
                .copied()
                .unwrap_or_default();
            return Expiry::Nonce {
                account,
                nonce: blockhash,
            };
        }
        match self.lifetimes.of(&blockhash) {
            Some(height) => Expiry::Height(height),
            None => Expiry::Blockhash(blockhash),
        }
    }

    /// Why a transaction with `expiry` can no longer land, if it cannot.
    pub(super) async fn expired(&self, expiry: &Expiry) -> Result<Option<String>, ClientError> {
        Ok(match expiry {
            Expiry::Height(last) => {
                let now = self.block_height().await?;
                (now > *last).then(|| {
                    format!("its blockhash expired: block height {now} is past its last valid block height {last}")
                })
            }
            Expiry::Nonce { account, nonce } => match self.get_account(account).await? {
                None => Some(format!("its nonce account {account} is gone")),
                Some(held) => {
                    let current = durable_nonce(&held.data);
                    (current != Some(*nonce)).then(|| {
                        format!("the durable nonce of {account} advanced past the one it was signed with")
                    })
                }
            },
            Expiry::Blockhash(blockhash) => (!self.is_blockhash_valid(blockhash).await?)
                .then(|| format!("the node says its blockhash {blockhash} is no longer valid")),
        })
    }
}

/// The durable nonce a nonce account holds: `Versions` (u32), `State`
/// (u32, 1 = initialized), the authority (32 bytes), then the nonce.
fn durable_nonce(data: &[u8]) -> Option<Hash> {
    let initialized = data.get(4..8)? == 1u32.to_le_bytes();
    let bytes: [u8; 32] = data.get(40..72)?.try_into().ok()?;
    initialized.then(|| Hash::new_from_array(bytes))
}

#[cfg(test)]
mod tests {
    use solana_rpc_client_api::request::RpcResponseErrorData;
    use solana_rpc_client_api::response::RpcSimulateTransactionResult;

    use super::*;

    fn preflight(err: TransactionError) -> RpcClientError {
        RpcError::RpcResponseError {
            code: -32002,
            message: "Transaction simulation failed".into(),
            data: RpcResponseErrorData::SendTransactionPreflightFailure(
                RpcSimulateTransactionResult {
                    err: Some(err.into()),
                    logs: None,
                    accounts: None,
                    units_consumed: None,
                    loaded_accounts_data_size: None,
                    return_data: None,
                    inner_instructions: None,
                    replacement_blockhash: None,
                    fee: None,
                    pre_balances: None,
                    post_balances: None,
                    pre_token_balances: None,
                    post_token_balances: None,
                    loaded_addresses: None,
                },
            ),
        }
        .into()
    }

    /// Issue 32: no answer to a send is taken for the chain's verdict but a
    /// preflight refusal; "already processed" and "blockhash not found" are
    /// confirmed by the signature, a lost answer too.
    #[test]
    fn only_a_preflight_refusal_is_a_verdict() {
        use solana_sdk::instruction::InstructionError;
        assert_eq!(
            first_answer(&preflight(TransactionError::AlreadyProcessed)),
            FirstAnswer::Confirm
        );
        assert_eq!(
            first_answer(&preflight(TransactionError::BlockhashNotFound)),
            FirstAnswer::Confirm
        );
        assert_eq!(
            first_answer(&preflight(TransactionError::InstructionError(
                1,
                InstructionError::Custom(6041)
            ))),
            FirstAnswer::Refused
        );
        let unhealthy: RpcClientError = RpcError::RpcResponseError {
            code: -32005,
            message: "Node is unhealthy".into(),
            data: RpcResponseErrorData::Empty,
        }
        .into();
        assert_eq!(first_answer(&unhealthy), FirstAnswer::NotTaken);
        let lost: RpcClientError = RpcError::RpcRequestError("502 Bad Gateway".into()).into();
        assert_eq!(first_answer(&lost), FirstAnswer::Confirm);
    }

    #[test]
    fn reads_the_durable_nonce_of_an_initialized_account() {
        let nonce = Hash::new_unique();
        let mut data = vec![0u8; 80];
        data[0..4].copy_from_slice(&1u32.to_le_bytes());
        data[4..8].copy_from_slice(&1u32.to_le_bytes());
        data[40..72].copy_from_slice(nonce.as_ref());
        assert_eq!(durable_nonce(&data), Some(nonce));
        data[4..8].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(durable_nonce(&data), None);
        assert_eq!(durable_nonce(&data[..20]), None);
    }
}
