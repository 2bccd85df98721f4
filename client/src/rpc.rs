//! The network `Ledger` over Solana JSON-RPC (solana-rpc-client's nonblocking
//! `RpcClient`): send with the chosen commitment, confirm, name on-chain
//! failures, and read transactions back from the node — legacy and v0, with
//! the addresses a v0 transaction loaded from lookup tables — for replay.
use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_rpc_client_api::client_error::{Error as RpcClientError, ErrorKind};
use solana_rpc_client_api::config::{
    RpcBlockConfig, RpcSimulateTransactionConfig, RpcTransactionConfig,
};
use solana_rpc_client_api::request::{RpcError, RpcResponseErrorData};
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::message::compiled_instruction::CompiledInstruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::{Transaction, TransactionError};
use solana_transaction_status_client_types::option_serializer::OptionSerializer;
use solana_transaction_status_client_types::{
    EncodedConfirmedTransactionWithStatusMeta, TransactionDetails, UiInnerInstructions,
    UiInstruction, UiTransactionEncoding,
};

use crate::error::{ClientError, Failure};
use crate::ledger::{Executed, Ledger, Listed, RecordedTransaction, Simulation};

mod confirm;
mod holders;
mod movements;
mod send;
mod sender;
pub use sender::{GentleSender, Limits};

/// How long to wait for a sent transaction to reach the commitment.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(90);
/// How long one JSON-RPC request may take before the node counts as unresponsive.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub struct RpcLedger {
    client: RpcClient,
    commitment: CommitmentConfig,
    timeout: Duration,
    /// The transport, when this ledger made it (to count its requests).
    transport: Option<std::sync::Arc<GentleSender>>,
    /// The node said it has no `getBlock`: not asked again.
    no_get_block: std::sync::atomic::AtomicBool,
    /// The transactions being confirmed, whose statuses are asked together.
    board: confirm::Board,
    /// The last valid block height of each blockhash handed out.
    lifetimes: crate::ledger::BlockhashLifetimes,
}

/// The RPC client's handle on a shared [`GentleSender`].
struct Shared(std::sync::Arc<GentleSender>);

#[async_trait]
impl solana_rpc_client::rpc_sender::RpcSender for Shared {
    async fn send(
        &self,
        request: solana_rpc_client_api::request::RpcRequest,
        params: serde_json::Value,
    ) -> solana_rpc_client_api::client_error::Result<serde_json::Value> {
        self.0.send(request, params).await
    }
    fn get_transport_stats(&self) -> solana_rpc_client::rpc_sender::RpcTransportStats {
        self.0.get_transport_stats()
    }
    fn url(&self) -> String {
        self.0.url()
    }
}

impl RpcLedger {
    pub fn new(url: String, commitment: CommitmentConfig) -> Self {
        Self::with_timeout(url, commitment, DEFAULT_REQUEST_TIMEOUT)
    }

    /// A ledger whose every request gives up after `timeout`.
    pub fn with_timeout(url: String, commitment: CommitmentConfig, timeout: Duration) -> Self {
        Self::with_limits(url, commitment, timeout, Limits::default())
    }

    /// A ledger whose requests give up after `timeout` and keep to `limits`.
    pub fn with_limits(
        url: String,
        commitment: CommitmentConfig,
        timeout: Duration,
        limits: Limits,
    ) -> Self {
        let transport = std::sync::Arc::new(GentleSender::new(url, timeout, limits));
        let config = solana_rpc_client::rpc_client::RpcClientConfig::with_commitment(commitment);
        Self {
            client: RpcClient::new_sender(Shared(transport.clone()), config),
            commitment,
            timeout,
            transport: Some(transport),
            no_get_block: Default::default(),
            board: Default::default(),
            lifetimes: Default::default(),
        }
    }

    /// Over an existing client (a custom sender, a mock).
    pub fn with_client(client: RpcClient, commitment: CommitmentConfig) -> Self {
        Self {
            client,
            commitment,
            timeout: DEFAULT_REQUEST_TIMEOUT,
            transport: None,
            no_get_block: Default::default(),
            board: Default::default(),
            lifetimes: Default::default(),
        }
    }

