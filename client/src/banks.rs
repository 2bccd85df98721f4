//! The in-process `Ledger` over solana-program-test's `BanksClient`.
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use solana_banks_client::{BanksClient, BanksClientError};
use solana_commitment_config::CommitmentLevel;
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::message::compiled_instruction::CompiledInstruction;
use solana_sdk::message::Message;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::sysvar::clock::Clock;
use solana_sdk::transaction::{Transaction, TransactionError};
use tokio::sync::Mutex;

use crate::error::{ClientError, Failure};
use crate::ledger::{Executed, Ledger, RecordedTransaction, Simulation};

/// In-process transactions come far faster than blocks, so two identical
/// transactions sent in a row would share a blockhash and the second would be
/// dropped as already processed. This ledger therefore hands out each
/// blockhash once, waiting (a few milliseconds) for the runtime's next one.
#[derive(Clone)]
pub struct BanksLedger {
    client: BanksClient,
    last_blockhash: Arc<Mutex<Hash>>,
    /// BanksClient keeps no history; the transactions sent through this ledger are it.
    recorded: Arc<Mutex<Vec<RecordedTransaction>>>,
}

impl BanksLedger {
    pub fn new(client: BanksClient) -> Self {
        Self {
            client,
            last_blockhash: Arc::new(Mutex::new(Hash::default())),
            recorded: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn client(&self) -> &BanksClient {
        &self.client
    }

    /// A simulation, and the inner instructions it ran as compiled against
    /// the transaction's keys.
    async fn simulate_compiled(
        &self,
        transaction: &Transaction,
    ) -> Result<(Simulation, Vec<CompiledInstruction>), ClientError> {
        let result = self
            .client
            .simulate_transaction(transaction.clone())
            .await
            .map_err(ledger_error)?;
        let (logs, units_consumed, inner) = match result.simulation_details {
            Some(d) => (
                d.logs,
                d.units_consumed,
                d.inner_instructions.unwrap_or_default(),
            ),
            None => (vec![], 0, vec![]),
        };
        let inner: Vec<CompiledInstruction> = inner
            .into_iter()
            .flatten()
            .map(|inner| inner.instruction)
            .collect();
        let keys = &transaction.message.account_keys;
        let inner_instructions = inner
            .iter()
            .filter_map(|ix| {
                let program = keys.get(usize::from(ix.program_id_index))?;
                Some((*program, ix.data.clone()))
            })
            .collect();
        let simulation = Simulation {
            err: result
                .result
                .and_then(|r| r.err())
                .map(|err| Failure::located(err, &logs, &transaction.message)),
            logs,
            units_consumed,
            inner_instructions,
        };
        Ok((simulation, inner))
    }
}

impl BanksLedger {
    /// A transaction this ledger already processed, as it was recorded (a
    /// failed one as its failure).
    async fn landed(&self, transaction: &Transaction) -> Result<Executed, ClientError> {
        let signature = transaction.signatures[0];
        match self.signature_status(&signature).await? {
            Some(Ok(())) => {}
            Some(Err(error)) => {
                return Err(ClientError::Failed {
                    failure: Failure::located(error, &[], &transaction.message),
                    logs: vec![],
                })
            }
            None => {
                return Err(ClientError::Ledger(format!(
                    "transaction {signature} was refused as already processed, yet has no status"
                )))
            }
        }
        let recorded = self.recorded.lock().await;
        let events = recorded
            .iter()
            .find(|tx| tx.signature == signature)
            .map(|tx| tx.events.clone())
            .unwrap_or_default();
        Ok(Executed { signature, events })
    }
}

fn ledger_error(err: BanksClientError) -> ClientError {
    match err {
        BanksClientError::TransactionError(err) => ClientError::Failed {
            failure: Failure::new(err),
            logs: vec![],
        },
        BanksClientError::SimulationError { err, logs, .. } => ClientError::Failed {
            failure: Failure::new(err),
            logs,
        },
        other => ClientError::Ledger(other.to_string()),
    }
}

#[async_trait]
impl Ledger for BanksLedger {
    async fn latest_blockhash(&self) -> Result<Hash, ClientError> {
        let mut last = self.last_blockhash.lock().await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let latest = self
                .client
                .get_latest_blockhash_with_commitment(CommitmentLevel::default())
                .await
                .map_err(ledger_error)?;
            if let Some((blockhash, _)) = latest.filter(|(blockhash, _)| *blockhash != *last) {
                *last = blockhash;
                return Ok(blockhash);
            }
            if Instant::now() > deadline {
                return Err(ClientError::Ledger(
                    "the runtime stopped producing blockhashes".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, ClientError> {
        self.client
            .get_account(*address)
            .await
            .map_err(ledger_error)
    }

    async fn simulate(&self, transaction: &Transaction) -> Result<Simulation, ClientError> {
        Ok(self.simulate_compiled(transaction).await?.0)
    }

    async fn send_and_confirm(&self, transaction: &Transaction) -> Result<Executed, ClientError> {
        // BanksClient keeps no transaction history, so read the events and
        // inner instructions from a simulation against the same state, then
        // process for real.
        let (simulation, inner) = self.simulate_compiled(transaction).await?;
        match simulation.err.clone() {
            None => {}
            // The same bytes again: that signature landed, and is the answer.
            Some(failure) if failure.error == TransactionError::AlreadyProcessed => {
                return self.landed(transaction).await;
            }
            Some(failure) if failure.error == TransactionError::BlockhashNotFound => {
                return Err(ClientError::Expired {
                    signature: transaction.signatures[0],
                    why: format!(
                        "its blockhash {} is no longer valid",
                        transaction.message.recent_blockhash
                    ),
                });
            }
            Some(failure) => {
                return Err(ClientError::Failed {
                    failure,
                    logs: simulation.logs,
                })
            }
        }
        let clock: Clock = self.client.get_sysvar().await.map_err(ledger_error)?;
        self.client
            .process_transaction_with_commitment(transaction.clone(), CommitmentLevel::Confirmed)
            .await
            .map_err(|e| ledger_error(e).located(&transaction.message))?;
        let signature = transaction.signatures[0];
        let slot = self.client.get_root_slot().await.map_err(ledger_error)?;
        let message = &transaction.message;
        let mut record = RecordedTransaction::resolve(
            signature,
            slot,
            Some(clock.unix_timestamp),
            &message.account_keys,
            &message.instructions,
            &inner,
        );
        let events = record.events.clone();
        let mut recorded = self.recorded.lock().await;
        // Transactions run one at a time, in the order they are recorded.
        record.position = Some(recorded.len() as u64);
        recorded.push(record);
        Ok(Executed { signature, events })
    }

    async fn signature_status(
        &self,
        signature: &Signature,
    ) -> Result<Option<Result<(), TransactionError>>, ClientError> {
        let status = self
            .client
            .get_transaction_status(*signature)
            .await
            .map_err(ledger_error)?;
        Ok(status.map(|s| s.err.map_or(Ok(()), Err)))
    }

    /// The bank's own; it does not move with the runtime's blockhashes in
    /// process, so this ledger gives no last valid block heights and a
    /// blockhash's expiry is the bank's word on its validity.
    async fn block_height(&self) -> Result<u64, ClientError> {
        self.client
            .get_root_block_height()
            .await
            .map_err(ledger_error)
    }

    async fn is_blockhash_valid(&self, blockhash: &Hash) -> Result<bool, ClientError> {
        // The bank prices a message only while its blockhash is recent.
        let probe = Message::new_with_blockhash(&[], Some(&Pubkey::new_unique()), blockhash);
        let fee = self
            .client
            .get_fee_for_message(probe)
            .await
            .map_err(ledger_error)?;
        Ok(fee.is_some())
    }

    async fn history(&self, address: &Pubkey) -> Result<Vec<RecordedTransaction>, ClientError> {
        let recorded = self.recorded.lock().await;
        Ok(recorded
            .iter()
            .filter(|t| t.mentions(address))
            .cloned()
            .collect())
    }

    /// Found in place: a mint pass asks for each transaction it sent.
    async fn recorded(
        &self,
        address: &Pubkey,
        signature: &Signature,
    ) -> Result<RecordedTransaction, ClientError> {
        let recorded = self.recorded.lock().await;
        recorded
            .iter()
            .rev()
            .find(|t| t.signature == *signature && t.mentions(address))
            .cloned()
            .ok_or_else(|| {
                ClientError::Ledger(format!(
                    "transaction {signature} is not in the history of {address}"
                ))
            })
    }

    async fn minimum_balance_for_rent_exemption(
        &self,
        data_len: usize,
    ) -> Result<u64, ClientError> {
        let rent = self.client.get_rent().await.map_err(ledger_error)?;
        Ok(rent.minimum_balance(data_len))
    }
}
