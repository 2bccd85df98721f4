//! The dollar ledger: double entry over the fiat side of the desk. Every
//! booking's postings sum to zero (debits positive, credits negative, in
//! USD1 base units: a dollar is 10^6), so the books always balance; what each
//! movement of money books is decided here, in plain functions, and the
//! store writes the postings in the transaction of the movement.
//!
//! Accounts: `bank_cash` (the issuer's bank account, an asset);
//! `customer:ID` (dollars the desk owes a customer: received and not yet
//! minted, or redeemed and not yet paid); `suspense` (money no one is known
//! to own yet); `tokens_outstanding` (dollars that back USD1 in
//! circulation); `payouts_in_transit` (sent to the bank, not yet debited);
//! `fees`.
use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub enum Account {
    BankCash,
    Customer(String),
    Suspense,
    TokensOutstanding,
    PayoutsInTransit,
    Fees,
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::BankCash => f.write_str("bank_cash"),
            Account::Customer(id) => write!(f, "customer:{id}"),
            Account::Suspense => f.write_str("suspense"),
            Account::TokensOutstanding => f.write_str("tokens_outstanding"),
            Account::PayoutsInTransit => f.write_str("payouts_in_transit"),
            Account::Fees => f.write_str("fees"),
        }
    }
}

impl From<Account> for String {
    fn from(account: Account) -> String {
        account.to_string()
    }
}

impl Account {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "bank_cash" => Account::BankCash,
            "suspense" => Account::Suspense,
            "tokens_outstanding" => Account::TokensOutstanding,
            "payouts_in_transit" => Account::PayoutsInTransit,
            "fees" => Account::Fees,
            other => Account::Customer(other.strip_prefix("customer:")?.to_string()),
        })
    }
}

/// One line: `amount` debited (positive) or credited (negative).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Posting {
    pub account: Account,
    pub amount: i128,
}

/// What one movement books: balanced postings and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Booking {
    pub what: &'static str,
    pub postings: Vec<Posting>,
}

impl Booking {
    fn pair(what: &'static str, debit: Account, credit: Account, amount: u64) -> Self {
        let amount = i128::from(amount);
        Booking {
            what,
            postings: vec![
                Posting {
                    account: debit,
                    amount,
                },
                Posting {
                    account: credit,
                    amount: -amount,
                },
            ],
        }
    }

    pub fn is_balanced(&self) -> bool {
        self.postings.iter().map(|p| p.amount).sum::<i128>() == 0
    }
}

/// A customer's wire booked: the bank holds it, the desk owes the customer.
pub fn deposit_received(customer: &str, amount: u64) -> Booking {
    let owed = Account::Customer(customer.into());
    Booking::pair("deposit received", Account::BankCash, owed, amount)
}

/// A wire no one is known to have sent: suspense.
pub fn deposit_in_suspense(amount: u64) -> Booking {
    Booking::pair(
        "deposit in suspense",
        Account::BankCash,
        Account::Suspense,
        amount,
    )
}

/// A deposit in suspense found to be a customer's: the desk owes it to them.
pub fn deposit_owner_named(customer: &str, amount: u64) -> Booking {
    let owed = Account::Customer(customer.into());
    Booking::pair("deposit owner named", Account::Suspense, owed, amount)
}

/// USD1 minted for a deposit: the dollars now back tokens.
pub fn minted(customer: &str, amount: u64) -> Booking {
    let owed = Account::Customer(customer.into());
    Booking::pair("minted", owed, Account::TokensOutstanding, amount)
}

/// The bank took a deposit back: from the customer (or suspense) it was owed to.
pub fn deposit_reversed(owner: Account, amount: u64) -> Booking {
    Booking::pair("deposit reversed", owner, Account::BankCash, amount)
}

