//! Webhook delivery from the outbox, at least once: lease due rows fairly
//! between keys, POST each signed as a task of its own, and record each
//! attempt the moment it ends (accepted on 2xx; anything else, a timeout or
//! a refused connection is retried with doubling backoff, then
//! dead-lettered). A receiver that hangs holds only its own key's share of
//! what is in flight: one key's slow endpoints never delay another key's
//! events. Every request carries the event's id as its idempotency key.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::outbox::{Backoff, Due};
use crate::signature::{
    sign, sign_standard, EVENT_ID_HEADER, SIGNATURE_HEADER, STANDARD_ID_HEADER,
    STANDARD_SIGNATURE_HEADER, STANDARD_TIMESTAMP_HEADER,
};
use crate::store::{new_id, now, Store, StoreError};

/// Where a deliverer reports its rounds and their outcomes (a service's
/// `/ready` and `/metrics`).
pub trait Report: Send + Sync {
    /// A round went through: an outage that was going on ends.
    fn ok(&self, component: &'static str);
    /// A round failed (`database`: the database is away rather than wrong).
    fn failed(&self, component: &'static str, error: &str, database: bool);
    /// One delivery's outcome: `accepted`, `refused` or `no_answer`.
    fn delivered(&self, outcome: &'static str);
}

/// Reports to no one.
pub struct Unreported;

impl Report for Unreported {
    fn ok(&self, _: &'static str) {}
    fn failed(&self, _: &'static str, _: &str, _: bool) {}
    fn delivered(&self, _: &'static str) {}
}

/// The longest a failing round waits before trying again.
pub const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// How long a receiver may take to answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a lease holds: longer than a request may take.
const LEASE_SECS: i64 = 30;
/// Deliveries in flight at once, all keys together…
const MAX_IN_FLIGHT: usize = 64;
/// …and of one key.
const PER_KEY_IN_FLIGHT: usize = 8;
/// Rows one key may lease in one look at the outbox.
const PER_KEY_PER_ROUND: i64 = 4;

pub struct Deliverer<S> {
    pub store: Store<S>,
    pub backoff: Backoff,
    pub idle: Duration,
    /// This deliverer's name on its leases.
    pub owner: String,
    allow_private: bool,
    client: reqwest::Client,
    /// Deliveries in flight, per key.
    in_flight: Arc<Mutex<HashMap<String, usize>>>,
    /// Where rounds and outcomes are reported (`/ready`, `/metrics`).
    pub health: Arc<dyn Report>,
}

impl<S: Send + Sync + 'static> Deliverer<S> {
    /// A deliverer through [`crate::egress::client`] (no redirects; private
    /// destinations refused unless `allow_private`), its requests naming
    /// `agent` (`usd1-gateway/0.1.0`).
    pub fn new(
        store: Store<S>,
        backoff: Backoff,
        idle: Duration,
        allow_private: bool,
        agent: &str,
    ) -> Self {
        let client =
            crate::egress::client(REQUEST_TIMEOUT, allow_private, agent).expect("an HTTP client");
        Deliverer {
            store,
            backoff,
            idle,
            owner: new_id("deliverer"),
            allow_private,
            client,
            in_flight: Arc::default(),
            health: Arc::new(Unreported),
        }
    }

    /// This deliverer reporting to `health`.
    pub fn with_health(mut self, health: Arc<dyn Report>) -> Self {
        self.health = health;
        self
    }

    /// Rounds until the task is dropped. While the database is away the
    /// rounds back off (doubling, to [`MAX_BACKOFF`]); the
    /// outage is logged when it starts and when it ends, once each.
    pub async fn run(self) {
        let this = Arc::new(self);
        let mut backoff = this.idle;
        loop {
            match this.clone().round().await {
                Ok(started) => {
                    this.health.ok("deliverer");
                    backoff = this.idle;
                    if started == 0 {
                        tokio::time::sleep(this.idle).await;
                    } else {
                        // More may be due: look again soon, without spinning.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                Err(error) => {
                    this.health
                        .failed("deliverer", &error.to_string(), error.is_unavailable());
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Leases what is due now (fairly between keys, never beyond what a key
    /// or the whole may have in flight) and starts sending each; how many
    /// it started. Each records its own attempt when it ends.
    pub async fn round(self: Arc<Self>) -> Result<usize, StoreError> {
        let (free, busy): (usize, Vec<String>) = {
            let in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            let total: usize = in_flight.values().sum();
            let busy = in_flight
                .iter()
                .filter(|(_, n)| **n >= PER_KEY_IN_FLIGHT)
                .map(|(key, _)| key.clone())
                .collect();
            (MAX_IN_FLIGHT.saturating_sub(total), busy)
        };
        if free == 0 {
            return Ok(0);
        }
        let at = now();
        let due = self
            .store
            .lease_fair(
                &self.owner,
                at,
                at + LEASE_SECS,
                i64::try_from(free).unwrap_or(i64::MAX),
                PER_KEY_PER_ROUND,
                &busy,
            )
            .await?;
        let started = due.len();
        for due in due {
            let key = due.webhook.api_key_id.clone();
            *self
                .in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(key.clone())
                .or_default() += 1;
            let this = self.clone();
            tokio::spawn(async move {
                let (status_code, error, millis) = this.send(&due).await;
                this.health.delivered(match status_code {
                    Some(code) if (200..300).contains(&code) => "accepted",
                    Some(_) => "refused",
                    None => "no_answer",
                });
                if let Err(e) = this
                    .store
                    .record_attempt(
                        &this.owner,
                        &due,
                        status_code,
                        error.as_deref(),
                        millis,
                        &this.backoff,
                    )
                    .await
                {
                    // The lease runs out and the delivery is tried again.
                    this.health
                        .failed("deliverer", &e.to_string(), e.is_unavailable());
                }
                let mut in_flight = this.in_flight.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(n) = in_flight.get_mut(&key) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        in_flight.remove(&key);
                    }
                }
            });
        }
        Ok(started)
    }

    /// One signed POST: the status code, or why there was none (coarsely:
    /// a receiver learns nothing of the service's network from it), and its time.
    async fn send(&self, due: &Due) -> (Option<u16>, Option<String>, i64) {
        if !crate::egress::may_deliver(&due.webhook.url, self.allow_private) {
            return (None, Some("refused: not a public address".into()), 0);
        }
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
            .header(STANDARD_ID_HEADER, &due.event_id)
            .header(STANDARD_TIMESTAMP_HEADER, timestamp.to_string())
            .header(
                STANDARD_SIGNATURE_HEADER,
                sign_standard(&secrets, &due.event_id, timestamp, due.body.as_bytes()),
            )
            .body(due.body.clone())
            .send()
            .await;
        let millis = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        match sent {
            Ok(response) => (Some(response.status().as_u16()), None, millis),
            Err(e) if e.is_timeout() => (None, Some("timed out".to_string()), millis),
            Err(e) if e.is_connect() => (None, Some("connection failed".to_string()), millis),
            Err(_) => (None, Some("request failed".to_string()), millis),
        }
    }
}
