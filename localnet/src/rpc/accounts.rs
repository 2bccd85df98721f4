//! Account methods: balances, one account, several, a program's accounts.
use super::*;

pub(super) const METHODS: &[&str] = &[
    "getBalance",
    "getAccountInfo",
    "getMultipleAccounts",
    "getProgramAccounts",
];

pub(super) async fn call(c: &Call<'_>, method: &str) -> RpcResult {
    let (chain, params, banks) = (c.chain, c.params, c.chain.banks());
    match method {
        "getBalance" => {
            let address = pubkey_param(params, 0)?;
            Ok(c.context(json!(banks
                .get_balance(address)
                .await
                .map_err(RpcError::internal)?)))
        }
        "getAccountInfo" => {
            let address = pubkey_param(params, 0)?;
            let (encoding, slice) = encoding_of(params.get(1))?;
            let account = banks
                .get_account(address)
                .await
                .map_err(RpcError::internal)?;
            let encoded = match account {
                Some(a) => Some(encode::account(chain, &address, &a, encoding, slice).await),
                None => None,
            };
            Ok(c.context(json!(encoded)))
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
                let account = banks
                    .get_account(address)
                    .await
                    .map_err(RpcError::internal)?;
                accounts.push(match account {
                    Some(a) => Some(encode::account(chain, &address, &a, encoding, slice).await),
                    None => None,
                });
            }
            Ok(c.context(json!(accounts)))
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
                .map_err(RpcError::internal)?
                .into_iter()
                .filter(|(_, a)| a.owner == program && filters.iter().all(|f| allows(f, &a.data)));
            let accounts = keyed(chain, matching, encoding, slice).await;
            if config.get("withContext").and_then(Value::as_bool) == Some(true) {
                Ok(c.context(json!(accounts)))
            } else {
                Ok(json!(accounts))
            }
        }
        _ => Err(RpcError::not_found()),
    }
}
