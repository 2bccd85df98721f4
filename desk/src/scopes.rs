//! The desk's API scopes and who hears of its events. Deposits and
//! redemptions are the issuer's, not a key's: a key hears of them with the
//! matching read scope.
use usd1_service::events::Events;

usd1_service::scopes! {
    /// What a key of the desk may do.
    pub enum Scope {
        CustomersRead => "customers:read",
        CustomersWrite => "customers:write",
        DepositsRead => "deposits:read",
        /// The second pair of eyes on a large deposit.
        DepositsApprove => "deposits:approve",
        StatementsWrite => "statements:write",
        RedemptionsRead => "redemptions:read",
        ReconciliationsRead => "reconciliations:read",
        WebhooksWrite => "webhooks:write",
        CasesRead => "cases:read",
        CasesWrite => "cases:write",
    }
}

/// A key of the desk.
pub type ApiKey = usd1_service::keys::ApiKey<Scope>;

/// The event kinds a subscription can ask for.
pub const EVENT_KINDS: [&str; 11] = [
    "deposit.received",
    "deposit.minted",
    "deposit.held",
    "deposit.owner_named",
    "deposit.awaiting_reserve",
    "redemption.payment_sent",
    "redemption.paid",
    "redemption.rejected",
    "redemption.returned",
    "reconciliation.completed",
    "reconciliation.break",
];

/// The scope a subscription to `kind` needs.
pub fn scopes_for(kind: &str) -> &'static [Scope] {
    match kind.split('.').next() {
        Some("deposit") => &[Scope::DepositsRead],
        Some("redemption") => &[Scope::RedemptionsRead],
        Some("reconciliation") => &[Scope::ReconciliationsRead],
        _ => &[],
    }
}

/// Whether `key` hears of an event of `kind`.
pub fn may_hear(key: &ApiKey, kind: &str, _own: bool) -> bool {
    key.revoked_at.is_none() && scopes_for(kind).iter().all(|s| key.allows(*s))
}

/// The desk's events: a deposit's (or a redemption's) in order, under `sequence`.
pub const EVENTS: Events<Scope> = Events {
    kinds: &EVENT_KINDS,
    sequence_field: "sequence",
    scopes_for,
    may_hear,
};
