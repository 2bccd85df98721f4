//! The network `Ledger` over Solana JSON-RPC (solana-rpc-client's nonblocking
//! `RpcClient`): send with the chosen commitment, confirm, name on-chain
//! failures, and read each transaction's events back from the node.
use std::time::{Duration, Instant};

use async_trait::async_trait;
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_rpc_client_api::client_error::{Error as RpcClientError, ErrorKind};
use solana_rpc_client_api::config::{
    RpcSendTransactionConfig, RpcSimulateTransactionConfig, RpcTransactionConfig,
};
use solana_rpc_client_api::request::{RpcError, RpcResponseErrorData};
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::{Transaction, TransactionError};
use solana_transaction_status_client_types::option_serializer::OptionSerializer;
use solana_transaction_status_client_types::{
    UiInnerInstructions, UiInstruction, UiTransactionEncoding,
};

use crate::error::{ClientError, Failure};
use crate::ledger::{Executed, Ledger, RecordedTransaction, Simulation};

/// How long to wait for a sent transaction to reach the commitment.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(90);
const POLL_INTERVAL: Duration = Duration::from_millis(400);

pub struct RpcLedger {
    client: RpcClient,
    commitment: CommitmentConfig,
}

impl RpcLedger {
    pub fn new(url: String, commitment: CommitmentConfig) -> Self {
        Self {
            client: RpcClient::new_with_commitment(url, commitment),
            commitment,
        }
    }

    /// Over an existing client (a custom sender, a mock).
    pub fn with_client(client: RpcClient, commitment: CommitmentConfig) -> Self {
        Self { client, commitment }
    }

    pub fn client(&self) -> &RpcClient {
        &self.client
    }

    pub fn url(&self) -> String {
        self.client.url()
    }
}

/// An RPC failure as a client error: a refused transaction keeps the
/// runtime's reason and the simulation logs; anything else is the node's word.
fn rpc_error(err: RpcClientError) -> ClientError {
    if let Some(failure) = err.get_transaction_error() {
        let logs = match err.kind() {
            ErrorKind::RpcError(RpcError::RpcResponseError {
                data: RpcResponseErrorData::SendTransactionPreflightFailure(result),
                ..
            }) => result.logs.clone().unwrap_or_default(),
            _ => vec![],
        };
        return ClientError::Failed {
            failure: Failure(failure),
            logs,
        };
    }
    ClientError::Ledger(err.to_string())
}

/// Inner instructions as (program id, data), resolving program ids with `keys`.
fn decode_inner(inner: Vec<UiInnerInstructions>, keys: &[Pubkey]) -> Vec<(Pubkey, Vec<u8>)> {
    inner
        .into_iter()
        .flat_map(|set| set.instructions)
        .filter_map(|instruction| match instruction {
            UiInstruction::Compiled(compiled) => {
                let program = keys.get(usize::from(compiled.program_id_index))?;
                let data = bs58::decode(&compiled.data).into_vec().ok()?;
                Some((*program, data))
            }
            UiInstruction::Parsed(_) => None,
        })
        .collect()
}

#[async_trait]
impl Ledger for RpcLedger {
    async fn latest_blockhash(&self) -> Result<Hash, ClientError> {
        let (blockhash, _) = self
            .client
            .get_latest_blockhash_with_commitment(self.commitment)
            .await
            .map_err(rpc_error)?;
        Ok(blockhash)
    }

    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, ClientError> {
        let response = self
            .client
            .get_account_with_commitment(address, self.commitment)
            .await
            .map_err(rpc_error)?;
        Ok(response.value)
    }

    async fn simulate(&self, transaction: &Transaction) -> Result<Simulation, ClientError> {
        let config = RpcSimulateTransactionConfig {
            sig_verify: true,
            commitment: Some(self.commitment),
            inner_instructions: true,
            ..RpcSimulateTransactionConfig::default()
        };
        let result = self
            .client
            .simulate_transaction_with_config(transaction, config)
            .await
            .map_err(rpc_error)?
            .value;
        Ok(Simulation {
            err: result.err.map(TransactionError::from),
            logs: result.logs.unwrap_or_default(),
            units_consumed: result.units_consumed.unwrap_or_default(),
            inner_instructions: decode_inner(
                result.inner_instructions.unwrap_or_default(),
                &transaction.message.account_keys,
            ),
        })
    }

    async fn send_and_confirm(&self, transaction: &Transaction) -> Result<Executed, ClientError> {
        let config = RpcSendTransactionConfig {
            preflight_commitment: Some(self.commitment.commitment),
            ..RpcSendTransactionConfig::default()
        };
        let signature = self
            .client
            .send_transaction_with_config(transaction, config)
            .await
            .map_err(rpc_error)?;
        self.confirm(&signature).await?;
        let events = self
            .events_of(&signature, &transaction.message.account_keys)
            .await?;
        Ok(Executed { signature, events })
    }

