//! Webhook delivery from the outbox, at least once: lease due rows, POST
//! each signed, record the attempt (accepted on 2xx; anything else, a
//! timeout or a refused connection is retried with doubling backoff, then
//! dead-lettered). Every request carries the event's id as its idempotency key.
use std::time::{Duration, Instant};

use crate::signature::{sign, EVENT_ID_HEADER, SIGNATURE_HEADER};
use crate::store::outbox::{Attempt, Backoff, Due};
use crate::store::{new_id, now, Store};

/// How long a receiver may take to answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a lease holds: longer than a request may take.
const LEASE_SECS: i64 = 30;

pub struct Deliverer {
    pub store: Store,
    pub backoff: Backoff,
    pub idle: Duration,
    /// This deliverer's name on its leases.
    pub owner: String,
    client: reqwest::Client,
}

impl Deliverer {
    pub fn new(store: Store, backoff: Backoff, idle: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("usd1-gateway/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client");
        Deliverer {
            store,
            backoff,
            idle,
            owner: new_id("deliverer"),
            client,
        }
    }

    pub async fn run(self) {
        loop {
            match self.round().await {
                Ok(0) => tokio::time::sleep(self.idle).await,
                Ok(_) => {}
                Err(error) => {
                    eprintln!("usd1-gateway: delivery: {error}");
                    tokio::time::sleep(self.idle).await;
                }
            }
        }
    }

    /// Sends what is due now, concurrently, and records the round's
    /// attempts in one transaction; how many were attempted.
    pub async fn round(&self) -> Result<usize, crate::store::StoreError> {
        let at = now();
        let due = self
            .store
            .lease_due(&self.owner, at, at + LEASE_SECS, 32)
            .await?;
        let outcomes = futures::future::join_all(due.iter().map(|d| self.send(d))).await;
        let attempts: Vec<Attempt<'_>> = due
            .iter()
            .zip(&outcomes)
            .map(|(due, (status_code, error, millis))| Attempt {
                due,
                status_code: *status_code,
                error: error.as_deref(),
                millis: *millis,
            })
            .collect();
        self.store
            .record_attempts(&self.owner, &attempts, &self.backoff)
            .await?;
        Ok(due.len())
    }

    /// One signed POST: the status code, or why there was none, and its time.
    async fn send(&self, due: &Due) -> (Option<u16>, Option<String>, i64) {
        let timestamp = now();
        let secrets = due.webhook.signing_secrets(timestamp);
        let started = Instant::now();
        let sent = self
            .client
            .post(&due.webhook.url)
            .header("Content-Type", "application/json")
            .header(EVENT_ID_HEADER, &due.event_id)
            .header(
                SIGNATURE_HEADER,
                sign(&secrets, timestamp, due.body.as_bytes()),
            )
            .body(due.body.clone())
            .send()
            .await;
        let millis = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        match sent {
            Ok(response) => (Some(response.status().as_u16()), None, millis),
            Err(e) if e.is_timeout() => (None, Some("timed out".to_string()), millis),
            Err(e) if e.is_connect() => (None, Some("connection refused".to_string()), millis),
            Err(e) => (None, Some(e.to_string()), millis),
        }
    }
}
