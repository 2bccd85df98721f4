//! Solana JSON-RPC over HTTP in front of the [`Chain`]: the methods that
//! `RpcClient`, the `usd1` CLI, the oracle and common wallets call, answered
//! with agave's own response types so they have a validator's shape.

mod accounts;
mod cluster;
mod tokens;
mod transactions;

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
use solana_sdk::message::VersionedMessage;
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

    fn not_found() -> Self {
        Self {
            code: -32601,
            message: String::from("Method not found"),
            data: None,
        }
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

async fn answer(chain: &Arc<Chain>, request: Value) -> Value {
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

/// The methods this endpoint serves, by group.
pub const METHODS: [&[&str]; 4] = [
    cluster::METHODS,
    accounts::METHODS,
    tokens::METHODS,
    transactions::METHODS,
];

/// One request: the chain, its params, and the slot it is answered at.
struct Call<'a> {
    chain: &'a Arc<Chain>,
    params: &'a [Value],
    slot: u64,
}

impl Call<'_> {
    /// `value` with the slot it was read at, as the `RpcResponse` methods answer.
    fn context(&self, value: Value) -> Value {
        json!(Response {
            context: RpcResponseContext {
                slot: self.slot,
                api_version: None
            },
            value
        })
    }
}

async fn call(chain: &Arc<Chain>, method: &str, params: &[Value]) -> RpcResult {
    chain.touch();
    let c = Call {
        chain,
        params,
        slot: chain.slot().await,
    };
    if cluster::METHODS.contains(&method) {
        cluster::call(&c, method).await
    } else if accounts::METHODS.contains(&method) {
        accounts::call(&c, method).await
    } else if tokens::METHODS.contains(&method) {
        tokens::call(&c, method).await
    } else if transactions::METHODS.contains(&method) {
        transactions::call(&c, method).await
    } else {
        Err(RpcError::not_found())
    }
}

async fn block_height(chain: &Chain) -> Result<u64, RpcError> {
    chain.block_height().await.map_err(RpcError::internal)
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

pub(crate) fn allows(filter: &RpcFilterType, data: &[u8]) -> bool {
    match filter {
        RpcFilterType::DataSize(size) => data.len() as u64 == *size,
        RpcFilterType::Memcmp(memcmp) => memcmp.bytes_match(data),
        RpcFilterType::TokenAccountState => data.len() >= 165,
    }
}
