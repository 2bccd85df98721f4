//! Landing a transaction: simulate (the preflight, and the source of its
//! inner instructions), execute, and record — one step that nothing a client
//! does can cut in two. A validator never forgets a transaction it
//! processed; neither may the localnet, or a sender that asks after a lost
//! answer hears "unknown" for a transfer that moved the tokens, and pays
//! again.
use solana_address_lookup_table_interface::state::AddressLookupTable;
use solana_sdk::message::v0::LoadedAddresses;

use super::*;
use crate::ledger_dir::Entry;

/// What the bank said when it executed a transaction.
struct Executed {
    err: Option<TransactionError>,
    logs: Vec<String>,
    units_consumed: u64,
}

impl Chain {
    /// Lands `transaction` (after a preflight simulation unless `preflight`
    /// is false) and records it. It runs on a task of its own: the request
    /// that asked may be dropped (its client hung up) at any moment, and the
    /// transaction is still executed and recorded whole, or not at all.
    pub async fn send(
        self: &Arc<Self>,
        transaction: VersionedTransaction,
        preflight: bool,
    ) -> Result<Signature, SendError> {
        let chain = self.clone();
        tokio::spawn(async move { chain.land(transaction, preflight).await })
            .await
            .map_err(|e| SendError::Persist(format!("the landing task failed: {e}")))?
    }

    async fn land(
        &self,
        transaction: VersionedTransaction,
        preflight: bool,
    ) -> Result<Signature, SendError> {
        let signature = transaction.signatures.first().copied().unwrap_or_default();
        // One transaction at a time, and never across a slot change.
        let _context = self.context.lock().await;
        if let Some(why) = self.unwritable() {
            return Err(SendError::Persist(why));
        }
        if self.record(&signature).is_some() {
            return Err(SendError::Rejected(TransactionError::AlreadyProcessed));
        }
        // Everything up to the execution may fail: then nothing has happened.
        let simulated = self
            .simulate(&transaction)
            .await
            .map_err(SendError::Banks)?;
        if preflight && simulated.err.is_some() {
            return Err(SendError::Preflight(simulated));
        }
        let loaded_addresses = self
            .load_addresses(&transaction.message)
            .await
            .map_err(SendError::Rejected)?;
        let keys: Vec<Pubkey> = transaction
            .message
            .static_account_keys()
            .iter()
            .chain(&loaded_addresses.writable)
            .chain(&loaded_addresses.readonly)
            .copied()
            .collect();
        let fee = self
            .banks
            .get_fee_for_message(legacy_message(&transaction.message))
            .await
            .map_err(SendError::Banks)?;
        let before = self.accounts(&keys).await.map_err(SendError::Banks)?;
        let pre_balances = balances(&before);
        let pre_token_balances = self
            .token_balances(&keys, &before)
            .await
            .map_err(SendError::Banks)?;
        // Under the context lock no tick moves the bank: these are its own.
        let slot = self.slot().await;
        let block_time = self.block_time();
        let executed = self
            .execute(&transaction, signature, &simulated)
            .await?
            .map_err(SendError::Rejected)?;

        // From here on the transaction has landed: it is recorded whatever
        // else fails.
        let after = match self.accounts(&keys).await {
            Ok(after) => Some(after),
            Err(error) => {
                eprintln!("usd1-localnet: {signature}: accounts unreadable after it ({error}); recorded without their new state");
                None
            }
        };
        let post_balances = after
            .as_deref()
            .map_or_else(|| pre_balances.clone(), balances);
        let post_token_balances = match &after {
            Some(after) => match self.token_balances(&keys, after).await {
                Ok(balances) => balances,
                Err(error) => {
                    eprintln!("usd1-localnet: {signature}: token balances unreadable after it ({error}); recorded without them");
                    pre_token_balances.clone()
                }
            },
            None => pre_token_balances.clone(),
        };
        let record = Record {
            signature,
            slot,
            block_time,
            transaction,
            err: executed.err,
            logs: executed.logs,
            inner_instructions: simulated.inner_instructions,
            units_consumed: executed.units_consumed,
            fee: fee.unwrap_or(0),
            pre_balances,
            post_balances,
            extra: RecordExtra {
                loaded_addresses,
                pre_token_balances,
                post_token_balances,
            },
        };
        let kept = match &after {
            Some(after) => self.persist(&record, &keys, after),
            None => Err(std::io::Error::other(
                "the accounts it wrote could not be read back",
            )),
        };
        let event = ChainEvent::Landed(Arc::new(record.clone()));
        {
            let mut ledger = self.ledger.write().unwrap_or_else(|p| p.into_inner());
            ledger.push(record);
        }
        // Nobody listening is no error.
        let _ = self.events.send(event);
        if let Err(error) = kept {
            // It landed and is answered from memory; it is not in the
            // folder, so nothing more may land until a restart.
            let why =
                format!("the ledger folder could not be written ({error}); restart the localnet");
            eprintln!("usd1-localnet: {signature} landed but {why}");
            *self.unwritable.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
        }
        Ok(signature)
    }

