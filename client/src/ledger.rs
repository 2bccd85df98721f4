//! The `Ledger`: how a front end reaches the chain. One trait, two backends —
//! RPC (the CLI and the daemon) and in-process BanksClient (tests, benches) —
//! so tests exercise the same code the CLI runs.
use async_trait::async_trait;
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::message::compiled_instruction::CompiledInstruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::{Transaction, TransactionError};

use crate::error::ClientError;
use crate::events::Usd1Event;

/// What a simulation says a transaction would do.
#[derive(Clone, Debug, Default)]
pub struct Simulation {
    /// Why it would fail, with the program that would raise it.
    pub err: Option<crate::Failure>,
    pub logs: Vec<String>,
    pub units_consumed: u64,
    /// Inner instructions as (program id, data), in execution order.
    pub inner_instructions: Vec<(Pubkey, Vec<u8>)>,
}

impl Simulation {
    /// The program events the transaction would emit.
    pub fn events(&self) -> Vec<Usd1Event> {
        crate::events::from_inner_instructions(
            self.inner_instructions
                .iter()
                .map(|(p, d)| (p, d.as_slice())),
        )
    }
}

/// A transaction the chain accepted, with the events it emitted.
#[derive(Clone, Debug)]
pub struct Executed {
    pub signature: Signature,
    pub events: Vec<Usd1Event>,
}

/// One instruction of a recorded transaction, resolved to keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedInstruction {
    pub program_id: Pubkey,
    pub accounts: Vec<Pubkey>,
    pub data: Vec<u8>,
}

/// A successful transaction as the ledger recorded it: what auditors replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedTransaction {
    pub signature: Signature,
    pub slot: u64,
    /// Unix seconds (the slot's clock), when the ledger knows it.
    pub block_time: Option<i64>,
    /// Position among its block's transactions, when the ledger knows it:
    /// the order of one slot's transactions is otherwise not known.
    pub position: Option<u64>,
    /// Top-level instructions, in order.
    pub instructions: Vec<RecordedInstruction>,
    /// Instructions programs invoked (CPIs), in execution order.
    pub inner_instructions: Vec<RecordedInstruction>,
    pub events: Vec<Usd1Event>,
}

/// A compiled instruction resolved against `keys`; an index past the keys
/// resolves to the default key (never a real program or account).
fn resolve(keys: &[Pubkey], ix: &CompiledInstruction) -> RecordedInstruction {
    let key = |index: u8| keys.get(usize::from(index)).copied().unwrap_or_default();
    RecordedInstruction {
        program_id: key(ix.program_id_index),
        accounts: ix.accounts.iter().map(|a| key(*a)).collect(),
        data: ix.data.clone(),
    }
}

impl RecordedTransaction {
    /// Resolves compiled top-level and inner instructions against `keys`:
    /// a message's static keys followed, for a v0 message, by the addresses
    /// it loaded from lookup tables (writable, then read-only).
    pub fn resolve(
        signature: Signature,
        slot: u64,
        block_time: Option<i64>,
        keys: &[Pubkey],
        instructions: &[CompiledInstruction],
        inner_instructions: &[CompiledInstruction],
    ) -> Self {
        let inner_instructions: Vec<RecordedInstruction> = inner_instructions
            .iter()
            .map(|ix| resolve(keys, ix))
            .collect();
        let events = crate::events::from_inner_instructions(
            inner_instructions
                .iter()
                .map(|ix| (&ix.program_id, ix.data.as_slice())),
        );
        Self {
            signature,
            slot,
            block_time,
            position: None,
            instructions: instructions.iter().map(|ix| resolve(keys, ix)).collect(),
            inner_instructions,
            events,
        }
    }

    /// Whether the transaction names `address`, at the top level or in a CPI.
    pub fn mentions(&self, address: &Pubkey) -> bool {
        self.instructions
            .iter()
            .chain(&self.inner_instructions)
            .any(|ix| ix.program_id == *address || ix.accounts.contains(address))
    }
}

