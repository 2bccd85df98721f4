//! Solana JSON-RPC over HTTP in front of the [`Chain`]: the methods that
//! `RpcClient`, the `usd1` CLI, the oracle and common wallets call, answered
//! with agave's own response types so they have a validator's shape.
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use solana_account_decoder_client_types::{UiAccountEncoding, UiDataSliceConfig};
use solana_rpc_client_api::custom_error::JSON_RPC_SERVER_ERROR_UNSUPPORTED_TRANSACTION_VERSION;
use solana_rpc_client_api::filter::RpcFilterType;
use solana_rpc_client_api::response::{
    Response, RpcBlockhash, RpcConfirmedTransactionStatusWithSignature, RpcKeyedAccount,
    RpcPrioritizationFee, RpcResponseContext, RpcSimulateTransactionResult, RpcTokenAccountBalance,
    RpcVersionInfo,
};
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::message::{Message, VersionedMessage};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::sysvar::{epoch_schedule::EpochSchedule, rent::Rent};
use solana_sdk::transaction::VersionedTransaction;
use solana_transaction_status::{EncodeError, UiTransactionEncoding};
use solana_transaction_status_client_types::{
    TransactionConfirmationStatus, TransactionStatus, UiInnerInstructions,
};
use spl_token_2022_interface::extension::StateWithExtensions;
use spl_token_2022_interface::state::Mint;

use crate::chain::{legacy_message, Chain, SendError, Simulated};
use crate::encode;

/// How many blocks a blockhash stays usable for, as on a validator.
const MAX_PROCESSING_AGE: u64 = 150;

/// A JSON-RPC error: code, message, optional data.
#[derive(Debug)]
pub struct RpcError {
    code: i64,
    message: String,
    data: Option<Value>,
}

