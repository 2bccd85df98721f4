//! The `data` of each webhook event: what a receiver needs to act on it,
//! amounts as exact decimals of the mint (6 decimals) and in base units.
//! Each is a type, so the contract's `webhooks` section is these types'
//! schemas (`/openapi.json`).
use serde::Serialize;
use serde_json::Value;
use usd1_client::format_amount;
use usd1_client::solana_pay::Movement;
use utoipa::ToSchema;

/// USD1's decimals (the gateway refuses a mint of other decimals at start).
pub const DECIMALS: u8 = 6;

/// An amount of USD1 as an exact decimal: `12.5`, `0.000001`.
#[derive(ToSchema)]
#[schema(pattern = r"^[0-9]+(\.[0-9]{1,6})?$", example = "12.5")]
#[allow(dead_code)]
pub struct Dollars(String);

/// An amount in base units (millionths of USD1), as a decimal string: it may
/// exceed what a JSON number holds exactly.
#[derive(ToSchema)]
#[schema(pattern = r"^[0-9]+$", example = "12500000")]
#[allow(dead_code)]
pub struct Units(String);

/// A transfer into the treasury as an event shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Payment {
    /// The transaction's signature.
    pub signature: String,
    pub slot: u64,
    /// Unix seconds, when the node knows it.
    pub block_time: Option<i64>,
    #[schema(value_type = Dollars)]
    pub amount: String,
    #[schema(value_type = Units)]
    pub amount_units: String,
    /// The first account the money came from.
    pub sender: Option<String>,
    /// The transaction's memos.
    pub memos: Vec<String>,
}

/// A movement the chain no longer has (a fork dropped it): undone.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Reversal {
    pub signature: String,
    pub slot: i64,
    #[schema(value_type = Units)]
    pub amount_units: String,
    /// What the movement had been: `payment`, `unmatched`, `held`, `paid_after_close`.
    pub kind: String,
}

/// `attestation.published`: a reserve attestation the program accepted.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AttestationPublished {
    pub signature: String,
    pub seq: u64,
    #[schema(value_type = Dollars)]
    pub reserve: String,
    #[schema(value_type = Units)]
    pub reserve_units: String,
    /// The reserve's time, unix seconds.
    pub as_of: i64,
    /// The signed reserve report's SHA-256, hex.
    pub report_sha256: String,
    /// The attestors who signed.
    pub signers: Vec<String>,
}

/// `redemption.requested`: the treasury asked to redeem.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RedemptionRequested {
    pub signature: String,
    pub redemption_id: u64,
    #[schema(value_type = Dollars)]
    pub amount: String,
    #[schema(value_type = Dollars)]
    pub fee: String,
    #[schema(value_type = Dollars)]
    pub payout: String,
    pub requested_at: i64,
}

/// `redemption.settled`: the treasury's redemption paid out and burned.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RedemptionSettled {
    pub signature: String,
    pub redemption_id: u64,
    #[schema(value_type = Dollars)]
    pub amount: String,
    #[schema(value_type = Dollars)]
    pub payout: String,
    /// The settlement reference's SHA-256, hex.
    pub settlement_ref_sha256: String,
    pub settled_at: i64,
}

/// `redemption.rejected`: the treasury's redemption refused, its USD1 refunded.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RedemptionRejected {
    pub signature: String,
    pub redemption_id: u64,
    #[schema(value_type = Dollars)]
    pub amount: String,
    pub reason_code: u16,
    pub refunded_to: String,
    pub rejected_at: i64,
}

fn value(data: impl Serialize) -> Value {
    serde_json::to_value(data).unwrap_or_default()
}

/// A movement as an event shows it.
pub fn movement_payload(movement: &Movement) -> Value {
    let delta = movement.delta();
    let amount = u64::try_from(delta.unsigned_abs()).unwrap_or(u64::MAX);
    value(Payment {
        signature: movement.signature.to_string(),
        slot: movement.slot,
        block_time: movement.block_time,
        amount: format_amount(amount, DECIMALS),
        amount_units: amount.to_string(),
        sender: movement.counterparties.first().map(|c| c.to_string()),
        memos: movement.memos.clone(),
    })
}