    /// HTTP requests sent so far (retries included) and how many were
    /// retries; `None` over a client made elsewhere.
    pub fn requests(&self) -> Option<(u64, u64)> {
        self.transport.as_ref().map(|t| t.counts())
    }

    pub fn client(&self) -> &RpcClient {
        &self.client
    }

    pub fn url(&self) -> String {
        self.client.url()
    }

    /// An RPC failure as a client error: a refused transaction keeps the
    /// runtime's reason and the simulation logs; a node that does not answer
    /// in time says so; anything else is the node's word.
    fn error(&self, err: RpcClientError) -> ClientError {
        if let Some(failure) = err.get_transaction_error() {
            let logs = match err.kind() {
                ErrorKind::RpcError(RpcError::RpcResponseError {
                    data: RpcResponseErrorData::SendTransactionPreflightFailure(result),
                    ..
                }) => result.logs.clone().unwrap_or_default(),
                _ => vec![],
            };
            return ClientError::Failed {
                failure: Failure::new(failure),
                logs,
            };
        }
        // No JSON-RPC answer: the node named, and what failed (said by the
        // transport, perhaps inside the RPC client's own wording).
        if let ErrorKind::Reqwest(error) = err.kind() {
            return ClientError::Unreachable {
                url: self.url(),
                why: sender::what_failed(&self.url(), error, self.timeout),
            };
        }
        let text = err.to_string();
        if let Some((_, said)) = text.split_once(sender::UNREACHABLE) {
            if let Some((url, why)) = said.split_once(": ") {
                return ClientError::Unreachable {
                    url: url.to_string(),
                    why: why.to_string(),
                };
            }
        }
        ClientError::Ledger(text)
    }
}

/// Compiled inner instructions, in execution order.
fn compiled_inner(inner: Vec<UiInnerInstructions>) -> Vec<CompiledInstruction> {
    inner
        .into_iter()
        .flat_map(|set| set.instructions)
        .filter_map(|instruction| match instruction {
            UiInstruction::Compiled(compiled) => Some(CompiledInstruction {
                program_id_index: compiled.program_id_index,
                accounts: compiled.accounts,
                data: bs58::decode(&compiled.data).into_vec().ok()?,
            }),
            UiInstruction::Parsed(_) => None,
        })
        .collect()
}

/// Inner instructions as (program id, data), resolving program ids with `keys`.
fn decode_inner(inner: Vec<UiInnerInstructions>, keys: &[Pubkey]) -> Vec<(Pubkey, Vec<u8>)> {
    compiled_inner(inner)
        .into_iter()
        .filter_map(|ix| {
            let program = keys.get(usize::from(ix.program_id_index))?;
            Some((*program, ix.data))
        })
        .collect()
}

#[async_trait]
impl Ledger for RpcLedger {
    async fn latest_blockhash(&self) -> Result<Hash, ClientError> {
        let (blockhash, last_valid_block_height) = self
            .client
            .get_latest_blockhash_with_commitment(self.commitment)
            .await
            .map_err(|e| self.error(e))?;
        self.lifetimes.remember(blockhash, last_valid_block_height);
        Ok(blockhash)
    }

    async fn block_height(&self) -> Result<u64, ClientError> {
        // Below confirmed, a fork that does not last could show a height
        // its blocks never reach.
        let commitment = if self.commitment == CommitmentConfig::processed() {
            CommitmentConfig::confirmed()
        } else {
            self.commitment
        };
        self.client
            .get_block_height_with_commitment(commitment)
            .await
            .map_err(|e| self.error(e))
    }

    fn last_valid_block_height(&self, blockhash: &Hash) -> Option<u64> {
        self.lifetimes.of(blockhash)
    }

    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, ClientError> {
        let response = self
            .client
            .get_account_with_commitment(address, self.commitment)
            .await
            .map_err(|e| self.error(e))?;
        Ok(response.value)
    }