/// Tokens redeemed: the dollars behind them are owed to the customer,
/// less the fee.
pub fn redeemed(customer: &str, amount: u64, fee: u64) -> Booking {
    let owed = Account::Customer(customer.into());
    let (amount, fee) = (i128::from(amount), i128::from(fee.min(amount)));
    Booking {
        what: "redeemed",
        postings: vec![
            Posting {
                account: Account::TokensOutstanding,
                amount,
            },
            Posting {
                account: owed,
                amount: -(amount - fee),
            },
            Posting {
                account: Account::Fees,
                amount: -fee,
            },
        ],
    }
}

/// A redemption refused on-chain: the tokens are back, nothing is owed.
pub fn redemption_rejected(customer: &str, amount: u64, fee: u64) -> Booking {
    let mut booking = redeemed(customer, amount, fee);
    booking.what = "redemption rejected";
    for posting in &mut booking.postings {
        posting.amount = -posting.amount;
    }
    booking
}

/// A payment to the customer's bank account sent.
pub fn payout_sent(customer: &str, amount: u64) -> Booking {
    let owed = Account::Customer(customer.into());
    Booking::pair("payout sent", owed, Account::PayoutsInTransit, amount)
}

/// The bank refused the payment: the dollars never left.
pub fn payout_refused(customer: &str, amount: u64) -> Booking {
    let owed = Account::Customer(customer.into());
    Booking::pair("payout refused", Account::PayoutsInTransit, owed, amount)
}

/// The payment's debit booked by the bank.
pub fn payout_debited(amount: u64) -> Booking {
    Booking::pair(
        "payout debited",
        Account::PayoutsInTransit,
        Account::BankCash,
        amount,
    )
}

/// A payment returned by the creditor's bank: the dollars are the customer's again.
pub fn payout_returned(customer: &str, amount: u64) -> Booking {
    let owed = Account::Customer(customer.into());
    Booking::pair("payout returned", Account::BankCash, owed, amount)
}

/// Balances from postings, refusing an unbalanced booking.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Books {
    pub balances: BTreeMap<Account, i128>,
}

impl Books {
    pub fn post(&mut self, booking: &Booking) -> Result<(), String> {
        if !booking.is_balanced() {
            return Err(format!("'{}' does not balance", booking.what));
        }
        for posting in &booking.postings {
            *self.balances.entry(posting.account.clone()).or_default() += posting.amount;
        }
        Ok(())
    }

    pub fn balance(&self, account: &Account) -> i128 {
        self.balances.get(account).copied().unwrap_or_default()
    }

