//! The chain behind the endpoint: solana-program-test's bank, moved forward
//! one slot per tick with its clock on the wall clock (so attestations and
//! blockhashes age as on a cluster), and the record of every transaction sent
//! through it — what a validator's ledger would answer getTransaction and
//! getSignaturesForAddress from, which the bank alone does not keep.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use solana_banks_client::{BanksClient, BanksClientError};
use solana_program_test::ProgramTestContext;
use solana_sdk::account::Account;
use solana_sdk::message::v0::LoadedAddresses;
use solana_sdk::message::{Message, VersionedMessage};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::sysvar::clock::Clock;
use solana_sdk::transaction::{TransactionError, VersionedTransaction};
use solana_transaction_status_client_types::{InnerInstruction, InnerInstructions};
use tokio::sync::{broadcast, Mutex};

use solana_address_lookup_table_interface::state::AddressLookupTable;

use crate::ledger_dir::{Entry, LedgerDir, Restored};
pub use crate::record::{Record, RecordExtra, TokenBalance};
use crate::runtime::program_test;

/// What a restored faucet starts with when the log never recorded it: 500,000 SOL.
const FAUCET_LAMPORTS: u64 = 500_000_000_000_000;

/// What subscribers hear from the chain (the localnet's PubSub).
#[derive(Clone, Debug)]
pub enum ChainEvent {
    /// A transaction landed, successful or failed.
    Landed(Arc<Record>),
    /// The chain moved to `slot`.
    Slot { slot: u64 },
}

/// What a simulation says.
#[derive(Clone, Debug, Default)]
pub struct Simulated {
    pub err: Option<TransactionError>,
    pub logs: Vec<String>,
    pub units_consumed: u64,
    pub inner_instructions: Vec<InnerInstructions>,
}

#[derive(Debug)]
pub enum SendError {
    /// Preflight simulation refused it; nothing landed.
    Preflight(Simulated),
    /// The runtime refused it before executing (bad signature, unknown blockhash, …).
    Rejected(TransactionError),
    Banks(BanksClientError),
    /// It landed but could not be written to the ledger folder.
    Persist(std::io::Error),
}

#[derive(Default)]
struct Ledger {
    records: Vec<Record>,
    by_signature: HashMap<Signature, usize>,
    /// Every address a transaction has named: what getProgramAccounts and
    /// getTokenAccountsByOwner scan (BanksClient cannot list accounts).
    known: BTreeSet<Pubkey>,
}

pub struct Chain {
    context: Mutex<ProgramTestContext>,
    banks: BanksClient,
    faucet: Keypair,
    ledger: RwLock<Ledger>,
    folder: Option<std::sync::Mutex<LedgerDir>>,
    /// Set by every RPC call; the ticker makes a slot only when it is set.
    active: std::sync::atomic::AtomicBool,
    events: broadcast::Sender<ChainEvent>,
}

/// Events a slow subscriber may fall behind by before it misses some.
const EVENT_BACKLOG: usize = 4096;