impl RpcError {
    fn invalid_params(message: impl Into<String>) -> Self {
        Self {
            code: -32602,
            message: message.into(),
            data: None,
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    fn internal(message: impl std::fmt::Display) -> Self {
        Self {
            code: -32603,
            message: message.to_string(),
            data: None,
        }
    }
}

type RpcResult = Result<Value, RpcError>;

/// The HTTP app: POST / with a JSON-RPC request or a batch.
pub fn router(chain: Arc<Chain>) -> Router {
    Router::new()
        .route("/", post(handle))
        .route("/health", axum::routing::get(|| async { "ok" }))
        .with_state(chain)
}

async fn handle(State(chain): State<Arc<Chain>>, Json(body): Json<Value>) -> Json<Value> {
    match body {
        Value::Array(requests) => {
            let mut answers = Vec::with_capacity(requests.len());
            for request in requests {
                answers.push(answer(&chain, request).await);
            }
            Json(Value::Array(answers))
        }
        request => Json(answer(&chain, request).await),
    }
}

async fn answer(chain: &Chain, request: Value) -> Value {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return json!({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid request"}, "id": id});
    };
    let params = match request.get("params") {
        Some(Value::Array(p)) => p.clone(),
        None | Some(Value::Null) => vec![],
        Some(_) => {
            return json!({"jsonrpc": "2.0", "error": {"code": -32602, "message": "params must be an array"}, "id": id})
        }
    };
    match call(chain, method, &params).await {
        Ok(result) => json!({"jsonrpc": "2.0", "result": result, "id": id}),
        Err(error) => {
            let mut body = json!({"code": error.code, "message": error.message});
            if let Some(data) = error.data {
                body["data"] = data;
            }
            json!({"jsonrpc": "2.0", "error": body, "id": id})
        }
    }
}

/// The methods this endpoint serves.
pub const METHODS: &[&str] = &[
    "getVersion",
    "getHealth",
    "getSlot",
    "getBlockHeight",
    "getEpochInfo",
    "getLatestBlockhash",
    "isBlockhashValid",
    "getFeeForMessage",
    "getMinimumBalanceForRentExemption",
    "getBalance",
    "getAccountInfo",
    "getMultipleAccounts",
    "getProgramAccounts",
    "getTokenAccountBalance",
    "getTokenAccountsByOwner",
    "getTokenAccountsByDelegate",
    "getTokenLargestAccounts",
    "getTokenSupply",
    "sendTransaction",
    "simulateTransaction",
    "getSignatureStatuses",
    "getSignaturesForAddress",
    "getTransaction",
    "requestAirdrop",
    "getRecentPrioritizationFees",
];

async fn call(chain: &Chain, method: &str, params: &[Value]) -> RpcResult {
    chain.touch();
    let banks = chain.banks();
    let slot = chain.slot().await;
    let context = |value: Value| {
        json!(Response {
            context: RpcResponseContext {
                slot,
                api_version: None
            },
            value
        })
    };
    let banks_error = RpcError::internal;
    match method {
        "getVersion" => Ok(json!(RpcVersionInfo {
            solana_core: String::from("3.1.12"),
            feature_set: None
        })),
        "getHealth" => Ok(json!("ok")),
        "getSlot" => Ok(json!(slot)),
        "getBlockHeight" => Ok(json!(block_height(chain).await?)),
        "getEpochInfo" => {
            let schedule: EpochSchedule = banks.get_sysvar().await.map_err(banks_error)?;
            let (epoch, slot_index) = schedule.get_epoch_and_slot_index(slot);
            Ok(json!(solana_sdk::epoch_info::EpochInfo {
                epoch,
                slot_index,
                slots_in_epoch: schedule.get_slots_in_epoch(epoch),
                absolute_slot: slot,
                block_height: block_height(chain).await?,
                transaction_count: Some(chain.transaction_count()),
            }))
        }
        "getLatestBlockhash" => {
            let blockhash = banks.get_latest_blockhash().await.map_err(banks_error)?;
            let height = block_height(chain).await?;
            Ok(context(json!(RpcBlockhash {
                blockhash: blockhash.to_string(),
                last_valid_block_height: height.saturating_add(MAX_PROCESSING_AGE),
            })))
        }
        "isBlockhashValid" => {
            let blockhash = Hash::from_str(str_param(params, 0)?)
                .map_err(|_| RpcError::invalid_params("invalid blockhash"))?;
            let probe = Message::new_with_blockhash(&[], Some(&Pubkey::new_unique()), &blockhash);
            let fee = banks
                .get_fee_for_message(probe)
                .await
                .map_err(banks_error)?;
            Ok(context(json!(fee.is_some())))
        }
        "getFeeForMessage" => {
            let bytes = base64_param(params, 0)?;
            let message: VersionedMessage = bincode::deserialize(&bytes)
                .map_err(|_| RpcError::invalid_params("invalid message"))?;
            let legacy = legacy_message(&message);
            let fee = banks
                .get_fee_for_message(legacy)
                .await
                .map_err(banks_error)?;
            Ok(context(json!(fee)))
        }
        "getMinimumBalanceForRentExemption" => {
            let len = params
                .first()
                .and_then(Value::as_u64)
                .ok_or_else(|| RpcError::invalid_params("expected a data length"))?;
            let rent: Rent = banks.get_sysvar().await.map_err(banks_error)?;
            Ok(json!(rent.minimum_balance(
                usize::try_from(len).unwrap_or(usize::MAX)
            )))
        }
        "getBalance" => {
            let address = pubkey_param(params, 0)?;
            Ok(context(json!(banks
                .get_balance(address)
                .await
                .map_err(banks_error)?)))
        }
        "getAccountInfo" => {
            let address = pubkey_param(params, 0)?;
            let (encoding, slice) = encoding_of(params.get(1))?;
            let account = banks.get_account(address).await.map_err(banks_error)?;
            let encoded = match account {
                Some(a) => Some(encode::account(chain, &address, &a, encoding, slice).await),
                None => None,
            };
            Ok(context(json!(encoded)))
        }
        "getMultipleAccounts" => {
            let addresses = params
                .first()
                .and_then(Value::as_array)
                .ok_or_else(|| RpcError::invalid_params("expected an array of addresses"))?;
            let (encoding, slice) = encoding_of(params.get(1))?;
            let mut accounts = Vec::new();
            for address in addresses {
                let address = parse_pubkey(address.as_str().unwrap_or_default())?;
                let account = banks.get_account(address).await.map_err(banks_error)?;
                accounts.push(match account {
                    Some(a) => Some(encode::account(chain, &address, &a, encoding, slice).await),
                    None => None,
                });
            }
            Ok(context(json!(accounts)))
        }
        "getProgramAccounts" => {
            let program = pubkey_param(params, 0)?;
            let config = params.get(1).cloned().unwrap_or(Value::Null);
            let (encoding, slice) = encoding_of(params.get(1))?;
            let filters: Vec<RpcFilterType> = match config.get("filters") {
                Some(f) if !f.is_null() => serde_json::from_value(f.clone())
                    .map_err(|e| RpcError::invalid_params(format!("bad filters: {e}")))?,
                _ => vec![],
            };
            let matching = chain
                .known_accounts()
                .await
                .map_err(banks_error)?
                .into_iter()
                .filter(|(_, a)| a.owner == program && filters.iter().all(|f| allows(f, &a.data)));
            let accounts = keyed(chain, matching, encoding, slice).await;
            if config.get("withContext").and_then(Value::as_bool) == Some(true) {
                Ok(context(json!(accounts)))
            } else {
                Ok(json!(accounts))
            }
        }
        "getTokenAccountBalance" => {
            let address = pubkey_param(params, 0)?;
            let account = banks
                .get_account(address)
                .await
                .map_err(banks_error)?
                .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find account"))?;
            let token = token_account(&account.data)
                .filter(|_| encode::is_token_program(&account.owner))
                .ok_or_else(|| RpcError::invalid_params("Invalid param: not a Token account"))?;
            let data = encode::mint_data_of(chain, &token.mint)
                .await
                .ok_or_else(|| RpcError::invalid_params("Invalid param: not a Token mint"))?;
            Ok(context(json!(encode::token_amount(token.amount, &data))))
        }
        "getTokenSupply" => {
            let mint = pubkey_param(params, 0)?;
            let account = banks
                .get_account(mint)
                .await
                .map_err(banks_error)?
                .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find account"))?;
            let now = banks
                .get_sysvar::<solana_sdk::sysvar::clock::Clock>()
                .await
                .map_err(banks_error)?
                .unix_timestamp;
            let supply = StateWithExtensions::<Mint>::unpack(&account.data)
                .ok()
                .filter(|_| encode::is_token_program(&account.owner))
                .map(|m| m.base.supply);
            let (Some(supply), Some(data)) = (supply, encode::mint_data(&account.data, now)) else {
                return Err(RpcError::invalid_params("Invalid param: not a Token mint"));
            };
            Ok(context(json!(encode::token_amount(supply, &data))))
        }
        "getTokenAccountsByOwner" | "getTokenAccountsByDelegate" => {
            let holder = pubkey_param(params, 0)?;
            let filter = params.get(1).cloned().unwrap_or(Value::Null);
            let mint_filter = filter
                .get("mint")
                .and_then(Value::as_str)
                .map(parse_pubkey)
                .transpose()?;
            let program_filter = filter
                .get("programId")
                .and_then(Value::as_str)
                .map(parse_pubkey)
                .transpose()?;
            if mint_filter.is_none() && program_filter.is_none() {
                return Err(RpcError::invalid_params(
                    "Invalid param: expected mint or programId",
                ));
            }
            if program_filter.is_some_and(|p| !encode::is_token_program(&p)) {
                return Err(RpcError::invalid_params(
                    "Invalid param: unrecognized Token program id",
                ));
            }
            let by_delegate = method == "getTokenAccountsByDelegate";
            let (encoding, slice) = encoding_of(params.get(2))?;
            let matching = chain
                .known_accounts()
                .await
                .map_err(banks_error)?
                .into_iter()
                .filter(|(_, a)| {
                    encode::is_token_program(&a.owner)
                        && program_filter.is_none_or(|p| p == a.owner)
                })
                .filter(|(_, a)| match token_account(&a.data) {
                    Some(token) => {
                        let party = if by_delegate {
                            Option::<Pubkey>::from(token.delegate)
                        } else {
                            Some(token.owner)
                        };
                        party == Some(holder) && mint_filter.is_none_or(|m| m == token.mint)
                    }
                    None => false,
                });
            Ok(context(json!(
                keyed(chain, matching, encoding, slice).await
            )))
        }
        "getTokenLargestAccounts" => {
            let mint = pubkey_param(params, 0)?;
            let data = encode::mint_data_of(chain, &mint)
                .await
                .ok_or_else(|| RpcError::invalid_params("Invalid param: not a Token mint"))?;
            let mut holders: Vec<(Pubkey, u64)> = chain
                .known_accounts()
                .await
                .map_err(banks_error)?
                .into_iter()
                .filter(|(_, a)| encode::is_token_program(&a.owner))
                .filter_map(|(address, a)| {
                    let token = token_account(&a.data)?;
                    (token.mint == mint).then_some((address, token.amount))
                })
                .collect();
            // Largest first, as a validator answers; at most 20.
            holders.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            holders.truncate(20);
            let largest: Vec<RpcTokenAccountBalance> = holders
                .into_iter()
                .map(|(address, amount)| RpcTokenAccountBalance {
                    address: address.to_string(),
                    amount: encode::token_amount(amount, &data),
                })
                .collect();
            Ok(context(json!(largest)))
        }
        "sendTransaction" => {
            let transaction = transaction_param(params)?;
            let skip_preflight = params
                .get(1)
                .and_then(|c| c.get("skipPreflight"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            match chain.send(transaction, !skip_preflight).await {
                Ok(signature) => Ok(json!(signature.to_string())),
                Err(SendError::Preflight(simulated)) => Err(RpcError {
                    code: -32002,
                    message: format!(
                        "Transaction simulation failed: {}",
                        simulated
                            .err
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default()
                    ),
                    data: Some(json!(simulation_result(&simulated))),
                }),
                Err(SendError::Rejected(error)) => Err(RpcError {
                    code: -32002,
                    message: format!("Transaction simulation failed: {error}"),
                    data: Some(json!(simulation_result(&Simulated {
                        err: Some(error),
                        ..Simulated::default()
                    }))),
                }),
                Err(SendError::Banks(error)) => Err(RpcError::internal(error)),
                Err(SendError::Persist(error)) => Err(RpcError::internal(format!(
                    "landed but not kept in the ledger folder: {error}"
                ))),
            }
        }
        "simulateTransaction" => {
            let mut transaction = transaction_param(params)?;
            let config = params.get(1).cloned().unwrap_or(Value::Null);
            let mut replacement = None;
            if config
                .get("replaceRecentBlockhash")
                .and_then(Value::as_bool)
                == Some(true)
            {
                let blockhash = banks.get_latest_blockhash().await.map_err(banks_error)?;
                transaction.message.set_recent_blockhash(blockhash);
                replacement = Some(RpcBlockhash {
                    blockhash: blockhash.to_string(),
                    last_valid_block_height: block_height(chain)
                        .await?
                        .saturating_add(MAX_PROCESSING_AGE),
                });
            } else if config.get("sigVerify").and_then(Value::as_bool) == Some(true)
                && !transaction.verify_with_results().iter().all(|ok| *ok)
            {
                return Err(RpcError::invalid_params(
                    "Transaction signature verification failure",
                ));
            }
            let simulated = chain.simulate(&transaction).await.map_err(banks_error)?;
            let mut result = simulation_result(&simulated);
            if config.get("innerInstructions").and_then(Value::as_bool) != Some(true) {
                result.inner_instructions = None;
            }
            result.replacement_blockhash = replacement;
            Ok(context(json!(result)))
        }
        "getSignatureStatuses" => {
            let signatures = params
                .first()
                .and_then(Value::as_array)
                .ok_or_else(|| RpcError::invalid_params("expected an array of signatures"))?;
            let mut statuses = Vec::new();
            for signature in signatures {
                let signature = parse_signature(signature.as_str().unwrap_or_default())?;
                statuses.push(chain.record(&signature).map(|r| TransactionStatus {
                    slot: r.slot,
                    confirmations: None,
                    status: r.err.clone().map_or(Ok(()), Err),
                    err: r.err.clone(),
                    confirmation_status: Some(TransactionConfirmationStatus::Finalized),
                }));
            }
            Ok(context(json!(statuses)))
        }
        "getSignaturesForAddress" => {
            let address = pubkey_param(params, 0)?;
            let config = params.get(1).cloned().unwrap_or(Value::Null);
            let limit = config
                .get("limit")
                .and_then(Value::as_u64)
                .unwrap_or(1_000)
                .min(1_000);
            let before = config
                .get("before")
                .and_then(Value::as_str)
                .map(parse_signature)
                .transpose()?;
            let until = config
                .get("until")
                .and_then(Value::as_str)
                .map(parse_signature)
                .transpose()?;
            let mut records = chain.records_for(&address).into_iter();
            if let Some(before) = before {
                records.by_ref().find(|r| r.signature == before);
            }
            let page: Vec<RpcConfirmedTransactionStatusWithSignature> = records
                .take_while(|r| Some(r.signature) != until)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|r| RpcConfirmedTransactionStatusWithSignature {
                    signature: r.signature.to_string(),
                    slot: r.slot,
                    err: r.err.clone().map(Into::into),
                    memo: None,
                    block_time: Some(r.block_time),
                    confirmation_status: Some(TransactionConfirmationStatus::Finalized),
                })
                .collect();
            Ok(json!(page))
        }
        "getTransaction" => {
            let signature = parse_signature(str_param(params, 0)?)?;
            let (encoding, max_version) = match params.get(1) {
                Some(Value::String(e)) => (Value::String(e.clone()), None),
                Some(config) => (
                    config.get("encoding").cloned().unwrap_or(Value::Null),
                    config
                        .get("maxSupportedTransactionVersion")
                        .and_then(Value::as_u64)
                        .map(|v| u8::try_from(v).unwrap_or(u8::MAX)),
                ),
                None => (Value::Null, None),
            };
            let encoding: UiTransactionEncoding = if encoding.is_null() {
                UiTransactionEncoding::Json
            } else {
                serde_json::from_value(encoding)
                    .map_err(|_| RpcError::invalid_params("Invalid param: unknown encoding"))?
            };
            let Some(record) = chain.record(&signature) else {
                return Ok(Value::Null);
            };
            match encode::transaction(&record, encoding, max_version) {
                Ok(encoded) => Ok(json!(encoded)),
                Err(EncodeError::UnsupportedTransactionVersion(version)) => Err(RpcError {
                    code: JSON_RPC_SERVER_ERROR_UNSUPPORTED_TRANSACTION_VERSION,
                    message: format!(
                        "Transaction version ({version}) is not supported by the requesting client. \
                         Please try the request again with the following configuration parameter: \
                         \"maxSupportedTransactionVersion\": {version}"
                    ),
                    data: None,
                }),
            }
        }
        "requestAirdrop" => {
            let address = pubkey_param(params, 0)?;
            let lamports = params
                .get(1)
                .and_then(Value::as_u64)
                .ok_or_else(|| RpcError::invalid_params("expected lamports"))?;
            match chain.airdrop(&address, lamports).await {
                Ok(signature) => Ok(json!(signature.to_string())),
                Err(error) => Err(RpcError::internal(format!("airdrop failed: {error:?}"))),
            }
        }
        "getRecentPrioritizationFees" => Ok(json!([RpcPrioritizationFee {
            slot,
            prioritization_fee: 0
        }])),
        _ => Err(RpcError {
            code: -32601,
            message: String::from("Method not found"),
            data: None,
        }),
    }
}

async fn block_height(chain: &Chain) -> Result<u64, RpcError> {
    chain
        .banks()
        .get_root_block_height()
        .await
        .map(|h| h.saturating_add(1))
        .map_err(RpcError::internal)
}

fn str_param(params: &[Value], index: usize) -> Result<&str, RpcError> {
    params
        .get(index)
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params(format!("expected a string at param {index}")))
}

fn parse_pubkey(text: &str) -> Result<Pubkey, RpcError> {
    Pubkey::from_str(text).map_err(|_| RpcError::invalid_params("Invalid param: Invalid"))
}

fn pubkey_param(params: &[Value], index: usize) -> Result<Pubkey, RpcError> {
    parse_pubkey(str_param(params, index)?)
}

fn parse_signature(text: &str) -> Result<Signature, RpcError> {
    Signature::from_str(text).map_err(|_| RpcError::invalid_params("Invalid param: Invalid"))
}

fn base64_param(params: &[Value], index: usize) -> Result<Vec<u8>, RpcError> {
    base64::engine::general_purpose::STANDARD
        .decode(str_param(params, index)?)
        .map_err(|_| RpcError::invalid_params("invalid base64"))
}

fn transaction_param(params: &[Value]) -> Result<VersionedTransaction, RpcError> {
    let text = str_param(params, 0)?;
    let encoding = params
        .get(1)
        .and_then(|c| c.get("encoding"))
        .and_then(Value::as_str)
        .unwrap_or("base58");
    let bytes = match encoding {
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| RpcError::invalid_params("invalid base64"))?,
        "base58" => bs58::decode(text)
            .into_vec()
            .map_err(|_| RpcError::invalid_params("invalid base58"))?,
        other => {
            return Err(RpcError::invalid_params(format!(
                "unsupported encoding: {other}"
            )))
        }
    };
    bincode::deserialize(&bytes)
        .map_err(|_| RpcError::invalid_params("failed to deserialize transaction"))
}

pub(crate) fn encoding_of(
    config: Option<&Value>,
) -> Result<(UiAccountEncoding, Option<UiDataSliceConfig>), RpcError> {
    let config = config.cloned().unwrap_or(Value::Null);
    let encoding = match config.get("encoding") {
        Some(e) if !e.is_null() => serde_json::from_value(e.clone())
            .map_err(|_| RpcError::invalid_params("unknown encoding"))?,
        _ => UiAccountEncoding::Binary,
    };
    let slice = match config.get("dataSlice") {
        Some(s) if !s.is_null() => Some(
            serde_json::from_value(s.clone())
                .map_err(|_| RpcError::invalid_params("bad dataSlice"))?,
        ),
        _ => None,
    };
    Ok((encoding, slice))
}

/// Accounts with their addresses, each in `encoding`.
async fn keyed(
    chain: &Chain,
    accounts: impl Iterator<Item = (Pubkey, Account)>,
    encoding: UiAccountEncoding,
    slice: Option<UiDataSliceConfig>,
) -> Vec<RpcKeyedAccount> {
    let mut keyed = Vec::new();
    for (address, account) in accounts {
        keyed.push(RpcKeyedAccount {
            pubkey: address.to_string(),
            account: encode::account(chain, &address, &account, encoding, slice).await,
        });
    }
    keyed
}

/// The base state of an SPL Token or Token-2022 account (extensions aside).
fn token_account(data: &[u8]) -> Option<spl_token_2022_interface::state::Account> {
    StateWithExtensions::<spl_token_2022_interface::state::Account>::unpack(data)
        .ok()
        .map(|state| state.base)
}

pub(crate) fn allows(filter: &RpcFilterType, data: &[u8]) -> bool {
    match filter {
        RpcFilterType::DataSize(size) => data.len() as u64 == *size,
        RpcFilterType::Memcmp(memcmp) => memcmp.bytes_match(data),
        RpcFilterType::TokenAccountState => data.len() >= 165,
    }
}

fn simulation_result(simulated: &Simulated) -> RpcSimulateTransactionResult {
    RpcSimulateTransactionResult {
        err: simulated.err.clone().map(Into::into),
        logs: Some(simulated.logs.clone()),
        accounts: None,
        units_consumed: Some(simulated.units_consumed),
        loaded_accounts_data_size: None,
        return_data: None,
        inner_instructions: Some(
            simulated
                .inner_instructions
                .iter()
                .cloned()
                .map(UiInnerInstructions::from)
                .collect(),
        ),
        replacement_blockhash: None,
        fee: None,
        pre_balances: None,
        post_balances: None,
        pre_token_balances: None,
        post_token_balances: None,
        loaded_addresses: None,
    }
}
