//! Who is calling, before anything else a handler does (its query string
//! and body are read only after): the bearer key, as the database has it
//! now (a revoked key stops at once), and its rate. Every address's
//! requests that carry no known key are throttled before the database is
//! asked about them, so unauthenticated traffic cannot crowd out the
//! service's own work; requests that read whole tables have a bucket of
//! their own per key.
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};

use super::{ApiError, Buckets};
use crate::keys::{ApiKey, ScopeKind};
use crate::store::Store;

/// Whole-table reads a key may make: one a second, bursts of two.
const HEAVY_PER_SECOND: f64 = 1.0;
const HEAVY_BURST: f64 = 2.0;

fn rate_limited(seconds: u64, what: &str) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many requests {what}; retry in {seconds} s"),
    );
    error.retry_after = Some(seconds);
    error
}

/// Requests a key may make: a bucket of `burst`, refilled at `per_second`;
/// and one address without a known key (answered `unauthorized` until its
/// bucket is empty, then `rate_limited` before the database is asked).
#[derive(Clone, Copy, Debug)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
    pub unknown_per_second: f64,
    pub unknown_burst: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: 50.0,
            burst: 100.0,
            unknown_per_second: 10.0,
            unknown_burst: 20.0,
        }
    }
}

/// The door every request passes: its bearer key, as the database has it
/// now, and the rates (per address without a key, per key, and per key for
/// whole-table reads).
pub struct Gate<S> {
    pub store: Store<S>,
    pub limit: RateLimit,
    buckets: Buckets,
}

/// A service's state that has a [`Gate`]: its handlers take a [`Caller`].
pub trait HasGate<S>: Send + Sync + 'static {
    fn gate(&self) -> &Gate<S>;
}

impl<S: ScopeKind> Gate<S> {
    pub fn new(store: Store<S>, limit: RateLimit) -> Self {
        Gate {
            store,
            limit,
            buckets: Buckets::default(),
        }
    }

    /// The live key the request's bearer secret names, within its rate.
    async fn authenticate(
        &self,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
    ) -> Result<ApiKey<S>, ApiError> {
        let unauthorized =
            |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message);
        let peer = peer.map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
        let unknown = |why: &str| -> ApiError {
            match self.buckets.take(
                &format!("peer:{peer}"),
                self.limit.unknown_per_second,
                self.limit.unknown_burst,
            ) {
                Ok(()) => unauthorized(why),
                Err(seconds) => rate_limited(seconds, "without a valid API key from this address"),
            }
        };
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(unknown(
                "an API key is required: Authorization: Bearer <key>",
            ));
        };
        let Some(secret) = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) else {
            return Err(unknown("the Authorization header is not 'Bearer <key>'"));
        };
        // Asking the database costs: an address that keeps asking about
        // keys that do not exist runs out of tries, and once out is not
        // asked about at all until its bucket refills.
        let bucket = format!("peer:{peer}");
        if let Some(seconds) = self.buckets.empty(
            &bucket,
            self.limit.unknown_per_second,
            self.limit.unknown_burst,
        ) {
            return Err(rate_limited(
                seconds,
                "without a valid API key from this address",
            ));
        }
        let key = match self.store.key_by_secret(secret.trim()).await? {
            Some(key) => key,
            None => return Err(unknown("unknown or revoked API key")),
        };
        if let Err(seconds) = self.buckets.take(
            &format!("key:{}", key.id),
            self.limit.per_second,
            self.limit.burst,
        ) {
            return Err(rate_limited(seconds, "for this key"));
        }
        Ok(key)
    }

    /// One whole-table read (an unbounded export, the case chain's
    /// verification) of `key`'s, or how long until one is allowed.
    pub fn heavy(&self, key: &ApiKey<S>) -> Result<(), ApiError> {
        self.buckets
            .take(&format!("heavy:{}", key.id), HEAVY_PER_SECOND, HEAVY_BURST)
            .map_err(|seconds| rate_limited(seconds, "reading whole tables with this key"))
    }
}

/// The caller: a live key within its rate (401, 429 otherwise).
pub struct Caller<S>(pub ApiKey<S>);

impl<S: ScopeKind> Caller<S> {
    /// The key, if it has `scope` (403 otherwise).
    pub fn may(&self, scope: S) -> Result<&ApiKey<S>, ApiError> {
        if self.0.allows(scope) {
            Ok(&self.0)
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "missing_scope",
                format!("this key lacks the scope {scope}"),
            ))
        }
    }
}

impl<St: HasGate<S>, S: ScopeKind> FromRequestParts<Arc<St>> for Caller<S> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<St>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        state
            .gate()
            .authenticate(&parts.headers, peer)
            .await
            .map(Caller)
    }
}
