//! The gateway's scopes. Its API keys (shown once, stored as their SHA-256,
//! each belonging to one named operator) are the service kit's.

/// A key of the gateway.
pub type ApiKey = usd1_service::keys::ApiKey<Scope>;

usd1_service::scopes! {
    /// What a key of the gateway may do.
    pub enum Scope {
        InvoicesRead => "invoices:read",
        InvoicesWrite => "invoices:write",
        WebhooksWrite => "webhooks:write",
        ExportsRead => "exports:read",
        CasesRead => "cases:read",
        CasesWrite => "cases:write",
        /// Events of the whole treasury (unmatched payments, its redemptions,
        /// attestations), beyond a key's own invoices.
        TreasuryRead => "treasury:read",
    }
}