    async fn get_multiple_accounts(
        &self,
        addresses: &[Pubkey],
    ) -> Result<Vec<Option<Account>>, ClientError> {
        let mut out = Vec::with_capacity(addresses.len());
        // The RPC API's limit per call.
        for chunk in addresses.chunks(100) {
            let response = self
                .client
                .get_multiple_accounts_with_commitment(chunk, self.commitment)
                .await
                .map_err(|e| self.error(e))?;
            if response.value.len() != chunk.len() {
                return Err(ClientError::Ledger(format!(
                    "getMultipleAccounts answered {} accounts for {}",
                    response.value.len(),
                    chunk.len()
                )));
            }
            out.extend(response.value);
        }
        Ok(out)
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
            .map_err(|e| self.error(e))?
            .value;
        let logs = result.logs.unwrap_or_default();
        Ok(Simulation {
            err: result
                .err
                .map(|err| Failure::located(err.into(), &logs, &transaction.message)),
            logs,
            units_consumed: result.units_consumed.unwrap_or_default(),
            inner_instructions: decode_inner(
                result.inner_instructions.unwrap_or_default(),
                &transaction.message.account_keys,
            ),
        })
    }

    async fn send_and_confirm(&self, transaction: &Transaction) -> Result<Executed, ClientError> {
        let signature = self.send_and_confirm_quiet(transaction).await?;
        let events = self
            .events_of(&signature, &transaction.message.account_keys)
            .await?;
        Ok(Executed { signature, events })
    }

    async fn send_and_confirm_quiet(
        &self,
        transaction: &Transaction,
    ) -> Result<Signature, ClientError> {
        let signature = transaction.signatures.first().copied().unwrap_or_default();
        self.send_first(transaction).await?;
        self.confirm(&signature, Some(transaction))
            .await
            .map_err(|error| error.located(&transaction.message))?;
        Ok(signature)
    }

    async fn signature_status(
        &self,
        signature: &Signature,
    ) -> Result<Option<Result<(), TransactionError>>, ClientError> {
        Ok(self
            .status_of(signature)
            .await?
            // Processed is not landed: a fork can still drop it.
            .filter(|s| s.satisfies_commitment(self.commitment))
            .map(|s| s.err.map_or(Ok(()), Err)))
    }

    async fn signature_seen(&self, signature: &Signature) -> Result<bool, ClientError> {
        Ok(self.status_of(signature).await?.is_some())
    }

    async fn is_blockhash_valid(&self, blockhash: &Hash) -> Result<bool, ClientError> {
        self.client
            .is_blockhash_valid(blockhash, self.commitment)
            .await
            .map_err(|e| self.error(e))
    }

    async fn history(&self, address: &Pubkey) -> Result<Vec<RecordedTransaction>, ClientError> {
        let concurrency = crate::history::DEFAULT_CONCURRENCY;
        let mut reader =
            crate::history::HistoryReader::open(self, address, None, &[], concurrency, &mut |_| {})
                .await?;
        let mut out = Vec::new();
        while let Some(tx) = reader.next().await? {
            out.push(tx);
        }
        self.order_within_slots(&mut out).await;
        Ok(out)
    }

    async fn signatures(
        &self,
        address: &Pubkey,
        before: Option<&Signature>,
        until: Option<&Signature>,
        limit: usize,
    ) -> Result<Vec<Listed>, ClientError> {
        let config = GetConfirmedSignaturesForAddress2Config {
            before: before.copied(),
            until: until.copied(),
            limit: Some(limit),
            commitment: Some(self.commitment),
        };
        let page = self
            .client
            .get_signatures_for_address_with_config(address, config)
            .await
            .map_err(|e| self.error(e))?;
        page.into_iter()
            .map(|status| {
                let signature = status.signature.parse::<Signature>().map_err(|_| {
                    ClientError::Ledger("the node returned a malformed signature".into())
                })?;
                Ok(Listed {
                    signature,
                    slot: status.slot,
                    failed: status.err.is_some(),
                })
            })
            .collect()
    }

    async fn recorded(
        &self,
        _address: &Pubkey,
        signature: &Signature,
    ) -> Result<RecordedTransaction, ClientError> {
        self.fetch_recorded(signature).await
    }

    async fn holdings(
        &self,
        mint: &Pubkey,
        token_program: &Pubkey,
    ) -> Result<Vec<crate::ledger::Holding>, ClientError> {
        self.list_holdings(mint, token_program).await
    }

    fn requests_sent(&self) -> Option<u64> {
        self.requests().map(|(sent, _)| sent)
    }

