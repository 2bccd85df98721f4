//! What the desk decides about a redemption: whether it may be paid (a
//! registered wallet of an approved, unlisted customer with a linked bank
//! account), the payment's EndToEndId, and what each answer of the bank
//! means in each state.
use std::fmt;

use serde::Serialize;

use super::Kyb;

/// Where a redemption stands at the desk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Not the desk's to pay (an unknown or unapproved wallet, a listed
    /// customer, no linked account): held under a case, never paid.
    Held,
    /// To go in the next payment file.
    PaymentDue,
    /// In a payment file (pain.001); the bank's answer awaited.
    PaymentSent,
    /// The bank paid it: its settlement goes on-chain.
    Settling,
    /// Settled on-chain.
    Paid,
    /// The bank refused it: its rejection (a refund of the tokens) goes on-chain.
    Rejecting,
    /// Rejected on-chain; the tokens are back.
    Rejected,
    /// Paid and settled, then the wire came back: the dollars are the customer's again.
    Returned,
}

impl Stage {
    pub const ALL: [Stage; 8] = [
        Stage::Held,
        Stage::PaymentDue,
        Stage::PaymentSent,
        Stage::Settling,
        Stage::Paid,
        Stage::Rejecting,
        Stage::Rejected,
        Stage::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Held => "held",
            Stage::PaymentDue => "payment_due",
            Stage::PaymentSent => "payment_sent",
            Stage::Settling => "settling",
            Stage::Paid => "paid",
            Stage::Rejecting => "rejecting",
            Stage::Rejected => "rejected",
            Stage::Returned => "returned",
        }
    }

    pub fn named(text: &str) -> Option<Self> {
        Stage::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the desk knows of the wallet a redemption came from.
#[derive(Clone, Copy, Debug)]
pub struct Requester {
    pub kyb: Kyb,
    pub listed: bool,
    pub has_bank_account: bool,
}

/// Whether a new redemption is paid, or held and why.
pub fn stage_of(requester: Option<&Requester>) -> (Stage, Option<&'static str>) {
    match requester {
        None => (Stage::Held, Some("from a wallet no customer registered")),
        Some(r) if r.listed => (Stage::Held, Some("the customer's wallet is listed")),
        Some(r) if r.kyb != Kyb::Approved => (Stage::Held, Some("the customer is not approved")),
        Some(r) if !r.has_bank_account => {
            (Stage::Held, Some("the customer has no linked bank account"))
        }
        Some(_) => (Stage::PaymentDue, None),
    }
}

/// The payment's EndToEndId: the redemption's id, so the bank's answer and
/// its statement name the redemption (at most 35 characters).
pub fn end_to_end_id(id: u64) -> String {
    format!("USD1-RDM-{id}")
}

/// What the bank said of a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `ACSC` (or `ACCC`), or its debit booked on the statement: paid.
    Paid,
    /// `RJCT`.
    Refused,
    /// `ACCP`, `ACTC`, `PDNG`: accepted, not yet paid.
    Pending,
}

pub fn answer(status: &str) -> Answer {
    match status {
        "ACSC" | "ACCC" => Answer::Paid,
        "RJCT" => Answer::Refused,
        _ => Answer::Pending,
    }
}

/// What an answer does to a redemption in `stage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It moves to this stage.
    Moves(Stage),
    /// Heard before (the same answer again): nothing.
    AlreadyKnown,
    /// It contradicts what the bank said before (a refusal after a
    /// payment): nothing moves, a case opens.
    Contradicts,
    /// Not an answer that moves anything yet.
    Nothing,
}

pub fn on_answer(stage: Stage, answer: Answer) -> Outcome {
    match (stage, answer) {
        (_, Answer::Pending) => Outcome::Nothing,
        (Stage::PaymentSent, Answer::Paid) => Outcome::Moves(Stage::Settling),
        (Stage::PaymentSent, Answer::Refused) => Outcome::Moves(Stage::Rejecting),
        (Stage::Settling | Stage::Paid | Stage::Returned, Answer::Paid) => Outcome::AlreadyKnown,
        (Stage::Rejecting | Stage::Rejected, Answer::Refused) => Outcome::AlreadyKnown,
        (Stage::Settling | Stage::Paid | Stage::Returned, Answer::Refused) => Outcome::Contradicts,
        (Stage::Rejecting | Stage::Rejected, Answer::Paid) => Outcome::Contradicts,
        _ => Outcome::Nothing,
    }
}

/// What the desk records of a redemption the chain shows settled or
/// rejected by someone else (the treasurer's key used outside the desk)
/// while the desk still had to pay it, or to settle or reject it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outside {
    /// The stage recorded: the chain's.
    pub stage: Stage,
    /// What a person must look at (a case opens on the holder).
    pub concern: Option<&'static str>,
}

