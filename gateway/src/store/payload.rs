//! The `data` of each webhook event: what a receiver needs to act on it,
//! amounts as exact decimals of the mint (6 decimals) and in base units.
use serde_json::{json, Value};
use usd1_client::format_amount;
use usd1_client::solana_pay::Movement;

/// USD1's decimals (the gateway refuses a mint of other decimals at start).
pub const DECIMALS: u8 = 6;

/// A movement as an event shows it.
pub fn movement_payload(movement: &Movement) -> Value {
    let delta = movement.delta();
    let amount = u64::try_from(delta.unsigned_abs()).unwrap_or(u64::MAX);
    json!({
        "signature": movement.signature.to_string(),
        "slot": movement.slot,
        "block_time": movement.block_time,
        "amount": format_amount(amount, DECIMALS),
        "amount_units": amount.to_string(),
        "sender": movement.counterparties.first().map(|c| c.to_string()),
        "memos": movement.memos,
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
    Some(match event {
        E::ReserveAttested(e) => (
            "attestation.published",
            json!({
                "signature": signature,
                "seq": e.seq,
                "reserve": amount(e.reserve_amount),
                "reserve_units": e.reserve_amount.to_string(),
                "as_of": e.as_of,
                "report_sha256": usd1_client::hex(&e.report_sha256),
                "signers": e.signers.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            }),
        ),
        E::RedemptionRequested(e) if e.holder == *wallet => (
            "redemption.requested",
            json!({
                "signature": signature,
                "redemption_id": e.id,
                "amount": amount(e.amount),
                "fee": amount(e.fee),
                "payout": amount(e.payout),
                "requested_at": e.requested_at,
            }),
        ),
        E::RedemptionSettled(e) if e.holder == *wallet => (
            "redemption.settled",
            json!({
                "signature": signature,
                "redemption_id": e.id,
                "amount": amount(e.amount),
                "payout": amount(e.payout),
                "settlement_ref_sha256": usd1_client::hex(&e.settlement_ref_sha256),
                "settled_at": e.settled_at,
            }),
        ),
        E::RedemptionRejected(e) if e.holder == *wallet => (
            "redemption.rejected",
            json!({
                "signature": signature,
                "redemption_id": e.id,
                "amount": amount(e.amount),
                "reason_code": e.reason_code,
                "refunded_to": e.refunded_to.to_string(),
                "rejected_at": e.rejected_at,
            }),
        ),
        _ => return None,
    })
}