    async fn block_order(&self, slot: u64) -> Result<Option<Vec<Signature>>, ClientError> {
        let commitment = if self.commitment == CommitmentConfig::processed() {
            CommitmentConfig::confirmed()
        } else {
            self.commitment
        };
        let config = RpcBlockConfig {
            encoding: None,
            transaction_details: Some(TransactionDetails::Signatures),
            rewards: Some(false),
            commitment: Some(commitment),
            max_supported_transaction_version: Some(0),
        };
        use std::sync::atomic::Ordering;
        if self.no_get_block.load(Ordering::Relaxed) {
            return Ok(None);
        }
        // A node without the block (or without getBlock) cannot say.
        let block = match self.client.get_block_with_config(slot, config).await {
            Ok(block) => block,
            Err(error) => {
                let method_not_found = matches!(
                    error.kind(),
                    ErrorKind::RpcError(RpcError::RpcResponseError { code: -32601, .. })
                );
                if method_not_found {
                    self.no_get_block.store(true, Ordering::Relaxed);
                }
                return Ok(None);
            }
        };
        Ok(Some(
            block
                .signatures
                .unwrap_or_default()
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect(),
        ))
    }

    async fn minimum_balance_for_rent_exemption(
        &self,
        data_len: usize,
    ) -> Result<u64, ClientError> {
        self.client
            .get_minimum_balance_for_rent_exemption(data_len)
            .await
            .map_err(|e| self.error(e))
    }
}

impl RpcLedger {
    /// What the node knows of `signature`, at any commitment, its whole history searched.
    async fn status_of(
        &self,
        signature: &Signature,
    ) -> Result<Option<solana_transaction_status_client_types::TransactionStatus>, ClientError>
    {
        let statuses = self
            .client
            .get_signature_statuses_with_history(&[*signature])
            .await
            .map_err(|e| self.error(e))?
            .value;
        Ok(statuses.into_iter().next().flatten())
    }

    async fn transaction(
        &self,
        signature: &Signature,
    ) -> Result<EncodedConfirmedTransactionWithStatusMeta, ClientError> {
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Base64),
            commitment: Some(self.commitment),
            max_supported_transaction_version: Some(0),
        };
        self.client
            .get_transaction_with_config(signature, config)
            .await
            .map_err(|e| self.error(e))
    }

    /// A confirmed transaction, legacy or v0, decoded for replay: a v0
    /// transaction's instructions are resolved against its static keys and
    /// the addresses it loaded from lookup tables, as the node reports them.
    async fn fetch_recorded(
        &self,
        signature: &Signature,
    ) -> Result<RecordedTransaction, ClientError> {
        let movements::Fetched {
            slot,
            block_time,
            decoded,
            meta,
            keys,
        } = self.fetch_decoded(signature).await?;
        let inner = match meta.map(|meta| meta.inner_instructions) {
            Some(OptionSerializer::Some(inner)) => compiled_inner(inner),
            _ => vec![],
        };
        Ok(RecordedTransaction::resolve(
            *signature,
            slot,
            block_time,
            &keys,
            decoded.message.instructions(),
            &inner,
        ))
    }

    /// Transactions of one slot come back from `getSignaturesForAddress` in
    /// an order not every node keeps as the execution order. Where a slot
    /// holds several, ask the node for the block's own order; a node without
    /// that block (or without `getBlock`) leaves their positions unknown.
    async fn order_within_slots(&self, history: &mut [RecordedTransaction]) {
        let mut per_slot: HashMap<u64, usize> = HashMap::new();
        for tx in history.iter() {
            *per_slot.entry(tx.slot).or_default() += 1;
        }
        for (slot, count) in per_slot {
            if count < 2 {
                continue;
            }
            let Ok(Some(order)) = self.block_order(slot).await else {
                continue;
            };
            let order: HashMap<Signature, u64> = order.into_iter().zip(0u64..).collect();
            for tx in history.iter_mut().filter(|tx| tx.slot == slot) {
                tx.position = order.get(&tx.signature).copied();
            }
        }
        // Stable: a slot whose order is unknown keeps the node's.
        history.sort_by_key(|tx| (tx.slot, tx.position));
    }

    /// The program events a confirmed transaction emitted, read from the node.
    async fn events_of(
        &self,
        signature: &Signature,
        keys: &[Pubkey],
    ) -> Result<Vec<crate::events::Usd1Event>, ClientError> {
        let transaction = self.transaction(signature).await?;
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
