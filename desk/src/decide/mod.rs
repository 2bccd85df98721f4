//! What the desk decides, in plain functions: which KYB changes are
//! allowed, whose deposit a bank entry is, what state a deposit is in given
//! what is known of it, and what a reversal means. The store only persists
//! these decisions.
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use usd1_client::bank::{BankAmount, Direction, Entry, Status};

pub mod redeem;

/// USD1's decimals: a dollar is 10^6 base units.
pub const DECIMALS: u32 = 6;

/// A customer's KYB standing. Only `approved` money moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kyb {
    Pending,
    Approved,
    Rejected,
    Suspended,
}

impl Kyb {
    pub const ALL: [Kyb; 4] = [Kyb::Pending, Kyb::Approved, Kyb::Rejected, Kyb::Suspended];

    pub fn as_str(self) -> &'static str {
        match self {
            Kyb::Pending => "pending",
            Kyb::Approved => "approved",
            Kyb::Rejected => "rejected",
            Kyb::Suspended => "suspended",
        }
    }
}

impl fmt::Display for Kyb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kyb {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        Kyb::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| {
                format!("'{text}' is not a KYB status (pending, approved, rejected, suspended)")
            })
    }
}

/// Whether a customer may go from `from` to `to`: a rejection is final; a
/// suspension is lifted by approving again; nothing returns to pending.
pub fn kyb_change(from: Kyb, to: Kyb) -> Result<(), String> {
    let allowed = match (from, to) {
        (a, b) if a == b => false,
        (Kyb::Rejected, _) => false,
        (_, Kyb::Pending) => false,
        (Kyb::Pending, _) => true,
        (Kyb::Approved, Kyb::Suspended | Kyb::Rejected) => true,
        (Kyb::Suspended, Kyb::Approved | Kyb::Rejected) => true,
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(format!("a customer cannot go from {from} to {to}"))
    }
}

/// A deposit reference: `USD1-` and eight characters no one misreads
/// (no 0/O, 1/I/L), from 40 random bits.
pub fn new_reference(random: u64) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut left = random;
    let mut code = String::from("USD1-");
    for _ in 0..8 {
        code.push(char::from(
            ALPHABET[(left % ALPHABET.len() as u64) as usize],
        ));
        left /= ALPHABET.len() as u64;
    }
    code
}

/// A bank amount (five decimals) in USD1 base units, if it is whole cents
/// of at most what a u64 holds.
pub fn base_units(amount: BankAmount) -> Option<u64> {
    let units = amount.base_units(DECIMALS)?;
    u64::try_from(units).ok()
}

/// Whose money a bank entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Matched<'a> {
    /// Not money in: a debit, or a balance-only line.
    NotIncoming,
    /// Its remittance names exactly this customer's reference.
    Customer(&'a str),
    /// No known reference, or more than one: suspense.
    Unknown { why: String },
}

/// Matches an incoming entry to the customer whose reference its remittance
/// names (`references`: the reference in capitals → the customer's id), as
/// a structured creditor reference or a word of the free text (or of the
/// entry's additional information), case-insensitively: each word looked up
/// once, whatever the number of customers.
pub fn match_entry<'a>(entry: &Entry, references: &'a HashMap<String, String>) -> Matched<'a> {
    if entry.direction != Direction::Credit || entry.reversal {
        return Matched::NotIncoming;
    }
    let words = |text: &str| -> Vec<String> {
        text.to_ascii_uppercase()
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut said: Vec<String> = Vec::new();
    for t in &entry.transactions {
        said.extend(
            t.remittance
                .structured
                .iter()
                .map(|r| r.trim().to_ascii_uppercase()),
        );
        for line in &t.remittance.unstructured {
            said.extend(words(line));
        }
    }
    if let Some(info) = &entry.info {
        said.extend(words(info));
    }
    let mut named: Vec<&'a str> = said
        .iter()
        .filter_map(|w| references.get(w).map(String::as_str))
        .collect();
    named.sort_unstable();
    named.dedup();
    match named.as_slice() {
        [customer] => Matched::Customer(customer),
        [] => Matched::Unknown {
            why: "its remittance names no customer's reference".into(),
        },
        several => Matched::Unknown {
            why: format!(
                "its remittance names {} customers' references",
                several.len()
            ),
        },
    }
}

/// Where a deposit stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Seen (PDNG) but not booked: no money yet.
    Pending,
    /// The customer is not approved: it waits, visibly.
    AwaitingKyb,
    /// Above the four-eyes amount: a second operator approves it.
    AwaitingApproval,
    /// The attested reserve does not cover it yet.
    AwaitingReserve,
    /// To be minted.
    Ready,
    /// A mint transaction is out; its outcome decides.
    Minting,
    Minted,
    /// The customer is listed (or a wallet of it): held under a case.
    Held,
    /// No known reference: held in suspense under a case.
    Suspense,
    /// Reversed by the bank before it was minted.
    Cancelled,
    /// Reversed by the bank after it was minted: the customer holds tokens
    /// without dollars; a case.
    ReturnedAfterMint,
}