/// One transaction of an address's signature list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listed {
    pub signature: Signature,
    pub slot: u64,
    /// It landed and failed (its effects were rolled back).
    pub failed: bool,
}

/// A token account of a mint, as a listing of the mint's accounts gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holding {
    pub account: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
    pub frozen: bool,
}

#[async_trait]
pub trait Ledger: Send + Sync {
    async fn latest_blockhash(&self) -> Result<Hash, ClientError>;

    async fn get_account(&self, address: &Pubkey) -> Result<Option<Account>, ClientError>;

    /// Several accounts, in order (`None` where one does not exist); over
    /// RPC, one `getMultipleAccounts` per hundred.
    async fn get_multiple_accounts(
        &self,
        addresses: &[Pubkey],
    ) -> Result<Vec<Option<Account>>, ClientError> {
        let mut out = Vec::with_capacity(addresses.len());
        for address in addresses {
            out.push(self.get_account(address).await?);
        }
        Ok(out)
    }

    async fn simulate(&self, transaction: &Transaction) -> Result<Simulation, ClientError>;

    /// Sends, waits for confirmation, and returns the events emitted; a refused
    /// transaction is `ClientError::Failed` with the runtime's reason.
    async fn send_and_confirm(&self, transaction: &Transaction) -> Result<Executed, ClientError>;

    /// [`Ledger::send_and_confirm`] for a sender that needs no events back
    /// (a payout): over RPC, no `getTransaction` after it lands.
    async fn send_and_confirm_quiet(
        &self,
        transaction: &Transaction,
    ) -> Result<Signature, ClientError> {
        Ok(self.send_and_confirm(transaction).await?.signature)
    }

    async fn minimum_balance_for_rent_exemption(&self, data_len: usize)
        -> Result<u64, ClientError>;

    /// Whether a sent transaction landed, at this ledger's commitment:
    /// `None` if the ledger has not seen it there (not at all, or only at a
    /// lower commitment, from which it may yet be rolled back), `Some(Err)`
    /// if it landed and failed.
    async fn signature_status(
        &self,
        signature: &Signature,
    ) -> Result<Option<Result<(), TransactionError>>, ClientError>;

    /// Whether the ledger has seen `signature` at any commitment: one seen
    /// only below this ledger's commitment has not landed yet, but may.
    async fn signature_seen(&self, signature: &Signature) -> Result<bool, ClientError> {
        Ok(self.signature_status(signature).await?.is_some())
    }

    /// Whether a transaction signed with `blockhash` could still land, as
    /// the node sees it. A node that lags says "no" for a blockhash it has
    /// not seen yet, so a sender that knows the blockhash's last valid block
    /// height judges by [`Ledger::block_height`] instead
    /// ([`crate::send_journal::can_no_longer_land`]).
    async fn is_blockhash_valid(&self, blockhash: &Hash) -> Result<bool, ClientError>;

    /// The chain's block height at this ledger's commitment (confirmed at
    /// least): a transaction whose blockhash's last valid block height is
    /// below it can no longer land.
    async fn block_height(&self) -> Result<u64, ClientError>;

    /// The last block height a transaction signed with `blockhash` can land
    /// in, when this ledger handed that blockhash out
    /// ([`Ledger::latest_blockhash`]); `None` for one it did not.
    fn last_valid_block_height(&self, _blockhash: &Hash) -> Option<u64> {
        None
    }

    /// Every successful transaction that mentions `address`, oldest first.
    async fn history(&self, address: &Pubkey) -> Result<Vec<RecordedTransaction>, ClientError>;