    async fn signature_status(
        &self,
        signature: &Signature,
    ) -> Result<Option<Result<(), TransactionError>>, ClientError> {
        let statuses = self
            .client
            .get_signature_statuses_with_history(&[*signature])
            .await
            .map_err(rpc_error)?
            .value;
        Ok(statuses
            .into_iter()
            .next()
            .flatten()
            .map(|s| s.err.map_or(Ok(()), Err)))
    }

    async fn is_blockhash_valid(&self, blockhash: &Hash) -> Result<bool, ClientError> {
        self.client
            .is_blockhash_valid(blockhash, self.commitment)
            .await
            .map_err(rpc_error)
    }

    async fn history(&self, address: &Pubkey) -> Result<Vec<RecordedTransaction>, ClientError> {
        // Newest first, a page at a time, until the address's first transaction.
        let bad = |_| ClientError::Ledger("the node returned a malformed signature".into());
        let mut signatures = Vec::new();
        let mut before = None;
        loop {
            let config = GetConfirmedSignaturesForAddress2Config {
                before,
                until: None,
                limit: Some(1_000),
                commitment: Some(self.commitment),
            };
            let page = self
                .client
                .get_signatures_for_address_with_config(address, config)
                .await
                .map_err(rpc_error)?;
            let Some(last) = page.last() else { break };
            before = Some(last.signature.parse::<Signature>().map_err(bad)?);
            let full = page.len() == 1_000;
            signatures.extend(page.into_iter().filter(|s| s.err.is_none()));
            if !full {
                break;
            }
        }
        let mut out = Vec::with_capacity(signatures.len());
        for status in signatures.into_iter().rev() {
            let signature = status.signature.parse::<Signature>().map_err(bad)?;
            out.push(self.recorded(&signature).await?);
        }
        Ok(out)
    }

    async fn minimum_balance_for_rent_exemption(
        &self,
        data_len: usize,
    ) -> Result<u64, ClientError> {
        self.client
            .get_minimum_balance_for_rent_exemption(data_len)
            .await
            .map_err(rpc_error)
    }
}

impl RpcLedger {
    /// Waits until `signature` reaches the commitment; a failed transaction is
    /// `ClientError::Failed`, one that never lands is a ledger error.
    async fn confirm(&self, signature: &Signature) -> Result<(), ClientError> {
        let deadline = Instant::now() + CONFIRM_TIMEOUT;
        loop {
            let statuses = self
                .client
                .get_signature_statuses(&[*signature])
                .await
                .map_err(rpc_error)?
                .value;
            if let Some(Some(status)) = statuses.into_iter().next() {
                if let Some(err) = status.err {
                    return Err(ClientError::Failed {
                        failure: Failure(err),
                        logs: vec![],
                    });
                }
                if status.satisfies_commitment(self.commitment) {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(ClientError::Ledger(format!(
                    "transaction {signature} was not confirmed within {}s",
                    CONFIRM_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// A confirmed transaction, decoded for replay.
    async fn recorded(&self, signature: &Signature) -> Result<RecordedTransaction, ClientError> {
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Base64),
            commitment: Some(self.commitment),
            max_supported_transaction_version: Some(0),
        };
        let confirmed = self
            .client
            .get_transaction_with_config(signature, config)
            .await
            .map_err(rpc_error)?;
        let decoded =
            confirmed.transaction.transaction.decode().ok_or_else(|| {
                ClientError::Ledger(format!("cannot decode transaction {signature}"))
            })?;
        let legacy = decoded.into_legacy_transaction().ok_or_else(|| {
            ClientError::Ledger(format!(
                "transaction {signature} is not a legacy transaction"
            ))
        })?;
        let inner = match confirmed
            .transaction
            .meta
            .map(|meta| meta.inner_instructions)
        {
            Some(OptionSerializer::Some(inner)) => inner,
            _ => vec![],
        };
        let inner = decode_inner(inner, &legacy.message.account_keys);
        let events = crate::events::from_inner_instructions(
            inner
                .iter()
                .map(|(program, data)| (program, data.as_slice())),
        );
        Ok(RecordedTransaction::new(
            *signature,
            confirmed.slot,
            confirmed.block_time,
            &legacy,
            events,
        ))
    }

    /// The program events a confirmed transaction emitted, read from the node.
    async fn events_of(
        &self,
        signature: &Signature,
        keys: &[Pubkey],
    ) -> Result<Vec<crate::events::Usd1Event>, ClientError> {
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Base64),
            commitment: Some(self.commitment),
            max_supported_transaction_version: Some(0),
        };
        let transaction = self
            .client
            .get_transaction_with_config(signature, config)
            .await
            .map_err(rpc_error)?;
        let inner = match transaction
            .transaction
            .meta
            .map(|meta| meta.inner_instructions)
        {
            Some(OptionSerializer::Some(inner)) => inner,
            _ => vec![],
        };
        let inner = decode_inner(inner, keys);
        Ok(crate::events::from_inner_instructions(
            inner
                .iter()
                .map(|(program, data)| (program, data.as_slice())),
        ))
    }
}