impl State {
    pub const ALL: [State; 11] = [
        State::Pending,
        State::AwaitingKyb,
        State::AwaitingApproval,
        State::AwaitingReserve,
        State::Ready,
        State::Minting,
        State::Minted,
        State::Held,
        State::Suspense,
        State::Cancelled,
        State::ReturnedAfterMint,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::AwaitingKyb => "awaiting_kyb",
            State::AwaitingApproval => "awaiting_approval",
            State::AwaitingReserve => "awaiting_reserve",
            State::Ready => "ready",
            State::Minting => "minting",
            State::Minted => "minted",
            State::Held => "held",
            State::Suspense => "suspense",
            State::Cancelled => "cancelled",
            State::ReturnedAfterMint => "returned_after_mint",
        }
    }

    pub fn named(text: &str) -> Option<Self> {
        State::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the deposit may still be minted (nothing has gone out, nothing ended it).
    pub fn before_mint(self) -> bool {
        matches!(
            self,
            State::Pending
                | State::AwaitingKyb
                | State::AwaitingApproval
                | State::AwaitingReserve
                | State::Ready
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known of a deposit that has not been minted.
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    pub booked: bool,
    pub kyb: Kyb,
    /// The customer, or one of its wallets, is on a sanctions list.
    pub listed: bool,
    /// The customer has a registered wallet to mint to.
    pub has_wallet: bool,
    pub amount: u64,
    /// Deposits above this wait for a second operator.
    pub four_eyes_above: u64,
    /// A second operator approved it.
    pub approved: bool,
}

/// Where a matched deposit stands before the chain is asked (the reserve
/// is the program's decision, taken when it is minted).
pub fn state_of(facts: &Facts) -> State {
    if !facts.booked {
        State::Pending
    } else if facts.listed {
        State::Held
    } else if facts.kyb != Kyb::Approved || !facts.has_wallet {
        State::AwaitingKyb
    } else if facts.amount > facts.four_eyes_above && !facts.approved {
        State::AwaitingApproval
    } else {
        State::Ready
    }
}

/// Whether minting `amount` keeps supply within the program's ceiling.
pub fn reserve_covers(amount: u64, supply: u64, ceiling: u64) -> bool {
    supply
        .checked_add(amount)
        .is_some_and(|after| after <= ceiling)
}

/// What a bank reversal of a deposit's entry does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reversal {
    /// Not yet minted: the deposit is cancelled.
    Cancel,
    /// Already minted (or a mint is out): a case, the customer owes dollars.
    AfterMint,
    /// Already ended (cancelled, returned): nothing more.
    Nothing,
}

pub fn reversal_of(state: State) -> Reversal {
    match state {
        s if s.before_mint() => Reversal::Cancel,
        State::Minting | State::Minted => Reversal::AfterMint,
        State::Held | State::Suspense => Reversal::Cancel,
        _ => Reversal::Nothing,
    }
}

/// Whether a bank entry is money yet (booked), pending, or neither.
pub fn booked(entry: &Entry) -> Option<bool> {
    match entry.status {
        Status::Booked => Some(true),
        Status::Pending => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kyb_changes_follow_the_rules() {
        assert!(kyb_change(Kyb::Pending, Kyb::Approved).is_ok());
        assert!(kyb_change(Kyb::Approved, Kyb::Suspended).is_ok());
        assert!(kyb_change(Kyb::Suspended, Kyb::Approved).is_ok());
        assert!(kyb_change(Kyb::Rejected, Kyb::Approved).is_err());
        assert!(kyb_change(Kyb::Approved, Kyb::Pending).is_err());
        assert!(kyb_change(Kyb::Approved, Kyb::Approved).is_err());
    }

    #[test]
    fn references_are_unambiguous_and_distinct() {
        let a = new_reference(0x0012_3456_789a);
        let b = new_reference(0x0012_3456_789b);
        assert_ne!(a, b);
        assert_eq!(a.len(), 13);
        assert!(a[5..].chars().all(|c| !"01OIL".contains(c)), "{a}");
    }

    #[test]
    fn a_deposit_waits_for_each_missing_thing_in_turn() {
        let ready = Facts {
            booked: true,
            kyb: Kyb::Approved,
            listed: false,
            has_wallet: true,
            amount: 10,
            four_eyes_above: 100,
            approved: false,
        };
        assert_eq!(state_of(&ready), State::Ready);
        assert_eq!(
            state_of(&Facts {
                booked: false,
                ..ready
            }),
            State::Pending
        );
        assert_eq!(
            state_of(&Facts {
                listed: true,
                ..ready
            }),
            State::Held
        );
        assert_eq!(
            state_of(&Facts {
                kyb: Kyb::Suspended,
                ..ready
            }),
            State::AwaitingKyb
        );
        assert_eq!(
            state_of(&Facts {
                has_wallet: false,
                ..ready
            }),
            State::AwaitingKyb
        );
        let big = Facts {
            amount: 101,
            ..ready
        };
        assert_eq!(state_of(&big), State::AwaitingApproval);
        assert_eq!(
            state_of(&Facts {
                approved: true,
                ..big
            }),
            State::Ready
        );
    }

    #[test]
    fn the_reserve_covers_up_to_the_ceiling_exactly() {
        assert!(reserve_covers(5, 95, 100));
        assert!(!reserve_covers(6, 95, 100));
        assert!(!reserve_covers(u64::MAX, 1, u64::MAX));
    }

    #[test]
    fn a_reversal_cancels_before_the_mint_and_opens_a_case_after() {
        assert_eq!(reversal_of(State::AwaitingReserve), Reversal::Cancel);
        assert_eq!(reversal_of(State::Minting), Reversal::AfterMint);
        assert_eq!(reversal_of(State::Minted), Reversal::AfterMint);
        assert_eq!(reversal_of(State::Cancelled), Reversal::Nothing);
    }
}