fn wall_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Chain {
    /// A fresh chain, or with `folder` the one kept there (`reset` empties it first).
    pub async fn start(folder: Option<(&Path, bool)>) -> std::io::Result<Arc<Self>> {
        let mut test = program_test();
        let (folder, restored) = match folder {
            Some((dir, reset)) => {
                let (folder, restored) = LedgerDir::open(dir, reset)?;
                (Some(folder), restored)
            }
            None => (
                None,
                Restored {
                    faucet: None,
                    entries: Vec::new(),
                },
            ),
        };
        // The latest state of every account the kept transactions wrote.
        let mut accounts: BTreeMap<Pubkey, Option<Account>> = BTreeMap::new();
        for entry in &restored.entries {
            for (address, account) in &entry.accounts {
                accounts.insert(*address, account.clone());
            }
        }
        if let Some(faucet) = &restored.faucet {
            accounts.entry(faucet.pubkey()).or_insert_with(|| {
                Some(Account {
                    lamports: FAUCET_LAMPORTS,
                    ..Account::default()
                })
            });
        }
        for (address, account) in &accounts {
            if let Some(account) = account {
                test.add_account(*address, account.clone());
            }
        }
        let mut context = test.start_with_context().await;
        // Slots go on from where the kept ledger stopped: history is ordered
        // by slot, so a restart must never reuse one.
        if let Some(last) = restored.entries.iter().map(|e| e.record.slot).max() {
            context.warp_to_slot(last.saturating_add(1)).map_err(|e| {
                std::io::Error::other(format!("cannot resume at slot {last}: {e:?}"))
            })?;
        }
        let banks = context.banks_client.clone();
        let faucet = restored
            .faucet
            .unwrap_or_else(|| context.payer.insecure_clone());
        if let Some(folder) = &folder {
            folder.save_faucet(&faucet)?;
        }
        let mut ledger = Ledger::default();
        ledger.known.extend(genesis_addresses());
        ledger.known.insert(faucet.pubkey());
        for entry in restored.entries {
            let mut record = entry.record;
            record.extra = entry.extra;
            ledger.known.extend(record.account_keys().copied());
            ledger
                .by_signature
                .insert(record.signature, ledger.records.len());
            ledger.records.push(record);
        }
        let chain = Arc::new(Self {
            context: Mutex::new(context),
            banks,
            faucet,
            ledger: RwLock::new(ledger),
            folder: folder.map(std::sync::Mutex::new),
            active: std::sync::atomic::AtomicBool::new(false),
            events: broadcast::channel(EVENT_BACKLOG).0,
        });
        chain.tick().await;
        Ok(chain)
    }

    /// Notes that someone is using the chain.
    pub fn touch(&self) {
        self.active
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether anyone used the chain since the last call.
    pub fn take_activity(&self) -> bool {
        self.active
            .swap(false, std::sync::atomic::Ordering::Relaxed)
    }

    pub fn banks(&self) -> &BanksClient {
        &self.banks
    }

    /// Every landed transaction and new slot from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ChainEvent> {
        self.events.subscribe()
    }

    /// How many listen to [`Chain::subscribe`] now (one per PubSub connection).
    pub fn subscribers(&self) -> usize {
        self.events.receiver_count()
    }

    /// The genesis keypair that funds airdrops.
    pub fn faucet(&self) -> &Keypair {
        &self.faucet
    }

    /// Moves to the next slot (a new blockhash) and sets the clock to now.
    pub async fn tick(&self) {
        let mut context = self.context.lock().await;
        // After a warp to slot n the root is n - 1 and the working bank is n.
        let Ok(root) = self.banks.get_root_slot().await else {
            return;
        };
        if context.warp_to_slot(root.saturating_add(2)).is_err() {
            return;
        }
        if let Ok(mut clock) = context.banks_client.get_sysvar::<Clock>().await {
            clock.unix_timestamp = clock.unix_timestamp.max(wall_clock());
            context.set_sysvar(&clock);
        }
        // Nobody listening is no error.
        let _ = self.events.send(ChainEvent::Slot {
            slot: root.saturating_add(2),
        });
    }

    /// The working slot.
    pub async fn slot(&self) -> u64 {
        self.banks
            .get_root_slot()
            .await
            .map_or(0, |root| root.saturating_add(1))
    }

    pub async fn simulate(
        &self,
        transaction: &VersionedTransaction,
    ) -> Result<Simulated, BanksClientError> {
        let result = self.banks.simulate_transaction(transaction.clone()).await?;
        let err = result.result.and_then(Result::err);
        let Some(details) = result.simulation_details else {
            return Ok(Simulated {
                err,
                ..Simulated::default()
            });
        };
        Ok(Simulated {
            err,
            logs: details.logs,
            units_consumed: details.units_consumed,
            inner_instructions: details
                .inner_instructions
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .filter(|(_, set)| !set.is_empty())
                .map(|(index, set)| InnerInstructions {
                    index: u8::try_from(index).unwrap_or(u8::MAX),
                    instructions: set
                        .into_iter()
                        .map(|i| InnerInstruction {
                            instruction: i.instruction,
                            stack_height: Some(u32::from(i.stack_height)),
                        })
                        .collect(),
                })
                .collect(),
        })
    }

    /// Simulates (the preflight, and the source of logs and inner
    /// instructions), executes, and records the transaction.
    pub async fn send(
        &self,
        transaction: VersionedTransaction,
        preflight: bool,
    ) -> Result<Signature, SendError> {
        let signature = transaction.signatures.first().copied().unwrap_or_default();
        // One transaction at a time, and never across a slot change.
        let _context = self.context.lock().await;
        if self.record(&signature).is_some() {
            return Err(SendError::Rejected(TransactionError::AlreadyProcessed));
        }
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
        let pre_balances = self.balances(&keys).await.map_err(SendError::Banks)?;
        let pre_token_balances = self.token_balances(&keys).await.map_err(SendError::Banks)?;
        let slot = self.slot().await;
        let block_time = self
            .banks
            .get_sysvar::<Clock>()
            .await
            .map_err(SendError::Banks)?
            .unix_timestamp;
        let result = self
            .banks
            .process_transaction_with_metadata(transaction.clone())
            .await
            .map_err(SendError::Banks)?;
        let err = result.result.err();
        // A transaction the runtime would not even charge for never lands.
        if let Some(error) = &err {
            if self
                .banks
                .get_transaction_status(signature)
                .await
                .map_err(SendError::Banks)?
                .is_none()
            {
                return Err(SendError::Rejected(error.clone()));
            }
        }
        let post_balances = self.balances(&keys).await.map_err(SendError::Banks)?;
        let post_token_balances = self.token_balances(&keys).await.map_err(SendError::Banks)?;
        let logs = result
            .metadata
            .as_ref()
            .map_or(simulated.logs.clone(), |m| m.log_messages.clone());
        let units_consumed = result
            .metadata
            .as_ref()
            .map_or(simulated.units_consumed, |m| m.compute_units_consumed);
        let record = Record {
            signature,
            slot,
            block_time,
            transaction,
            err,
            logs,
            inner_instructions: simulated.inner_instructions,
            units_consumed,
            fee: fee.unwrap_or(0),
            pre_balances,
            post_balances,
            extra: RecordExtra {
                loaded_addresses,
                pre_token_balances,
                post_token_balances,
            },
        };
        if let Some(folder) = &self.folder {
            let mut written = Vec::new();
            for key in record.writable_keys() {
                let account = self
                    .banks
                    .get_account(key)
                    .await
                    .map_err(SendError::Banks)?;
                if !account.as_ref().is_some_and(|a| a.executable) {
                    written.push((key, account));
                }
            }
            let entry = Entry {
                record: record.clone(),
                accounts: written,
                extra: record.extra.clone(),
            };
            let mut folder = folder.lock().unwrap_or_else(|p| p.into_inner());
            folder.append(&entry).map_err(SendError::Persist)?;
        }
        let event = ChainEvent::Landed(Arc::new(record.clone()));
        {
            let mut ledger = self.ledger.write().unwrap_or_else(|p| p.into_inner());
            ledger.known.extend(record.account_keys().copied());
            let index = ledger.records.len();
            ledger.by_signature.insert(signature, index);
            ledger.records.push(record);
        }
        // Nobody listening is no error.
        let _ = self.events.send(event);
        Ok(signature)
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

    /// The token accounts among `keys`, with their balances now.
    async fn token_balances(&self, keys: &[Pubkey]) -> Result<Vec<TokenBalance>, BanksClientError> {
        let token_programs = [
            usd1_client::TOKEN_PROGRAM_ID,
            usd1_client::TOKEN_2022_PROGRAM_ID,
        ];
        let mut balances = Vec::new();
        for (index, key) in keys.iter().enumerate() {
            let Some(account) = self.banks.get_account(*key).await? else {
                continue;
            };
            if !token_programs.contains(&account.owner) {
                continue;
            }
            let Ok(token) = usd1_client::accounts::decode_token_account(key, &account.data) else {
                continue;
            };
            let Some(mint) = self.banks.get_account(token.mint).await? else {
                continue;
            };
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

    async fn balances(&self, keys: &[Pubkey]) -> Result<Vec<u64>, BanksClientError> {
        let mut balances = Vec::with_capacity(keys.len());
        for key in keys {
            balances.push(self.banks.get_balance(*key).await?);
        }
        Ok(balances)
    }

    /// Sets the faucet's balance (`--faucet-sol`).
    pub async fn set_faucet_lamports(&self, lamports: u64) -> Result<(), BanksClientError> {
        let mut context = self.context.lock().await;
        let mut account = self
            .banks
            .get_account(self.faucet.pubkey())
            .await?
            .unwrap_or_default();
        account.lamports = lamports;
        context.set_account(&self.faucet.pubkey(), &account.into());
        Ok(())
    }

    /// Sends `lamports` from the faucet.
    pub async fn airdrop(&self, to: &Pubkey, lamports: u64) -> Result<Signature, SendError> {
        let blockhash = self
            .banks
            .get_latest_blockhash()
            .await
            .map_err(SendError::Banks)?;
        let ix = anchor_lang::solana_program::system_instruction::transfer(
            &self.faucet.pubkey(),
            to,
            lamports,
        );
        let tx = solana_sdk::transaction::Transaction::new_signed_with_payer(
            &[ix],
            Some(&self.faucet.pubkey()),
            &[&self.faucet],
            blockhash,
        );
        self.send(tx.into(), true).await
    }

    /// Transactions that landed without error since genesis.
    pub fn transaction_count(&self) -> u64 {
        let ledger = self.ledger.read().unwrap_or_else(|p| p.into_inner());
        ledger.records.iter().filter(|r| r.err.is_none()).count() as u64
    }

    pub fn record(&self, signature: &Signature) -> Option<Record> {
        let ledger = self.ledger.read().unwrap_or_else(|p| p.into_inner());
        ledger
            .by_signature
            .get(signature)
            .map(|i| ledger.records[*i].clone())
    }

    /// Transactions naming `address`, newest first.
    pub fn records_for(&self, address: &Pubkey) -> Vec<Record> {
        let ledger = self.ledger.read().unwrap_or_else(|p| p.into_inner());
        ledger
            .records
            .iter()
            .rev()
            .filter(|r| r.account_keys().any(|key| key == address))
            .cloned()
            .collect()
    }

    /// Every address transactions have named, with its account if it exists.
    pub async fn known_accounts(&self) -> Result<Vec<(Pubkey, Account)>, BanksClientError> {
        let known: Vec<Pubkey> = {
            let ledger = self.ledger.read().unwrap_or_else(|p| p.into_inner());
            ledger.known.iter().copied().collect()
        };
        let mut accounts = Vec::new();
        for address in known {
            if let Some(account) = self.banks.get_account(address).await? {
                accounts.push((address, account));
            }
        }
        Ok(accounts)
    }
}

/// The accounts the bank starts with that no transaction names: the
/// programs and the sysvars. With every address a transaction ever named,
/// that is every account in the bank (an account can only come to exist
/// through a transaction that names it).
fn genesis_addresses() -> Vec<Pubkey> {
    use solana_sdk::sysvar;
    vec![
        usd1::ID,
        usd1_client::TOKEN_PROGRAM_ID,
        usd1_client::TOKEN_2022_PROGRAM_ID,
        usd1_client::ASSOCIATED_TOKEN_PROGRAM_ID,
        usd1_client::instructions::MEMO_PROGRAM_ID,
        sysvar::clock::ID,
        sysvar::rent::ID,
        sysvar::epoch_schedule::ID,
        sysvar::slot_hashes::ID,
        sysvar::recent_blockhashes::ID,
        sysvar::fees::ID,
        sysvar::epoch_rewards::ID,
        sysvar::last_restart_slot::ID,
    ]
}

/// The legacy form of a message (its static keys), which BanksClient prices.
pub fn legacy_message(message: &VersionedMessage) -> Message {
    match message {
        VersionedMessage::Legacy(m) => m.clone(),
        other => Message {
            header: *other.header(),
            account_keys: other.static_account_keys().to_vec(),
            recent_blockhash: *other.recent_blockhash(),
            instructions: other.instructions().to_vec(),
        },
    }
}