/// The webhook event a program event is for the treasury `wallet`, if any:
/// every reserve attestation, and the wallet's own redemptions.
pub fn program_event(
    event: &usd1_client::Usd1Event,
    wallet: &solana_sdk::pubkey::Pubkey,
    signature: &str,
) -> Option<(&'static str, Value)> {
    use usd1_client::Usd1Event as E;
    let amount = |units: u64| format_amount(units, DECIMALS);
    let signature = signature.to_string();
    Some(match event {
        E::ReserveAttested(e) => (
            "attestation.published",
            value(AttestationPublished {
                signature,
                seq: e.seq,
                reserve: amount(e.reserve_amount),
                reserve_units: e.reserve_amount.to_string(),
                as_of: e.as_of,
                report_sha256: usd1_client::hex(&e.report_sha256),
                signers: e.signers.iter().map(|s| s.to_string()).collect(),
            }),
        ),
        E::RedemptionRequested(e) if e.holder == *wallet => (
            "redemption.requested",
            value(RedemptionRequested {
                signature,
                redemption_id: e.id,
                amount: amount(e.amount),
                fee: amount(e.fee),
                payout: amount(e.payout),
                requested_at: e.requested_at,
            }),
        ),
        E::RedemptionSettled(e) if e.holder == *wallet => (
            "redemption.settled",
            value(RedemptionSettled {
                signature,
                redemption_id: e.id,
                amount: amount(e.amount),
                payout: amount(e.payout),
                settlement_ref_sha256: usd1_client::hex(&e.settlement_ref_sha256),
                settled_at: e.settled_at,
            }),
        ),
        E::RedemptionRejected(e) if e.holder == *wallet => (
            "redemption.rejected",
            value(RedemptionRejected {
                signature,
                redemption_id: e.id,
                amount: amount(e.amount),
                reason_code: e.reason_code,
                refunded_to: e.refunded_to.to_string(),
                rejected_at: e.rejected_at,
            }),
        ),
        _ => return None,
    })
}

/// The events the gateway sends, for its contract: each kind, what it
/// means, and its data's schema.
pub const EVENT_DOCS: [usd1_service::api::openapi::EventDoc; 13] = {
    use usd1_service::api::openapi::EventDoc as E;
    [
        E { kind: "invoice.paid", summary: "An invoice was paid in full (a payment brought what it received to its amount exactly).", data: "InvoiceEvent" },
        E { kind: "invoice.overpaid", summary: "An invoice received more than its amount.", data: "InvoiceEvent" },
        E { kind: "invoice.underpaid", summary: "An invoice received a payment, but less than its amount so far.", data: "InvoiceEvent" },
        E { kind: "invoice.expired", summary: "An open invoice passed its deadline unpaid.", data: "InvoiceEvent" },
        E { kind: "invoice.paid_after_close", summary: "A payment named an invoice already cancelled or expired; the invoice stands, the money is the treasury's to return.", data: "InvoiceEvent" },
        E { kind: "invoice.payment_reversed", summary: "A payment of the invoice vanished from the chain (a fork) before it was final; the invoice is as before it.", data: "InvoiceReversed" },
        E { kind: "payment.unmatched", summary: "USD1 arrived that names no invoice (needs `treasury:read`).", data: "Payment" },
        E { kind: "payment.held", summary: "A listed sender's payment, held under a compliance case (needs `cases:read`).", data: "PaymentHeld" },
        E { kind: "payment.reversed", summary: "An unmatched, held or late payment vanished from the chain before it was final (needs `treasury:read`).", data: "Reversal" },
        E { kind: "redemption.requested", summary: "The treasury requested a redemption (needs `treasury:read`).", data: "RedemptionRequested" },
        E { kind: "redemption.settled", summary: "The treasury's redemption was paid out and its USD1 burned (needs `treasury:read`).", data: "RedemptionSettled" },
        E { kind: "redemption.rejected", summary: "The treasury's redemption was refused and its USD1 refunded (needs `treasury:read`).", data: "RedemptionRejected" },
        E { kind: "attestation.published", summary: "The program accepted a new reserve attestation (needs `treasury:read`).", data: "AttestationPublished" },
    ]
};
