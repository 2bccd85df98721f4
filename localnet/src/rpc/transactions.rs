//! Transaction methods: send, simulate, statuses, history, one transaction, airdrops.
use super::*;

pub(super) const METHODS: &[&str] = &[
    "sendTransaction",
    "simulateTransaction",
    "getSignatureStatuses",
    "getSignaturesForAddress",
    "getTransaction",
    "requestAirdrop",
];

pub(super) async fn call(c: &Call<'_>, method: &str) -> RpcResult {
    let (chain, params) = (c.chain, c.params);
    match method {
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
                Err(SendError::Persist(why)) => Err(RpcError::internal(why)),
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
                let (blockhash, last_valid_block_height) =
                    chain.latest_blockhash().await.map_err(RpcError::internal)?;
                transaction.message.set_recent_blockhash(blockhash);
                replacement = Some(RpcBlockhash {
                    blockhash: blockhash.to_string(),
                    last_valid_block_height,
                });
            } else if config.get("sigVerify").and_then(Value::as_bool) == Some(true)
                && !transaction.verify_with_results().iter().all(|ok| *ok)
            {
                return Err(RpcError::invalid_params(
                    "Transaction signature verification failure",
                ));
            }
            let simulated = chain
                .simulate(&transaction)
                .await
                .map_err(RpcError::internal)?;
            let mut result = simulation_result(&simulated);
            if config.get("innerInstructions").and_then(Value::as_bool) != Some(true) {
                result.inner_instructions = None;
            }
            result.replacement_blockhash = replacement;
            Ok(c.context(json!(result)))
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
            Ok(c.context(json!(statuses)))
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
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            let page: Vec<RpcConfirmedTransactionStatusWithSignature> = chain
                .records_for(&address, before.as_ref(), until.as_ref(), limit)
                .into_iter()
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
        _ => Err(RpcError::not_found()),
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