    /// The sum of every balance: zero when the books balance.
    pub fn total(&self) -> i128 {
        self.balances.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One thing that can happen to a customer's money.
    #[derive(Clone, Debug)]
    enum Step {
        Deposit(u8, u64),
        Suspense(u64),
        Named(u8, u64),
        Mint(u8, u64),
        Reverse(u8, u64),
        Redeem(u8, u64, u64),
        Reject(u8, u64, u64),
        Pay(u8, u64),
        Debit(u64),
        Refused(u8, u64),
        Return(u8, u64),
    }

    fn step() -> impl Strategy<Value = Step> {
        let amount = 1u64..1_000_000_000_000;
        let who = 0u8..4;
        prop_oneof![
            (who.clone(), amount.clone()).prop_map(|(c, a)| Step::Deposit(c, a)),
            amount.clone().prop_map(Step::Suspense),
            (who.clone(), amount.clone()).prop_map(|(c, a)| Step::Named(c, a)),
            (who.clone(), amount.clone()).prop_map(|(c, a)| Step::Mint(c, a)),
            (who.clone(), amount.clone()).prop_map(|(c, a)| Step::Reverse(c, a)),
            (who.clone(), amount.clone(), 0u64..10_000).prop_map(|(c, a, f)| Step::Redeem(c, a, f)),
            (who.clone(), amount.clone(), 0u64..10_000).prop_map(|(c, a, f)| Step::Reject(c, a, f)),
            (who.clone(), amount.clone()).prop_map(|(c, a)| Step::Pay(c, a)),
            amount.clone().prop_map(Step::Debit),
            (who.clone(), amount.clone()).prop_map(|(c, a)| Step::Refused(c, a)),
            (who, amount).prop_map(|(c, a)| Step::Return(c, a)),
        ]
    }

    fn booking(step: &Step) -> Booking {
        let name = |c: &u8| format!("cus_{c}");
        match step {
            Step::Deposit(c, a) => deposit_received(&name(c), *a),
            Step::Suspense(a) => deposit_in_suspense(*a),
            Step::Named(c, a) => deposit_owner_named(&name(c), *a),
            Step::Mint(c, a) => minted(&name(c), *a),
            Step::Reverse(c, a) => deposit_reversed(Account::Customer(name(c)), *a),
            Step::Redeem(c, a, f) => redeemed(&name(c), *a, *f),
            Step::Reject(c, a, f) => redemption_rejected(&name(c), *a, *f),
            Step::Pay(c, a) => payout_sent(&name(c), *a),
            Step::Debit(a) => payout_debited(*a),
            Step::Refused(c, a) => payout_refused(&name(c), *a),
            Step::Return(c, a) => payout_returned(&name(c), *a),
        }
    }

    proptest! {
        /// Any sequence of movements keeps every balance the sum of its
        /// postings and the books balanced.
        #[test]
        fn any_sequence_keeps_the_books_balanced(steps in proptest::collection::vec(step(), 1..200)) {
            let mut books = Books::default();
            let mut postings: Vec<Posting> = Vec::new();
            for step in &steps {
                let booking = booking(step);
                prop_assert!(booking.is_balanced(), "{booking:?}");
                books.post(&booking).unwrap();
                postings.extend(booking.postings);
            }
            prop_assert_eq!(books.total(), 0);
            for (account, balance) in &books.balances {
                let sum: i128 = postings.iter().filter(|p| &p.account == account).map(|p| p.amount).sum();
                prop_assert_eq!(*balance, sum, "{}", account);
            }
        }
    }

    #[test]
    fn an_unbalanced_booking_is_refused_and_changes_nothing() {
        let mut books = Books::default();
        books.post(&deposit_received("a", 5)).unwrap();
        let before = books.clone();
        let mut bad = minted("a", 5);
        bad.postings[1].amount = -4;
        assert_eq!(books.post(&bad), Err("'minted' does not balance".into()));
        assert_eq!(books, before);
    }

    #[test]
    fn a_deposit_in_suspense_named_and_minted_leaves_nothing_in_suspense() {
        let mut books = Books::default();
        books.post(&deposit_in_suspense(3_000_000)).unwrap();
        books.post(&deposit_owner_named("a", 3_000_000)).unwrap();
        assert_eq!(books.balance(&Account::Suspense), 0);
        assert_eq!(books.balance(&Account::Customer("a".into())), -3_000_000);
        books.post(&minted("a", 3_000_000)).unwrap();
        assert_eq!(books.balance(&Account::Customer("a".into())), 0);
        assert_eq!(books.balance(&Account::TokensOutstanding), -3_000_000);
        assert_eq!(books.balance(&Account::BankCash), 3_000_000);
    }

    #[test]
    fn a_deposit_minted_leaves_the_cash_backing_the_tokens() {
        let mut books = Books::default();
        books.post(&deposit_received("a", 7_000_000)).unwrap();
        books.post(&minted("a", 7_000_000)).unwrap();
        assert_eq!(books.balance(&Account::BankCash), 7_000_000);
        assert_eq!(books.balance(&Account::TokensOutstanding), -7_000_000);
        assert_eq!(books.balance(&Account::Customer("a".into())), 0);
        assert_eq!(
            Account::parse("customer:a"),
            Some(Account::Customer("a".into()))
        );
        assert_eq!(
            Account::parse(&Account::PayoutsInTransit.to_string()),
            Some(Account::PayoutsInTransit)
        );
    }
}
