//! Several RPC nodes behind one `Ledger`: a call that cannot reach a node
//! moves on to the next, and the daemon stays on the one that answered.
//! Refusals by the chain (`ClientError::Failed`) are answers, not outages.
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::{Transaction, TransactionError};
use usd1_client::ledger::{Executed, Listed, RecordedTransaction, Simulation};
use usd1_client::{ClientError, Ledger};

pub struct Failover {
    ledgers: Vec<Arc<dyn Ledger>>,
    current: AtomicUsize,
}

impl Failover {
    /// `ledgers` must not be empty.
    pub fn new(ledgers: Vec<Arc<dyn Ledger>>) -> Self {
        assert!(!ledgers.is_empty(), "at least one ledger");
        Self {
            ledgers,
            current: AtomicUsize::new(0),
        }
    }

    async fn call<T, F, Fut>(&self, f: F) -> Result<T, ClientError>
    where
        F: Fn(Arc<dyn Ledger>) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let start = self.current.load(Ordering::Relaxed);
        let mut last = None;
        for offset in 0..self.ledgers.len() {
            let index = start.wrapping_add(offset) % self.ledgers.len();
            match f(self.ledgers[index].clone()).await {
                Err(error @ ClientError::Ledger(_)) => last = Some(error),
                answer => {
                    self.current.store(index, Ordering::Relaxed);
                    return answer;
                }
            }
        }
        Err(last.unwrap_or_else(|| ClientError::Ledger("no RPC node configured".into())))
    }
}

#[async_trait]
impl Ledger for Failover {
    async fn latest_blockhash(&self) -> Result<Hash, ClientError> {
        self.call(|l| async move { l.latest_blockhash().await })
            .await
    }

    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, ClientError> {
        self.call(|l| async move { l.get_account(address).await })
            .await
    }

    async fn get_multiple_accounts(
        &self,
        addresses: &[Pubkey],
    ) -> Result<Vec<Option<Account>>, ClientError> {
        self.call(|l| async move { l.get_multiple_accounts(addresses).await })
            .await
    }

    async fn simulate(&self, transaction: &Transaction) -> Result<Simulation, ClientError> {
        self.call(|l| async move { l.simulate(transaction).await })
            .await
    }

    async fn send_and_confirm(&self, transaction: &Transaction) -> Result<Executed, ClientError> {
        self.call(|l| async move { l.send_and_confirm(transaction).await })
            .await
    }

    async fn minimum_balance_for_rent_exemption(
        &self,
        data_len: usize,
    ) -> Result<u64, ClientError> {
        self.call(|l| async move { l.minimum_balance_for_rent_exemption(data_len).await })
            .await
    }

    async fn signature_status(
        &self,
        signature: &Signature,
    ) -> Result<Option<Result<(), TransactionError>>, ClientError> {
        self.call(|l| async move { l.signature_status(signature).await })
            .await
    }

    async fn signature_seen(&self, signature: &Signature) -> Result<bool, ClientError> {
        self.call(|l| async move { l.signature_seen(signature).await })
            .await
    }

    async fn is_blockhash_valid(&self, blockhash: &Hash) -> Result<bool, ClientError> {
        self.call(|l| async move { l.is_blockhash_valid(blockhash).await })
            .await
    }

    async fn block_height(&self) -> Result<u64, ClientError> {
        self.call(|l| async move { l.block_height().await }).await
    }

    /// What any of the nodes said when it handed `blockhash` out.
    fn last_valid_block_height(&self, blockhash: &Hash) -> Option<u64> {
        self.ledgers
            .iter()
            .find_map(|l| l.last_valid_block_height(blockhash))
    }

    async fn history(&self, address: &Pubkey) -> Result<Vec<RecordedTransaction>, ClientError> {
        self.call(|l| async move { l.history(address).await }).await
    }

    async fn signatures(
        &self,
        address: &Pubkey,
        before: Option<&Signature>,
        until: Option<&Signature>,
        limit: usize,
    ) -> Result<Vec<Listed>, ClientError> {
        self.call(|l| async move { l.signatures(address, before, until, limit).await })
            .await
    }

    async fn recorded(
        &self,
        address: &Pubkey,
        signature: &Signature,
    ) -> Result<RecordedTransaction, ClientError> {
        self.call(|l| async move { l.recorded(address, signature).await })
            .await
    }

    async fn block_order(&self, slot: u64) -> Result<Option<Vec<Signature>>, ClientError> {
        self.call(|l| async move { l.block_order(slot).await })
            .await
    }

    async fn unix_timestamp(&self) -> Result<i64, ClientError> {
        self.call(|l| async move { l.unix_timestamp().await }).await
    }
}
