//! The desk's contract, `GET /openapi.json`: OpenAPI 3.1 generated from its
//! handlers and types (and the shared floor's), with its events as
//! `webhooks`. Committed as `docs/openapi/desk.json`; a test fails when the
//! two differ.
use axum::response::Response;
use usd1_service::api::openapi::{self as shared, EventDoc};
use usd1_service::api::webhooks as hooks;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "USD1 issuance desk",
        description = "The issuer's desk: customers with KYB, wallets and bank accounts; wires in from the bank's statements, matched by reference and minted exactly once; redemptions paid out as bank payments; each day reconciled three ways. Every `/v1` call takes an API key (`Authorization: Bearer <key>`) holding the scopes it names, and every change is recorded under the key's operator; every refusal is `{\"error\": {\"code\", \"message\"}}` with a stable code.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    servers((url = "http://127.0.0.1:8788", description = "A desk on this machine (`usd1-desk run --listen 127.0.0.1:8788`)")),
    paths(
        super::customers::create_customer,
        super::customers::list_customers,
        super::customers::show_customer,
        super::customers::set_kyb,
        super::customers::add_wallet,
        super::customers::add_bank_account,
        super::customers::deposit_instructions,
        super::money::list_deposits,
        super::money::show_deposit,
        super::money::approve_deposit,
        super::money::list_redemptions,
        super::money::upload_statement,
        super::money::list_reconciliations,
        hooks::create,
        hooks::delete,
        hooks::deliveries,
        hooks::replay,
        hooks::rotate,
        super::health,
        contract,
    ),
    components(schemas(
        crate::store::deposits::DepositEvent,
        crate::store::redemptions::RedemptionEvent,
        crate::store::reconciliations::ReconciliationEvent,
    )),
    tags(
        (name = "customers", description = "Customers, their KYB standing, wallets and bank accounts."),
        (name = "deposits", description = "Wires in, as the bank's statements show them, and their mints."),
        (name = "redemptions", description = "Redemptions paid out as bank payments."),
        (name = "statements", description = "Bank files uploaded (the inbox folder takes them too)."),
        (name = "reconciliations", description = "Each day: the bank, the reserve and the supply."),
        (name = "webhooks", description = "Subscriptions to the events (see `webhooks`), their deliveries, replay and secret rotation."),
        (name = "probes", description = "No key."),
        (name = "events", description = "What a webhook receives."),
    ),
)]
struct Contract;

/// The events the desk sends: each kind, what it means, its data's schema.
pub const EVENT_DOCS: [EventDoc; 11] = [
    EventDoc { kind: "deposit.received", summary: "A wire from a known, approved customer was booked: it will be minted.", data: "DepositEvent" },
    EventDoc { kind: "deposit.minted", summary: "The deposit's USD1 was minted to the customer's wallet (`signature`: the mint's transaction).", data: "DepositEvent" },
    EventDoc { kind: "deposit.held", summary: "A deposit that may not be minted (unknown reference, a customer not approved or listed): held under a case, or in suspense.", data: "DepositEvent" },
    EventDoc { kind: "deposit.owner_named", summary: "An operator named the customer a deposit in suspense belongs to (in its case's history): it is minted once two operators release the case.", data: "DepositEvent" },
    EventDoc { kind: "deposit.awaiting_reserve", summary: "The mint would exceed the attested reserve: it waits for the next attestation.", data: "DepositEvent" },
    EventDoc { kind: "redemption.payment_sent", summary: "The redemption's payment went to the bank in a pain.001.", data: "RedemptionEvent" },
    EventDoc { kind: "redemption.paid", summary: "The bank paid it and the redemption was settled on-chain.", data: "RedemptionEvent" },
    EventDoc { kind: "redemption.rejected", summary: "The bank refused the payment: the redemption was rejected on-chain and its USD1 refunded.", data: "RedemptionEvent" },
    EventDoc { kind: "redemption.returned", summary: "A paid wire came back from the customer's bank.", data: "RedemptionEvent" },
    EventDoc { kind: "reconciliation.completed", summary: "A day reconciled: the bank, the reserve and the supply agree, the gap itemised.", data: "ReconciliationEvent" },
    EventDoc { kind: "reconciliation.break", summary: "A day did not reconcile: a case is open with the unexplained difference.", data: "ReconciliationEvent" },
];

/// The desk's contract as it serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Contract::openapi();
    shared::finish(&mut doc);
    shared::add_events(&mut doc, &EVENT_DOCS, crate::scopes::EVENTS.sequence_field);
    doc
}

/// This document.
#[utoipa::path(
    get, path = "/openapi.json", operation_id = "openapi", tag = "probes",
    responses((status = 200, description = "This contract, OpenAPI 3.1.", content_type = "application/json", body = Object))
)]
pub async fn contract() -> Response {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    shared::served(&TEXT, document)
}
