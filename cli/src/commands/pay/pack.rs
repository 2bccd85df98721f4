//! Packing rows into transactions: as many as fit one packet (1,232 bytes)
//! and the compute budget, or `--rows-per-tx`. A transaction pays all its
//! rows or none, so one journal attempt covers exactly the rows it holds.
//!
//! A transaction is: the compute-unit limit (and price, with
//! `--priority-fee`), then per row the associated account's creation where
//! it does not exist yet and the transfer, then the memos. A row with its
//! own memo keeps a memo instruction of its own
//! (`usd1-pay:<id> batch:<batch> <file>:<line> <memo>`); the others share
//! one: `usd1-pay:<id>,<id>… batch:<batch> <file>:<lines>` (lines as runs,
//! `3-14`), which for a single row is the same text as before packing.
use std::collections::HashSet;

use solana_sdk::instruction::Instruction;
use solana_sdk::message::Message;
use solana_sdk::pubkey::Pubkey;
use usd1_client::compute::{
    BASE_UNITS, CREATE_UNITS, MEMO_UNITS, MEMO_UNITS_PER_BYTE, TRANSFER_UNITS,
};
use usd1_client::instructions::{self, MAX_COMPUTE_UNIT_LIMIT};
use usd1_client::size::PACKET_DATA_SIZE;
use usd1_client::{Ledger, Usd1};

use super::{Row, ROW_MEMO_PREFIX};

/// Lamports per signature (the cluster's base fee).
pub(super) const LAMPORTS_PER_SIGNATURE: u64 = 5_000;

/// How rows are packed and what each transaction pays for priority.
#[derive(Clone, Copy, Debug)]
pub(super) struct Packing {
    /// At most this many rows per transaction (`None`: as many as fit).
    pub rows_per_tx: Option<usize>,
    /// Micro-lamports per compute unit (`--priority-fee`).
    pub priority_fee: u64,
}

/// The rows one transaction pays, and whether each needs its account created.
#[derive(Clone, Debug)]
pub(super) struct Group {
    pub rows: Vec<Row>,
    pub create: Vec<bool>,
}

/// A group's transaction: its instructions, which row each instruction
/// belongs to, and the compute units it asks for.
pub(super) struct Built {
    pub instructions: Vec<Instruction>,
    pub row_of: Vec<Option<usize>>,
    pub units: u32,
    /// What its parts need is within the most a transaction may ask.
    pub within_budget: bool,
    /// What its parts need, uncapped.
    raw_units: u64,
    /// It has a shared memo (rows without their own).
    shared: bool,
}

impl Built {
    /// The fee it pays: one signature and the priority fee on its limit.
    pub fn fee(&self, packing: &Packing) -> u64 {
        let priority =
            (u128::from(self.units) * u128::from(packing.priority_fee)).div_ceil(1_000_000);
        LAMPORTS_PER_SIGNATURE.saturating_add(u64::try_from(priority).unwrap_or(u64::MAX))
    }

    /// Serialized size with the payer's one signature.
    fn size(&self, payer: &Pubkey) -> usize {
        let message = Message::new(&self.instructions, Some(payer));
        1 + 64 * usize::from(message.header.num_required_signatures) + message.serialize().len()
    }
}

/// The most a row without its own memo adds to a transaction that already
/// has a shared memo: (bytes, compute units). Its recipient's account (and
/// wallet, where it is created) as new keys, the instructions, its id and a
/// run of lines in the memo, and a byte where a length grows.
fn row_bound(row: &Row, create: bool) -> (usize, u64) {
    let digits = row.line.to_string().len();
    let memo = 1 + 16 + 2 + 2 * digits;
    let transfer = 1 + 1 + 4 + 1 + 10;
    let creation = 1 + 1 + 6 + 1 + 1;
    let keys = if create { 64 } else { 32 };
    let bytes = keys + transfer + memo + 2 + if create { creation } else { 0 };
    let units = u64::from(TRANSFER_UNITS)
        + if create { u64::from(CREATE_UNITS) } else { 0 }
        + u64::from(MEMO_UNITS_PER_BYTE) * memo as u64;
    (bytes, units)
}

/// Which recipients have no token account of the mint yet.
pub(super) async fn missing_accounts(
    usd1: &Usd1<dyn Ledger>,
    rows: &[Row],
) -> Result<HashSet<Pubkey>, usd1_client::ClientError> {
    let owners: Vec<Pubkey> = rows.iter().map(|r| r.recipient).collect();
    let accounts: Vec<Pubkey> = owners.iter().map(|o| usd1.token_account_of(o)).collect();
    let found = usd1.ledger().get_multiple_accounts(&accounts).await?;
    Ok(owners
        .into_iter()
        .zip(found)
        .filter(|(_, account)| account.is_none())
        .map(|(owner, _)| owner)
        .collect())
}

/// The memo of a row that has its own.
pub(super) fn row_memo(row: &Row, id: &str, batch: &str, name: &str) -> Option<String> {
    row.memo.as_ref().map(|memo| {
        format!(
            "{ROW_MEMO_PREFIX}{id} batch:{batch} {name}:{} {memo}",
            row.line
        )
    })
}

