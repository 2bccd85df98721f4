//! Every token account of a mint, from `getProgramAccounts`: the node
//! filters by the mint (offset 0 of a token account) and answers only the
//! owner, amount and state (a data slice). The listing is asked in 256
//! pages — one per first byte of the owner — so that no answer holds the
//! whole mint and a node's response limit is not reached at scale.
use futures::stream::{self, StreamExt, TryStreamExt};
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, UiAccountEncoding, UiDataSliceConfig,
};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_sdk::pubkey::Pubkey;

use super::RpcLedger;
use crate::error::ClientError;
use crate::ledger::Holding;

/// Owner (32), amount (8), delegate (36), state (1), from offset 32.
const SLICE_OFFSET: usize = 32;
const SLICE_LEN: usize = 77;
/// `AccountState::Frozen`.
const FROZEN: u8 = 2;
const PAGES_IN_FLIGHT: usize = 8;

impl RpcLedger {
    pub(super) async fn list_holdings(
        &self,
        mint: &Pubkey,
        token_program: &Pubkey,
    ) -> Result<Vec<Holding>, ClientError> {
        let pages: Vec<Vec<Holding>> = stream::iter(0..=u8::MAX)
            .map(|first| self.holdings_page(mint, token_program, first))
            .buffered(PAGES_IN_FLIGHT)
            .try_collect()
            .await?;
        let mut holdings: Vec<Holding> = pages.into_iter().flatten().collect();
        holdings.sort_by_key(|h| (h.owner, h.account));
        Ok(holdings)
    }

    async fn holdings_page(
        &self,
        mint: &Pubkey,
        token_program: &Pubkey,
        owner_first_byte: u8,
    ) -> Result<Vec<Holding>, ClientError> {
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![
                RpcFilterType::Memcmp(Memcmp::new_raw_bytes(0, mint.to_bytes().to_vec())),
                RpcFilterType::Memcmp(Memcmp::new_raw_bytes(32, vec![owner_first_byte])),
            ]),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                data_slice: Some(UiDataSliceConfig {
                    offset: SLICE_OFFSET,
                    length: SLICE_LEN,
                }),
                commitment: Some(self.commitment),
                min_context_slot: None,
            },
            with_context: None,
            sort_results: None,
        };
        let accounts = self
            .client
            .get_program_ui_accounts_with_config(token_program, config)
            .await
            .map_err(|e| self.error(e))?;
        accounts
            .into_iter()
            .map(|(account, ui)| {
                let malformed = |reason: &str| ClientError::Decode {
                    address: account,
                    kind: "token account",
                    reason: reason.into(),
                };
                let data = ui
                    .data
                    .decode()
                    .ok_or_else(|| malformed("the node answered undecodable data"))?;
                if data.len() != SLICE_LEN {
                    return Err(malformed("the node answered a slice of another length"));
                }
                let owner = Pubkey::try_from(&data[..32]).map_err(|_| malformed("owner"))?;
                if owner.to_bytes()[0] != owner_first_byte {
                    return Err(malformed("the node ignored the owner filter"));
                }
                let amount = u64::from_le_bytes(data[32..40].try_into().unwrap_or_default());
                Ok(Holding {
                    account,
                    owner,
                    amount,
                    frozen: data[SLICE_LEN - 1] == FROZEN,
                })
            })
            .collect()
    }
}