impl Outside {
    /// The tokens came back to the holder (rejected): the redemption's
    /// booking is reversed.
    pub fn reverses(&self) -> bool {
        self.stage == Stage::Rejected
    }
}

/// [`Outside`] of a redemption in `stage` that the chain shows `settled`
/// (else rejected); `None` if the desk has nothing left to do for it. The
/// desk never pays one: what the bank has not been asked to pay is not.
pub fn resolved_outside(stage: Stage, settled: bool) -> Option<Outside> {
    let (stage, concern) = match (stage, settled) {
        (Stage::PaymentDue, false) => (
            Stage::Rejected,
            Some("rejected on-chain outside the desk before the desk paid it: it is not paid"),
        ),
        (Stage::PaymentDue, true) => (
            Stage::Paid,
            Some(
                "settled on-chain outside the desk before the desk paid it: the desk does not \
                 pay it, and its books owe the customer until a payment outside is shown",
            ),
        ),
        (Stage::Settling, true) => (Stage::Paid, None),
        (Stage::Settling, false) => (
            Stage::Rejected,
            Some(
                "paid by the bank and rejected on-chain outside the desk: the customer holds \
                 both the dollars and the tokens",
            ),
        ),
        (Stage::Rejecting, false) => (Stage::Rejected, None),
        (Stage::Rejecting, true) => (
            Stage::Paid,
            Some(
                "refused by the bank and settled on-chain outside the desk: the tokens are \
                 burned and the customer is owed",
            ),
        ),
        _ => return None,
    };
    Some(Outside { stage, concern })
}

/// The on-chain reason code of a rejection the bank's reason caused
/// (`AC01` no such account 1, `AC04` closed 2, `AM04` funds 3, else 9).
pub fn reason_code(reason: Option<&str>) -> u16 {
    match reason {
        Some("AC01") => 1,
        Some("AC04") => 2,
        Some("AM04") => 3,
        _ => 9,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_approved_unlisted_customer_with_an_account_is_paid() {
        let ok = Requester {
            kyb: Kyb::Approved,
            listed: false,
            has_bank_account: true,
        };
        assert_eq!(stage_of(Some(&ok)).0, Stage::PaymentDue);
        assert_eq!(stage_of(None).0, Stage::Held);
        for held in [
            Requester { listed: true, ..ok },
            Requester {
                kyb: Kyb::Suspended,
                ..ok
            },
            Requester {
                has_bank_account: false,
                ..ok
            },
        ] {
            assert_eq!(stage_of(Some(&held)).0, Stage::Held, "{held:?}");
        }
    }

    #[test]
    fn what_was_resolved_outside_the_desk_is_recorded_as_the_chain_has_it() {
        let recorded = |stage, settled| {
            resolved_outside(stage, settled).map(|o| (o.stage, o.reverses(), o.concern.is_some()))
        };
        // What the bank did and what the chain did agree: nothing to look at.
        assert_eq!(
            recorded(Stage::Settling, true),
            Some((Stage::Paid, false, false))
        );
        assert_eq!(
            recorded(Stage::Rejecting, false),
            Some((Stage::Rejected, true, false))
        );
        // Not paid by the desk, or paid and refunded, or refused and burned: a case.
        assert_eq!(
            recorded(Stage::PaymentDue, false),
            Some((Stage::Rejected, true, true))
        );
        assert_eq!(
            recorded(Stage::PaymentDue, true),
            Some((Stage::Paid, false, true))
        );
        assert_eq!(
            recorded(Stage::Settling, false),
            Some((Stage::Rejected, true, true))
        );
        assert_eq!(
            recorded(Stage::Rejecting, true),
            Some((Stage::Paid, false, true))
        );
        // In a payment file (the bank's answer decides next), or closed: nothing.
        for stage in [
            Stage::Held,
            Stage::PaymentSent,
            Stage::Paid,
            Stage::Rejected,
            Stage::Returned,
        ] {
            assert_eq!(resolved_outside(stage, true), None, "{stage}");
            assert_eq!(resolved_outside(stage, false), None, "{stage}");
        }
    }

    #[test]
    fn a_refusal_after_a_payment_contradicts_and_moves_nothing() {
        assert_eq!(
            on_answer(Stage::PaymentSent, answer("ACSC")),
            Outcome::Moves(Stage::Settling)
        );
        assert_eq!(
            on_answer(Stage::PaymentSent, answer("RJCT")),
            Outcome::Moves(Stage::Rejecting)
        );
        assert_eq!(on_answer(Stage::Paid, answer("RJCT")), Outcome::Contradicts);
        assert_eq!(
            on_answer(Stage::Paid, answer("ACSC")),
            Outcome::AlreadyKnown
        );
        assert_eq!(
            on_answer(Stage::PaymentSent, answer("ACCP")),
            Outcome::Nothing
        );
        assert!(end_to_end_id(u64::MAX).len() <= 35);
    }
}