    /// Up to `limit` of the transactions naming `address`, newest first:
    /// older than `before` and newer than `until` (neither included), failed
    /// ones too where the ledger lists them. A `before` not in the list
    /// finds nothing; an `until` not in it is no bound. By default read
    /// from [`Ledger::history`] (ledgers that keep no index of their own).
    async fn signatures(
        &self,
        address: &Pubkey,
        before: Option<&Signature>,
        until: Option<&Signature>,
        limit: usize,
    ) -> Result<Vec<Listed>, ClientError> {
        let history = self.history(address).await?;
        let mut newest_first: Vec<Listed> = history
            .iter()
            .rev()
            .map(|tx| Listed {
                signature: tx.signature,
                slot: tx.slot,
                failed: false,
            })
            .collect();
        if let Some(before) = before {
            match newest_first.iter().position(|l| l.signature == *before) {
                Some(at) => drop(newest_first.drain(..=at)),
                None => return Ok(Vec::new()),
            }
        }
        if let Some(at) = until.and_then(|u| newest_first.iter().position(|l| l.signature == *u)) {
            newest_first.truncate(at);
        }
        newest_first.truncate(limit);
        Ok(newest_first)
    }

    /// One successful transaction of `address`'s list, decoded for replay.
    /// By default found in [`Ledger::history`].
    async fn recorded(
        &self,
        address: &Pubkey,
        signature: &Signature,
    ) -> Result<RecordedTransaction, ClientError> {
        self.history(address)
            .await?
            .into_iter()
            .find(|tx| tx.signature == *signature)
            .ok_or_else(|| {
                ClientError::Ledger(format!(
                    "transaction {signature} is not in the history of {address}"
                ))
            })
    }

    /// Every token account of `mint` (of `token_program`), where the
    /// ledger can list accounts (over RPC, `getProgramAccounts`).
    async fn holdings(
        &self,
        mint: &Pubkey,
        _token_program: &Pubkey,
    ) -> Result<Vec<Holding>, ClientError> {
        Err(ClientError::Ledger(format!(
            "this ledger cannot list the token accounts of {mint} (it has no getProgramAccounts)"
        )))
    }

    /// Requests sent to the node so far, where the ledger counts them.
    fn requests_sent(&self) -> Option<u64> {
        None
    }

    /// The signatures of `slot`'s block in execution order, where the
    /// ledger can say (`None`: it cannot, beyond the positions it records).
    async fn block_order(&self, _slot: u64) -> Result<Option<Vec<Signature>>, ClientError> {
        Ok(None)
    }

    /// The chain's clock, in unix seconds (the Clock sysvar).
    async fn unix_timestamp(&self) -> Result<i64, ClientError> {
        Ok(self.clock().await?.1)
    }

    /// The Clock sysvar's slot and unix seconds.
    async fn clock(&self) -> Result<(u64, i64), ClientError> {
        let clock = solana_sdk::sysvar::clock::ID;
        let account = self
            .get_account(&clock)
            .await?
            .ok_or(ClientError::AccountNotFound(clock))?;
        // Clock: slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp.
        let field = |range: std::ops::Range<usize>| {
            let bytes = account.data.get(range).ok_or_else(|| ClientError::Decode {
                address: clock,
                kind: "Clock",
                reason: "account too short".into(),
            })?;
            let mut raw = [0u8; 8];
            raw.copy_from_slice(bytes);
            Ok::<_, ClientError>(raw)
        };
        Ok((
            u64::from_le_bytes(field(0..8)?),
            i64::from_le_bytes(field(32..40)?),
        ))
    }
}

/// The last valid block height of the blockhashes a ledger handed out (the
/// newest few hundred): what the send path judges expiry by.
#[derive(Default)]
pub struct BlockhashLifetimes(std::sync::Mutex<std::collections::VecDeque<(Hash, u64)>>);

impl BlockhashLifetimes {
    /// Blockhashes remembered: far more than live at once (150 blocks).
    const KEPT: usize = 512;

    pub fn remember(&self, blockhash: Hash, last_valid_block_height: u64) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if kept.iter().any(|(hash, _)| *hash == blockhash) {
            return;
        }
        if kept.len() == Self::KEPT {
            kept.pop_front();
        }
        kept.push_back((blockhash, last_valid_block_height));
    }

    pub fn of(&self, blockhash: &Hash) -> Option<u64> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter()
            .rev()
            .find(|(hash, _)| hash == blockhash)
            .map(|(_, height)| *height)
    }
}
