//! The chain behind the endpoint: solana-program-test's bank, moved forward
//! one slot per tick with its clock on the wall clock (so attestations and
//! blockhashes age as on a cluster), and the record of every transaction sent
//! through it — what a validator's ledger would answer getTransaction and
//! getSignaturesForAddress from, which the bank alone does not keep.
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use solana_banks_client::{BanksClient, BanksClientError};
use solana_program_test::ProgramTestContext;
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::message::{Message, VersionedMessage};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::sysvar::clock::Clock;
use solana_sdk::transaction::{TransactionError, VersionedTransaction};
use solana_transaction_status_client_types::{InnerInstruction, InnerInstructions};
use tokio::sync::{broadcast, Mutex};

use crate::ledger_dir::{LedgerDir, Restored};
use crate::logs::validator_logs;
pub use crate::record::{Record, RecordExtra, TokenBalance};
use crate::runtime::{native_programs, program_test, start_on_own_runtime, BankRuntime};

mod landing;

/// What a restored faucet starts with when the log never recorded it: 500,000 SOL.
const FAUCET_LAMPORTS: u64 = 500_000_000_000_000;

/// How many blocks a blockhash stays usable for, as on a validator
/// (`MAX_PROCESSING_AGE`): a transaction signed with a blockhash that became
/// the latest at block height H lands up to height H + 150.
pub const MAX_PROCESSING_AGE: u64 = 150;

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
    /// The bank could not be asked; nothing was executed.
    Banks(BanksClientError),
    /// The ledger folder could not be written (now or earlier): nothing more
    /// is executed until the localnet is restarted.
    Persist(String),
}

#[derive(Default)]
struct Ledger {
    records: Vec<Record>,
    by_signature: HashMap<Signature, usize>,
    /// For each address, the records naming it, oldest first (indices into
    /// `records`): what getSignaturesForAddress pages through.
    by_address: HashMap<Pubkey, Vec<usize>>,
    /// Every address a transaction has named: what getProgramAccounts and
    /// getTokenAccountsByOwner scan (BanksClient cannot list accounts).
    known: BTreeSet<Pubkey>,
}

impl Ledger {
    /// Records a transaction: by signature, and under every address it named.
    fn push(&mut self, record: Record) {
        let index = self.records.len();
        let mut named: Vec<Pubkey> = record.account_keys().copied().collect();
        named.sort_unstable();
        named.dedup();
        for address in named {
            self.known.insert(address);
            self.by_address.entry(address).or_default().push(index);
        }
        self.by_signature.insert(record.signature, index);
        self.records.push(record);
    }
}

pub struct Chain {
    context: Mutex<ProgramTestContext>,
    /// Seconds the clock runs ahead of the wall ([`Chain::run_clock_ahead`]).
    clock_ahead: std::sync::atomic::AtomicI64,
    banks: BanksClient,
    faucet: Keypair,
    ledger: RwLock<Ledger>,
    folder: Option<std::sync::Mutex<LedgerDir>>,
    /// Why the ledger folder stopped being written, once it did.
    unwritable: std::sync::Mutex<Option<String>>,
    /// Recent blockhashes, oldest first, each with the block height at which
    /// it became the latest (one per slot, as the bank registers them).
    blockhashes: std::sync::Mutex<VecDeque<(Hash, u64)>>,
    /// The bank transactions land in now, as the last tick left it (only a
    /// tick changes it): read without asking the bank.
    tip: std::sync::RwLock<Tip>,
    /// The programs run natively, whose logs are reshaped.
    native: Vec<Pubkey>,
    /// Set by every RPC call; the ticker makes a slot only when it is set.
    active: std::sync::atomic::AtomicBool,
    events: broadcast::Sender<ChainEvent>,
    /// Last: the bank's server runs until this is dropped.
    _bank: BankRuntime,
}