/// The shared memo of rows without their own, (row id, line) each:
/// `usd1-pay:<id>,<id>… batch:<batch> <file>:<lines>`, the lines as runs
/// (`3-14,16`); for one row the same text as an unpacked transfer's.
pub(super) fn shared_memo(rows: &[(String, usize)], batch: &str, name: &str) -> String {
    let ids: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    let mut lines: Vec<usize> = rows.iter().map(|(_, line)| *line).collect();
    lines.sort_unstable();
    let mut runs: Vec<String> = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let start = lines[at];
        let mut end = start;
        while at + 1 < lines.len() && lines[at + 1] == end + 1 {
            at += 1;
            end = lines[at];
        }
        runs.push(if end == start {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        at += 1;
    }
    format!(
        "{ROW_MEMO_PREFIX}{} batch:{batch} {name}:{}",
        ids.join(","),
        runs.join(",")
    )
}

/// The row ids a memo names: every 16-hex-digit id after `usd1-pay:`,
/// comma-separated where a packed transaction's shared memo lists several.
pub fn memo_row_ids(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .filter_map(|word| word.strip_prefix(ROW_MEMO_PREFIX))
        .flat_map(|ids| ids.split(','))
        .filter(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .collect()
}

/// The transaction that pays `group`.
pub(super) fn build(
    usd1: &Usd1<dyn Ledger>,
    group: &Group,
    packing: &Packing,
    batch: &str,
    name: &str,
) -> Result<Built, String> {
    let payer = usd1.payer().pubkey();
    let mint = usd1.mint();
    let mut body: Vec<Instruction> = Vec::new();
    let mut row_of: Vec<Option<usize>> = Vec::new();
    let mut units = u64::from(BASE_UNITS);
    let mut shared: Vec<(String, usize)> = Vec::new();
    let mut own: Vec<(usize, String)> = Vec::new();
    for (at, row) in group.rows.iter().enumerate() {
        if group.create[at] {
            body.push(usd1.create_token_account(&row.recipient));
            row_of.push(Some(at));
            units += u64::from(CREATE_UNITS);
        }
        body.push(
            instructions::transfer(
                &payer,
                &mint,
                &row.recipient,
                &usd1.token_program(),
                row.amount,
                usd1.decimals(),
            )
            .map_err(|e| e.to_string())?,
        );
        row_of.push(Some(at));
        units += u64::from(TRANSFER_UNITS);
        let id = row.id(&mint, batch);
        match row_memo(row, &id, batch, name) {
            Some(memo) => own.push((at, memo)),
            None => shared.push((id, row.line)),
        }
    }
    let mut memos: Vec<(Option<usize>, String)> =
        own.into_iter().map(|(at, memo)| (Some(at), memo)).collect();
    let has_shared = !shared.is_empty();
    if has_shared {
        memos.push((None, shared_memo(&shared, batch, name)));
    }
    for (at, memo) in memos {
        units += u64::from(MEMO_UNITS) + u64::from(MEMO_UNITS_PER_BYTE) * memo.len() as u64;
        // Names the rows on-chain (what `--reconcile` finds) and makes
        // every transaction distinct.
        body.push(instructions::memo(&memo, &payer));
        row_of.push(at);
    }
    let (raw_units, within_budget) = (units, units <= u64::from(MAX_COMPUTE_UNIT_LIMIT));
    let units = u32::try_from(units)
        .unwrap_or(MAX_COMPUTE_UNIT_LIMIT)
        .min(MAX_COMPUTE_UNIT_LIMIT);
    let mut budget = vec![instructions::compute_unit_limit(units)];
    if packing.priority_fee > 0 {
        budget.push(instructions::compute_unit_price(packing.priority_fee));
    }
    let mut all_row_of = vec![None; budget.len()];
    all_row_of.extend(row_of);
    budget.extend(body);
    Ok(Built {
        instructions: budget,
        row_of: all_row_of,
        units,
        within_budget,
        raw_units,
        shared: has_shared,
    })
}

/// Rows in order, packed greedily: a row joins the transaction while it
/// still fits the packet, the compute limit and the cap.
pub(super) fn pack(
    usd1: &Usd1<dyn Ledger>,
    rows: Vec<Row>,
    missing: &HashSet<Pubkey>,
    packing: &Packing,
    batch: &str,
    name: &str,
) -> Result<Vec<Group>, String> {
    let payer = usd1.payer().pubkey();
    let cap = packing.rows_per_tx.unwrap_or(usize::MAX).max(1);
    let mut groups: Vec<Group> = Vec::new();
    let mut current = Group {
        rows: Vec::new(),
        create: Vec::new(),
    };
    // The last exact measure of `current` (or an upper bound of it): its
    // size and compute units, and whether it has a shared memo yet.
    let mut measured: Option<(usize, u64)> = None;
    for row in rows {
        // Transactions run concurrently: every row to a recipient that had
        // no account creates it (idempotently), whichever lands first.
        let create = missing.contains(&row.recipient);
        current.rows.push(row.clone());
        current.create.push(create);
        // A row without a memo of its own, joining a shared memo, adds at
        // most this much: building the message again is only needed near
        // the limits.
        let bound = measured
            .filter(|_| row.memo.is_none())
            .map(|(size, units)| {
                let (bytes, more) = row_bound(&row, create);
                (size + bytes, units + more)
            });
        let fits = current.rows.len() <= cap
            && match bound {
                Some((size, units))
                    if size <= PACKET_DATA_SIZE && units <= u64::from(MAX_COMPUTE_UNIT_LIMIT) =>
                {
                    measured = Some((size, units));
                    true
                }
                _ => {
                    let built = build(usd1, &current, packing, batch, name)?;
                    let size = built.size(&payer);
                    let fits = size <= PACKET_DATA_SIZE && built.within_budget;
                    measured = (fits && built.shared).then_some((size, built.raw_units));
                    fits
                }
            };
        if !fits && current.rows.len() > 1 {
            current.rows.pop();
            current.create.pop();
            let single = Group {
                rows: vec![row.clone()],
                create: vec![create],
            };
            groups.push(std::mem::replace(&mut current, single));
            let built = build(usd1, &current, packing, batch, name)?;
            measured = built
                .shared
                .then_some((built.size(&payer), built.raw_units));
        }
    }
    if !current.rows.is_empty() {
        groups.push(current);
    }
    Ok(groups)
}
