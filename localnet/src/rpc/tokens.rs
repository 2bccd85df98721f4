//! Token methods: token account balances, supply, accounts by owner or delegate, largest holders.
use super::*;

pub(super) const METHODS: &[&str] = &[
    "getTokenAccountBalance",
    "getTokenSupply",
    "getTokenAccountsByOwner",
    "getTokenAccountsByDelegate",
    "getTokenLargestAccounts",
];

pub(super) async fn call(c: &Call<'_>, method: &str) -> RpcResult {
    let (chain, params, banks) = (c.chain, c.params, c.chain.banks());
    match method {
        "getTokenAccountBalance" => {
            let address = pubkey_param(params, 0)?;
            let account = banks
                .get_account(address)
                .await
                .map_err(RpcError::internal)?
                .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find account"))?;
            let token = token_account(&account.data)
                .filter(|_| encode::is_token_program(&account.owner))
                .ok_or_else(|| RpcError::invalid_params("Invalid param: not a Token account"))?;
            let data = encode::mint_data_of(chain, &token.mint)
                .await
                .ok_or_else(|| RpcError::invalid_params("Invalid param: not a Token mint"))?;
            Ok(c.context(json!(encode::token_amount(token.amount, &data))))
        }
        "getTokenSupply" => {
            let mint = pubkey_param(params, 0)?;
            let account = banks
                .get_account(mint)
                .await
                .map_err(RpcError::internal)?
                .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find account"))?;
            let now = banks
                .get_sysvar::<solana_sdk::sysvar::clock::Clock>()
                .await
                .map_err(RpcError::internal)?
                .unix_timestamp;
            let supply = StateWithExtensions::<Mint>::unpack(&account.data)
                .ok()
                .filter(|_| encode::is_token_program(&account.owner))
                .map(|m| m.base.supply);
            let (Some(supply), Some(data)) = (supply, encode::mint_data(&account.data, now)) else {
                return Err(RpcError::invalid_params("Invalid param: not a Token mint"));
            };
            Ok(c.context(json!(encode::token_amount(supply, &data))))
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
                .map_err(RpcError::internal)?
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
            Ok(c.context(json!(keyed(chain, matching, encoding, slice).await)))
        }
        "getTokenLargestAccounts" => {
            let mint = pubkey_param(params, 0)?;
            let data = encode::mint_data_of(chain, &mint)
                .await
                .ok_or_else(|| RpcError::invalid_params("Invalid param: not a Token mint"))?;
            let mut holders: Vec<(Pubkey, u64)> = chain
                .known_accounts()
                .await
                .map_err(RpcError::internal)?
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
            Ok(c.context(json!(largest)))
        }
        _ => Err(RpcError::not_found()),
    }
}

/// The base state of an SPL Token or Token-2022 account (extensions aside).
fn token_account(data: &[u8]) -> Option<spl_token_2022_interface::state::Account> {
    StateWithExtensions::<spl_token_2022_interface::state::Account>::unpack(data)
        .ok()
        .map(|state| state.base)
}