    fn unwritable(&self) -> Option<String> {
        self.unwritable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Executes `transaction`; the inner error if the runtime refused it
    /// before executing (it was never charged for, so it never lands).
    async fn execute(
        &self,
        transaction: &VersionedTransaction,
        signature: Signature,
        simulated: &Simulated,
    ) -> Result<Result<Executed, TransactionError>, SendError> {
        match self
            .banks
            .process_transaction_with_metadata(transaction.clone())
            .await
        {
            Ok(result) => {
                let err = result.result.err();
                if let Some(error) = &err {
                    if !self.executed(signature).await? {
                        return Ok(Err(error.clone()));
                    }
                }
                let (logs, units_consumed) = match result.metadata {
                    Some(m) => (
                        self.validator_logs(&m.log_messages),
                        m.compute_units_consumed,
                    ),
                    None => (simulated.logs.clone(), simulated.units_consumed),
                };
                Ok(Ok(Executed {
                    err,
                    logs,
                    units_consumed,
                }))
            }
            // The bank's answer was lost: whether it executed is in its status cache.
            Err(error) => {
                let Some(status) = self
                    .banks
                    .get_transaction_status(signature)
                    .await
                    .map_err(SendError::Banks)?
                else {
                    return Err(SendError::Banks(error));
                };
                Ok(Ok(Executed {
                    err: status.err,
                    logs: simulated.logs.clone(),
                    units_consumed: simulated.units_consumed,
                }))
            }
        }
    }

    /// Whether the bank executed (and charged for) `signature`.
    async fn executed(&self, signature: Signature) -> Result<bool, SendError> {
        Ok(self
            .banks
            .get_transaction_status(signature)
            .await
            .map_err(SendError::Banks)?
            .is_some())
    }

    /// Appends `record` and the accounts it wrote (their state in `after`,
    /// read for `keys`) to the ledger folder, if any.
    fn persist(
        &self,
        record: &Record,
        keys: &[Pubkey],
        after: &[Option<Account>],
    ) -> std::io::Result<()> {
        let Some(folder) = &self.folder else {
            return Ok(());
        };
        let state = |key: &Pubkey| {
            keys.iter()
                .position(|k| k == key)
                .and_then(|i| after.get(i).cloned())
                .flatten()
        };
        let written = record
            .writable_keys()
            .into_iter()
            .map(|key| (key, state(&key)))
            .filter(|(_, account)| !account.as_ref().is_some_and(|a| a.executable))
            .collect();
        let entry = Entry {
            record: record.clone(),
            accounts: written,
            extra: record.extra.clone(),
        };
        let mut folder = folder.lock().unwrap_or_else(|p| p.into_inner());
        folder.append(&entry)
    }

    /// The addresses a v0 message loads from its lookup tables, as the
    /// tables stand now (entries are only ever appended, so an index keeps
    /// naming the same address). A table that is missing or too short makes
    /// the transaction fail as a validator would refuse it.
    async fn load_addresses(
        &self,
        message: &VersionedMessage,
    ) -> Result<LoadedAddresses, TransactionError> {
        let mut loaded = LoadedAddresses::default();
        for lookup in message.address_table_lookups().unwrap_or_default() {
            let account = self
                .banks
                .get_account(lookup.account_key)
                .await
                .ok()
                .flatten()
                .ok_or(TransactionError::AddressLookupTableNotFound)?;
            let table = AddressLookupTable::deserialize(&account.data)
                .map_err(|_| TransactionError::InvalidAddressLookupTableData)?;
            let pick = |indexes: &[u8], into: &mut Vec<Pubkey>| {
                for index in indexes {
                    let address = table
                        .addresses
                        .get(usize::from(*index))
                        .ok_or(TransactionError::InvalidAddressLookupTableIndex)?;
                    into.push(*address);
                }
                Ok::<(), TransactionError>(())
            };
            pick(&lookup.writable_indexes, &mut loaded.writable)?;
            pick(&lookup.readonly_indexes, &mut loaded.readonly)?;
        }
        Ok(loaded)
    }

    /// Every account of `keys` now, in order, each read once. The reads go
    /// to the bank together (under the context lock nothing lands and no
    /// slot passes between them, so they see one state): one round trip
    /// to the bank's thread instead of one per key.
    async fn accounts(&self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>, BanksClientError> {
        futures_util::future::try_join_all(keys.iter().map(|key| self.banks.get_account(*key)))
            .await
    }

    /// The token accounts among `keys` (whose state is `accounts`), with
    /// their balances and their mints' decimals, as a validator reports
    /// `preTokenBalances`/`postTokenBalances`.
    async fn token_balances(
        &self,
        keys: &[Pubkey],
        accounts: &[Option<Account>],
    ) -> Result<Vec<TokenBalance>, BanksClientError> {
        let token_programs = [
            usd1_client::TOKEN_PROGRAM_ID,
            usd1_client::TOKEN_2022_PROGRAM_ID,
        ];
        let mut balances = Vec::new();
        for (index, (key, account)) in keys.iter().zip(accounts).enumerate() {
            let Some(account) = account else { continue };
            if !token_programs.contains(&account.owner) {
                continue;
            }
            let Ok(token) = usd1_client::accounts::decode_token_account(key, &account.data) else {
                continue;
            };
            // The mint as the same reads saw it, when the transaction named it.
            let mint = match keys.iter().position(|k| *k == token.mint) {
                Some(at) => accounts.get(at).cloned().flatten(),
                None => self.banks.get_account(token.mint).await?,
            };
            let Some(mint) = mint else { continue };
            let Ok(mint_info) = usd1_client::accounts::decode_mint(&token.mint, &mint.data) else {
                continue;
            };
            balances.push(TokenBalance {
                account_index: u8::try_from(index).unwrap_or(u8::MAX),
                mint: token.mint,
                owner: token.owner,
                program_id: account.owner,
                amount: token.amount,
                decimals: mint_info.decimals,
            });
        }
        Ok(balances)
    }
}

/// Lamports of each account (0 where there is none).
fn balances(accounts: &[Option<Account>]) -> Vec<u64> {
    accounts
        .iter()
        .map(|a| a.as_ref().map_or(0, |a| a.lamports))
        .collect()
}
