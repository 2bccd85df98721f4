//! Cluster methods: version, health, slot and height, epoch, blockhashes, fees, rent.
use super::*;

pub(super) const METHODS: &[&str] = &[
    "getVersion",
    "getHealth",
    "getSlot",
    "getBlockHeight",
    "getEpochInfo",
    "getLatestBlockhash",
    "isBlockhashValid",
    "getFeeForMessage",
    "getMinimumBalanceForRentExemption",
    "getRecentPrioritizationFees",
];

pub(super) async fn call(c: &Call<'_>, method: &str) -> RpcResult {
    let (chain, params, slot, banks) = (c.chain, c.params, c.slot, c.chain.banks());
    match method {
        "getVersion" => Ok(json!(RpcVersionInfo {
            solana_core: String::from("3.1.12"),
            feature_set: None
        })),
        "getHealth" => Ok(json!("ok")),
        "getSlot" => Ok(json!(slot)),
        "getBlockHeight" => Ok(json!(block_height(chain).await?)),
        "getEpochInfo" => {
            let schedule: EpochSchedule = banks.get_sysvar().await.map_err(RpcError::internal)?;
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
            let (blockhash, last_valid_block_height) =
                chain.latest_blockhash().await.map_err(RpcError::internal)?;
            Ok(c.context(json!(RpcBlockhash {
                blockhash: blockhash.to_string(),
                last_valid_block_height,
            })))
        }
        "isBlockhashValid" => {
            let blockhash = Hash::from_str(str_param(params, 0)?)
                .map_err(|_| RpcError::invalid_params("invalid blockhash"))?;
            let valid = chain
                .is_blockhash_valid(&blockhash)
                .await
                .map_err(RpcError::internal)?;
            Ok(c.context(json!(valid)))
        }
        "getFeeForMessage" => {
            let bytes = base64_param(params, 0)?;
            let message: VersionedMessage = bincode::deserialize(&bytes)
                .map_err(|_| RpcError::invalid_params("invalid message"))?;
            let legacy = legacy_message(&message);
            let fee = banks
                .get_fee_for_message(legacy)
                .await
                .map_err(RpcError::internal)?;
            Ok(c.context(json!(fee)))
        }
        "getMinimumBalanceForRentExemption" => {
            let len = params
                .first()
                .and_then(Value::as_u64)
                .ok_or_else(|| RpcError::invalid_params("expected a data length"))?;
            let rent: Rent = banks.get_sysvar().await.map_err(RpcError::internal)?;
            Ok(json!(rent.minimum_balance(
                usize::try_from(len).unwrap_or(usize::MAX)
            )))
        }
        "getRecentPrioritizationFees" => Ok(json!([RpcPrioritizationFee {
            slot,
            prioritization_fee: 0
        }])),
        _ => Err(RpcError::not_found()),
    }
}
