//! A ledger for tests that need the chain to misbehave: one that is down,
//! one whose sends fail for a while (after sending, or before), and one that
//! answers `history` with a forged one. Everything else goes to the real one.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::{Transaction, TransactionError};
use usd1_client::ledger::{Executed, RecordedTransaction, Simulation};
use usd1_client::{ClientError, Ledger};

pub struct FaultyLedger {
    /// `None`: the node cannot be reached at all.
    inner: Option<Arc<dyn Ledger>>,
    /// Sends left to fail.
    failing_sends: AtomicUsize,
    /// Whether a failing send reaches the chain before it fails (a lost confirmation).
    sends_first: bool,
    forged_history: Option<Vec<RecordedTransaction>>,
    /// Lands this transaction the first time a blockhash's validity is
    /// asked, and answers "expired": a send landing between the two
    /// questions a sender asks.
    lands_when_asked: std::sync::Mutex<Option<Transaction>>,
    /// Every transaction simulated or sent: what reached the node.
    wire: std::sync::Mutex<Vec<Transaction>>,
}

impl FaultyLedger {
    /// A node that refuses every connection.
    pub fn down() -> Self {
        Self {
            inner: None,
            failing_sends: AtomicUsize::new(0),
            sends_first: false,
            forged_history: None,
            lands_when_asked: std::sync::Mutex::default(),
            wire: std::sync::Mutex::default(),
        }
    }

    /// `inner`, on which `transaction` lands just as it is first asked
    /// whether a blockhash expired (its validity, or the block height),
    /// which is answered "expired".
    pub fn landing_when_asked(inner: Arc<dyn Ledger>, transaction: Transaction) -> Self {
        let ledger = Self::recording(inner);
        *ledger
            .lands_when_asked
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(transaction);
        ledger
    }

    /// `inner`, except that the next `failures` sends fail — after reaching the
    /// chain if `sends_first`, before it otherwise.
    pub fn failing_sends(inner: Arc<dyn Ledger>, failures: usize, sends_first: bool) -> Self {
        Self {
            inner: Some(inner),
            failing_sends: AtomicUsize::new(failures),
            sends_first,
            forged_history: None,
            lands_when_asked: std::sync::Mutex::default(),
            wire: std::sync::Mutex::default(),
        }
    }

    /// `inner`, answering `history` with `history`.
    pub fn forging_history(inner: Arc<dyn Ledger>, history: Vec<RecordedTransaction>) -> Self {
        Self {
            inner: Some(inner),
            failing_sends: AtomicUsize::new(0),
            sends_first: false,
            forged_history: Some(history),
            lands_when_asked: std::sync::Mutex::default(),
            wire: std::sync::Mutex::default(),
        }
    }

    /// `inner`, unchanged; [`FaultyLedger::wire`] tells what reached it.
    pub fn recording(inner: Arc<dyn Ledger>) -> Self {
        Self::failing_sends(inner, 0, false)
    }

    /// Every transaction simulated or sent so far.
    pub fn wire(&self) -> Vec<Transaction> {
        self.wire.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn saw(&self, transaction: &Transaction) {
        self.wire
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(transaction.clone());
    }

    /// Lands the transaction kept for the first expiry question, if any.
    async fn land_when_asked(&self) -> Result<bool, ClientError> {
        let landing = self
            .lands_when_asked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        match landing {
            Some(transaction) => {
                self.inner()?.send_and_confirm(&transaction).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn inner(&self) -> Result<&Arc<dyn Ledger>, ClientError> {
        self.inner
            .as_ref()
            .ok_or_else(|| ClientError::Ledger("connection refused".into()))
    }
}

#[async_trait]
impl Ledger for FaultyLedger {
    async fn latest_blockhash(&self) -> Result<Hash, ClientError> {
        self.inner()?.latest_blockhash().await
    }
    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, ClientError> {
        self.inner()?.get_account(address).await
    }
    async fn simulate(&self, transaction: &Transaction) -> Result<Simulation, ClientError> {
        self.saw(transaction);
        self.inner()?.simulate(transaction).await
    }
    async fn send_and_confirm(&self, transaction: &Transaction) -> Result<Executed, ClientError> {
        self.saw(transaction);
        let inner = self.inner()?;
        let fail = self
            .failing_sends
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if !fail {
            return inner.send_and_confirm(transaction).await;
        }
        if self.sends_first {
            inner.send_and_confirm(transaction).await?;
        }
        Err(ClientError::Ledger("connection reset by peer".into()))
    }
    async fn minimum_balance_for_rent_exemption(
        &self,
        data_len: usize,
    ) -> Result<u64, ClientError> {
        self.inner()?
            .minimum_balance_for_rent_exemption(data_len)
            .await
    }
    async fn signature_status(
        &self,
        signature: &Signature,
    ) -> Result<Option<Result<(), TransactionError>>, ClientError> {
        self.inner()?.signature_status(signature).await
    }
    async fn signature_seen(&self, signature: &Signature) -> Result<bool, ClientError> {
        self.inner()?.signature_seen(signature).await
    }
    async fn is_blockhash_valid(&self, blockhash: &Hash) -> Result<bool, ClientError> {
        if self.land_when_asked().await? {
            return Ok(false);
        }
        self.inner()?.is_blockhash_valid(blockhash).await
    }
    async fn block_height(&self) -> Result<u64, ClientError> {
        if self.land_when_asked().await? {
            // Past any blockhash's last valid block height.
            return Ok(u64::MAX);
        }
        self.inner()?.block_height().await
    }
    fn last_valid_block_height(&self, blockhash: &Hash) -> Option<u64> {
        self.inner.as_ref()?.last_valid_block_height(blockhash)
    }
    async fn history(&self, address: &Pubkey) -> Result<Vec<RecordedTransaction>, ClientError> {
        match &self.forged_history {
            Some(history) => Ok(history.clone()),
            None => self.inner()?.history(address).await,
        }
    }
}
