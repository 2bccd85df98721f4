//! The gateway's events and who hears of them. A key hears of its own
//! invoices; of the whole treasury (unmatched payments, its redemptions,
//! attestations) only with `treasury:read`; of compliance (a held payment,
//! its case and list entry) only with `cases:read`.
use super::keys::{ApiKey, Scope};

pub use usd1_service::webhooks::{Webhook, DEFAULT_MAX_PER_KEY};

/// Why a subscription is refused.
pub type SubscribeError = usd1_service::events::SubscribeError<Scope>;

/// The gateway's events: an invoice's in order, under `invoice_sequence`.
pub const EVENTS: usd1_service::events::Events<Scope> = usd1_service::events::Events {
    kinds: &EVENT_KINDS,
    sequence_field: "invoice_sequence",
    scopes_for,
    may_hear,
};

/// The event kinds a subscription can ask for.
pub const EVENT_KINDS: [&str; 13] = [
    "invoice.paid",
    "invoice.overpaid",
    "invoice.underpaid",
    "invoice.expired",
    "invoice.paid_after_close",
    "invoice.payment_reversed",
    "payment.unmatched",
    "payment.held",
    "payment.reversed",
    "redemption.requested",
    "redemption.settled",
    "redemption.rejected",
    "attestation.published",
];

/// The scopes, beyond `webhooks:write`, a subscription to `kind` needs.
pub fn scopes_for(kind: &str) -> &'static [Scope] {
    match kind {
        "payment.held" => &[Scope::CasesRead],
        "payment.unmatched"
        | "payment.reversed"
        | "redemption.requested"
        | "redemption.settled"
        | "redemption.rejected"
        | "attestation.published" => &[Scope::TreasuryRead],
        _ => &[],
    }
}

/// Whether `key` may hear of an event of `kind`: its own invoice's
/// (`of_own_invoice`), or the treasury's.
pub fn may_hear(key: &ApiKey, kind: &str, of_own_invoice: bool) -> bool {
    if key.revoked_at.is_some() {
        return false;
    }
    let treasury_wide = !of_own_invoice && !kind.starts_with("invoice.");
    scopes_for(kind).iter().all(|s| key.allows(*s))
        && (!treasury_wide || key.allows(Scope::TreasuryRead))
}

/// Checks a subscription of `key` to `events` before it is made.
pub fn check_subscription(key: &ApiKey, events: &[String]) -> Result<(), SubscribeError> {
    EVENTS.check(key, events)
}
