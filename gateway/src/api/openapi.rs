//! The gateway's contract, `GET /openapi.json`: OpenAPI 3.1 generated from
//! its handlers and types (and the shared floor's), with its events as
//! `webhooks`. Committed as `docs/openapi/gateway.json`; a test fails when
//! the two differ.
use axum::response::Response;
use utoipa::OpenApi;

use usd1_service::api::openapi as shared;
use usd1_service::api::webhooks as hooks;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "USD1 gateway",
        description = "Invoices paid in USD1 on Solana (Solana Pay transfer requests), payment detection, signed webhooks, compliance cases and the treasury's ledger. Every `/v1` call takes an API key (`Authorization: Bearer <key>`) holding the scopes it names; every refusal is `{\"error\": {\"code\", \"message\"}}` with a stable code.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    servers((url = "http://127.0.0.1:8787", description = "A gateway on this machine (`usd1-gateway serve`, its default address)")),
    paths(
        super::invoices::create,
        super::invoices::list,
        super::invoices::show,
        super::invoices::cancel,
        super::invoices::qr,
        hooks::create,
        hooks::delete,
        hooks::deliveries,
        hooks::replay,
        hooks::rotate,
        super::cases::list,
        super::cases::verify,
        super::cases::show,
        super::cases::assign,
        super::cases::note,
        super::cases::decide,
        super::cases::approve,
        super::cases::file,
        super::exports::csv,
        super::exports::json,
        super::probes::health,
        super::probes::ready,
        super::probes::metrics,
        contract,
    ),
    components(schemas(
        crate::store::invoices::InvoiceEvent,
        crate::store::invoices::InvoiceReversed,
        crate::store::payload::Payment,
        crate::store::held::PaymentHeld,
        crate::store::payload::Reversal,
        crate::store::payload::RedemptionRequested,
        crate::store::payload::RedemptionSettled,
        crate::store::payload::RedemptionRejected,
        crate::store::payload::AttestationPublished,
    )),
    tags(
        (name = "invoices", description = "Invoices: Solana Pay transfer requests with a fresh reference, and their state as payments arrive."),
        (name = "webhooks", description = "Subscriptions to the events (see `webhooks`), their deliveries, replay and secret rotation."),
        (name = "cases", description = "Compliance cases: held payments and freezes, decided by two operators."),
        (name = "exports", description = "The treasury's ledger, for accountants."),
        (name = "probes", description = "For a supervisor, a load balancer and Prometheus; no key."),
        (name = "events", description = "What a webhook receives."),
    ),
)]
struct Contract;

/// The gateway's contract as it serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Contract::openapi();
    shared::finish(&mut doc);
    shared::link_created(
        &mut doc,
        "/v1/invoices",
        "201",
        &["get_invoice", "cancel_invoice", "get_invoice_qr"],
    );

    shared::add_events(
        &mut doc,
        &crate::store::payload::EVENT_DOCS,
        crate::store::webhooks::EVENTS.sequence_field,
    );
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