/// Where the chain stands between two ticks.
#[derive(Clone, Copy, Debug, Default)]
struct Tip {
    slot: u64,
    height: u64,
    blockhash: Hash,
    /// The Clock sysvar's unix seconds.
    unix_timestamp: i64,
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
                    dropped_tail: None,
                },
            ),
        };
        if let Some((at, bytes)) = restored.dropped_tail {
            eprintln!(
                "usd1-localnet: dropped a torn last entry of the ledger folder ({bytes} bytes at byte {at}): \
                 a write a crash cut short, of a transaction nobody was told had landed"
            );
        }
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
        let (mut context, bank) = start_on_own_runtime(test).await?;
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
            ledger.push(record);
        }
        let chain = Arc::new(Self {
            context: Mutex::new(context),
            clock_ahead: std::sync::atomic::AtomicI64::new(0),
            banks,
            faucet,
            ledger: RwLock::new(ledger),
            folder: folder.map(std::sync::Mutex::new),
            unwritable: std::sync::Mutex::new(None),
            blockhashes: std::sync::Mutex::new(VecDeque::new()),
            tip: std::sync::RwLock::new(Tip::default()),
            native: native_programs(),
            active: std::sync::atomic::AtomicBool::new(false),
            events: broadcast::channel(EVENT_BACKLOG).0,
            _bank: bank,
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

    /// Runs the clock `seconds` ahead of the wall from the next slot on (a
    /// benchmark's year in minutes); it never runs back.
    pub fn run_clock_ahead(&self, seconds: i64) {
        self.clock_ahead
            .fetch_add(seconds.max(0), std::sync::atomic::Ordering::Relaxed);
    }

    /// Moves to the next slot — one block, one new blockhash, as a
    /// validator's slot — and sets the clock to now.
    pub async fn tick(&self) {
        let mut context = self.context.lock().await;
        let Ok(slot) = self.banks.get_root_slot().await else {
            return;
        };
        if context.warp_to_slot(slot.saturating_add(1)).is_err() {
            return;
        }
        let ahead = self.clock_ahead.load(std::sync::atomic::Ordering::Relaxed);
        let mut unix_timestamp = wall_clock().saturating_add(ahead);
        if let Ok(mut clock) = context.banks_client.get_sysvar::<Clock>().await {
            clock.unix_timestamp = clock.unix_timestamp.max(unix_timestamp);
            unix_timestamp = clock.unix_timestamp;
            context.set_sysvar(&clock);
        }
        let slot = slot.saturating_add(1);
        let read = (
            self.banks.get_latest_blockhash().await,
            self.banks.get_root_block_height().await,
        );
        if let (Ok(blockhash), Ok(height)) = read {
            let mut recent = self.blockhashes.lock().unwrap_or_else(|p| p.into_inner());
            recent.push_back((blockhash, height));
            // The bank keeps twice the processing age; so does this.
            while recent.len() > 2 * MAX_PROCESSING_AGE as usize {
                recent.pop_front();
            }
            *self.tip.write().unwrap_or_else(|p| p.into_inner()) = Tip {
                slot,
                height,
                blockhash,
                unix_timestamp,
            };
        }
        // Nobody listening is no error.
        let _ = self.events.send(ChainEvent::Slot { slot });
    }

    fn tip(&self) -> Tip {
        *self.tip.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The slot of the bank transactions land in now.
    pub async fn slot(&self) -> u64 {
        self.tip().slot
    }

    /// The block height of that bank.
    pub async fn block_height(&self) -> Result<u64, BanksClientError> {
        Ok(self.tip().height)
    }

    /// The Clock sysvar's unix seconds in that bank (a block's time).
    pub fn block_time(&self) -> i64 {
        self.tip().unix_timestamp
    }

    /// The latest blockhash and the last block height at which a
    /// transaction signed with it can land: it became the latest at this
    /// height, so the runtime takes it for [`MAX_PROCESSING_AGE`] more.
    pub async fn latest_blockhash(&self) -> Result<(Hash, u64), BanksClientError> {
        let tip = self.tip();
        Ok((tip.blockhash, tip.height.saturating_add(MAX_PROCESSING_AGE)))
    }

    /// Whether a transaction signed with `blockhash` can still land: it
    /// became the latest at most [`MAX_PROCESSING_AGE`] blocks ago — the
    /// rule the runtime applies, with one blockhash per block.
    pub async fn is_blockhash_valid(&self, blockhash: &Hash) -> Result<bool, BanksClientError> {
        let height = self.block_height().await?;
        let recent = self.blockhashes.lock().unwrap_or_else(|p| p.into_inner());
        Ok(recent
            .iter()
            .find(|(hash, _)| hash == blockhash)
            .is_some_and(|(_, since)| height <= since.saturating_add(MAX_PROCESSING_AGE)))
    }

    /// `raw` logs of this runtime as a validator writes them.
    fn validator_logs(&self, raw: &[String]) -> Vec<String> {
        validator_logs(raw, &self.native)
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
            logs: self.validator_logs(&details.logs),
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
    pub async fn airdrop(
        self: &Arc<Self>,
        to: &Pubkey,
        lamports: u64,
    ) -> Result<Signature, SendError> {
        let (blockhash, _) = self.latest_blockhash().await.map_err(SendError::Banks)?;
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

    /// Up to `limit` transactions naming `address`, newest first: those
    /// older than `before` (from the newest when `None`), and newer than
    /// `until`. A `before` that does not name `address` finds nothing; an
    /// `until` that does not is no bound.
    pub fn records_for(
        &self,
        address: &Pubkey,
        before: Option<&Signature>,
        until: Option<&Signature>,
        limit: usize,
    ) -> Vec<Record> {
        let ledger = self.ledger.read().unwrap_or_else(|p| p.into_inner());
        let Some(indices) = ledger.by_address.get(address) else {
            return Vec::new();
        };
        // Where a signature sits in this address's list.
        let at = |signature: Option<&Signature>| {
            let index = ledger.by_signature.get(signature?)?;
            indices.binary_search(index).ok()
        };
        let end = match before {
            Some(_) => match at(before) {
                Some(end) => end,
                None => return Vec::new(),
            },
            None => indices.len(),
        };
        let start = at(until).map_or(0, |i| i + 1).min(end);
        indices[start..end]
            .iter()
            .rev()
            .take(limit)
            .map(|i| ledger.records[*i].clone())
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
