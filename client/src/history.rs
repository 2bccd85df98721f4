//! Reading an address's history oldest first, a bounded window at a time.
//!
//! The node lists an address's transactions newest first, a page of at most
//! a thousand at a time. [`HistoryReader::open`] walks those pages back to
//! the last transaction already read (`until`), keeping only the newest and
//! the oldest page and, for the others, where each began. It then hands the
//! transactions out oldest first: each page is listed again from where it
//! began, and its transactions are fetched `concurrency` at a time, in
//! order. Memory holds two pages of signatures and the transactions in
//! flight, whatever the history's length.
use std::collections::VecDeque;

use futures::future::BoxFuture;
use futures::stream::{FuturesOrdered, StreamExt};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;

use crate::error::ClientError;
use crate::ledger::{Ledger, Listed, RecordedTransaction};

/// The most signatures one `getSignaturesForAddress` call lists.
pub const PAGE: usize = 1_000;

/// How many transactions are fetched at once by default.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// How far a read has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Successful transactions handed out so far.
    pub read: u64,
    /// Successful transactions to read in all (so far, while still listing).
    pub total: u64,
    /// Still walking the list back to where the last read stopped.
    pub listing: bool,
}

/// One page of the list: the `before` it was listed with, and its
/// entries while they are kept (else it is listed again).
struct Page {
    before: Option<Signature>,
    len: usize,
    kept: Option<Vec<Listed>>,
}

/// Reads successful transactions of an address, oldest first.
pub struct HistoryReader<'a, L: Ledger + ?Sized> {
    ledger: &'a L,
    address: Pubkey,
    until: Option<Signature>,
    concurrency: usize,
    /// Pages still to read, in the order listed: the oldest last.
    pages: Vec<Page>,
    /// Signatures to fetch, oldest first.
    queue: VecDeque<Signature>,
    in_flight: FuturesOrdered<BoxFuture<'a, Result<RecordedTransaction, ClientError>>>,
    newest: Option<Listed>,
    total: u64,
    read: u64,
}

impl<'a, L: Ledger + ?Sized> HistoryReader<'a, L> {
    /// Lists `address`'s transactions newer than `until` (all of them with
    /// `None`); `again` are signatures read before that are to be read once
    /// more, first (they are older than everything listed).
    pub async fn open(
        ledger: &'a L,
        address: &Pubkey,
        until: Option<Signature>,
        again: &[Signature],
        concurrency: usize,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Self, ClientError> {
        let mut pages: Vec<Page> = Vec::new();
        let mut before: Option<Signature> = None;
        let mut newest = None;
        let mut total = again.len() as u64;
        loop {
            let page = ledger
                .signatures(address, before.as_ref(), until.as_ref(), PAGE)
                .await?;
            let Some(oldest) = page.last().map(|l| l.signature) else {
                break;
            };
            newest = newest.or(page.first().copied());
            total += page.iter().filter(|l| !l.failed).count() as u64;
            let full = page.len() == PAGE;
            // Only the newest page and the one listed last stay in memory.
            if pages.len() > 1 {
                if let Some(previous) = pages.last_mut() {
                    previous.kept = None;
                }
            }
            pages.push(Page {
                before,
                len: page.len(),
                kept: Some(page),
            });
            before = Some(oldest);
            progress(Progress {
                read: 0,
                total,
                listing: true,
            });
            if !full {
                break;
            }
        }
        Ok(Self {
            ledger,
            address: *address,
            until,
            concurrency: concurrency.max(1),
            pages,
            queue: again.iter().copied().collect(),
            in_flight: FuturesOrdered::new(),
            newest,
            total,
            read: 0,
        })
    }

    /// The newest transaction listed (failed or not): where the next read
    /// starts after. `None` when nothing was listed.
    pub fn newest(&self) -> Option<Listed> {
        self.newest
    }

    pub fn progress(&self) -> Progress {
        Progress {
            read: self.read,
            total: self.total,
            listing: false,
        }
    }

    /// The next successful transaction, oldest first; `None` at the end.
    pub async fn next(&mut self) -> Result<Option<RecordedTransaction>, ClientError> {
        while self.in_flight.len() < self.concurrency {
            if self.queue.is_empty() && !self.refill().await? {
                break;
            }
            let Some(signature) = self.queue.pop_front() else {
                break;
            };
            let (ledger, address) = (self.ledger, self.address);
            self.in_flight.push_back(Box::pin(async move {
                ledger.recorded(&address, &signature).await
            }));
        }
        match self.in_flight.next().await {
            Some(fetched) => {
                self.read += 1;
                fetched.map(Some)
            }
            None => Ok(None),
        }
    }

    /// Queues the next page's successful signatures, oldest first; false
    /// when no page is left.
    async fn refill(&mut self) -> Result<bool, ClientError> {
        let Some(page) = self.pages.pop() else {
            return Ok(false);
        };
        let listed = match page.kept {
            Some(listed) => listed,
            None => {
                let listed = self
                    .ledger
                    .signatures(
                        &self.address,
                        page.before.as_ref(),
                        self.until.as_ref(),
                        PAGE,
                    )
                    .await?;
                if listed.len() != page.len {
                    return Err(ClientError::Ledger(format!(
                        "the history of {} changed while it was read: a page listed {} \
                         transactions, then {} (read at a commitment whose history can change?)",
                        self.address,
                        page.len,
                        listed.len()
                    )));
                }
                listed
            }
        };
        self.queue.extend(
            listed
                .iter()
                .rev()
                .filter(|l| !l.failed)
                .map(|l| l.signature),
        );
        Ok(true)
    }
}
