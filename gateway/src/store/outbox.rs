//! The gateway's events into the service kit's outbox: an invoice's events
//! are a stream, delivered in order (`invoice_sequence`); the treasury's are
//! not. Emitted in the transaction of the change that caused them.
use super::webhooks::EVENTS;
use super::{StoreError, Tx};

pub use usd1_service::outbox::{event_id, Attempt, Backoff, Delivery, Due, Stream};

/// Writes an event and its deliveries inside the caller's transaction; an
/// invoice's event in the invoice's stream (`Invoice::stream`, its
/// `event_seq` already advanced).
pub(crate) async fn emit(
    tx: &mut Tx<'_>,
    kind: &str,
    cause: &str,
    stream: Option<Stream<'_>>,
    data: impl serde::Serialize,
) -> Result<String, StoreError> {
    usd1_service::outbox::emit(tx, &EVENTS, kind, cause, stream, data).await
}
