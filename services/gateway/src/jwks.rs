//! The auth service's public keys, cached. A token whose key id is unknown
//! triggers one refetch (auth may have rotated its key), rate-limited so
//! that made-up key ids cannot turn every request into a call to auth.
//!
//! Tokens that verified are remembered (by their full text) until they
//! expire, at most `VERIFIED_FOR`: a client sends the same token for its
//! whole life, and an Ed25519 check per request was the largest part of the
//! gateway's work. Expiry is still checked on every use, and a change of
//! keys forgets them all.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use tokio::time::Instant;

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use platform::client::{Call, ServiceClient};
use platform::token::{AccessClaims, validation};
use platform::{ApiError, Caller};
use tokio::sync::Mutex;

/// Why a token was refused; each is a 401 for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Malformed,
    UnknownKey,
    Invalid,
    Expired,
}

impl Rejection {
    pub fn reason(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnknownKey => "unknown_key",
            Self::Invalid => "invalid",
            Self::Expired => "expired",
        }
    }
}

/// How long a verified token is taken at its word (bounded by its expiry).
const VERIFIED_FOR: Duration = Duration::from_secs(60);
const VERIFIED_MAX: u64 = 100_000;

pub struct JwksCache {
    auth: ServiceClient,
    /// Token text → the caller it names and its `exp`.
    verified: moka::sync::Cache<String, (Caller, i64)>,
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// When the last fetch happened; also serialises fetches.
    last_fetch: Mutex<Option<Instant>>,
    min_refresh: Duration,
}

impl JwksCache {
    pub fn new(auth: ServiceClient, min_refresh: Duration) -> Self {
        let verified = moka::sync::Cache::builder().max_capacity(VERIFIED_MAX).time_to_live(VERIFIED_FOR).build();
        Self { auth, verified, keys: RwLock::new(HashMap::new()), last_fetch: Mutex::new(None), min_refresh }
    }

    pub fn has_keys(&self) -> bool {
        !self.keys.read().expect("poisoned").is_empty()
    }

    /// Fetches the key set now (start-up, readiness).
    pub async fn refresh(&self) -> Result<usize, ApiError> {
        let mut last = self.last_fetch.lock().await;
        let set: JwkSet = self.auth.json(Call::get("/api/v1/auth/jwks")).await?;
        let keys: HashMap<String, DecodingKey> = set
            .keys
            .iter()
            .filter_map(|jwk| Some((jwk.common.key_id.clone()?, DecodingKey::from_jwk(jwk).ok()?)))
            .collect();
        let count = keys.len();
        let mut current = self.keys.write().expect("poisoned");
        if current.keys().any(|kid| !keys.contains_key(kid)) {
            // A key may have been withdrawn: what it verified is verified no more.
            self.verified.invalidate_all();
        }
        *current = keys;
        drop(current);
        *last = Some(Instant::now());
        tracing::info!(keys = count, "JWKS loaded");
        Ok(count)
    }

    /// Refetches unless a fetch happened within `min_refresh`.
    async fn refresh_if_due(&self) {
        {
            let last = self.last_fetch.lock().await;
            if last.is_some_and(|at| at.elapsed() < self.min_refresh) {
                return;
            }
        }
        if let Err(error) = self.refresh().await {
            tracing::warn!(error = %error, "JWKS refresh failed");
        }
    }

    fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.keys.read().expect("poisoned").get(kid).cloned()
    }

    /// Verifies an access token: only EdDSA, only keys from the JWKS,
    /// issuer, audience and expiry checked.
    pub async fn verify(&self, token: &str) -> Result<Caller, Rejection> {
        if let Some((caller, exp)) = self.verified.get(token) {
            // The same leeway as `validation()`, boundary included as there.
            if unix_now() <= exp + 5 {
                return Ok(caller);
            }
            self.verified.invalidate(token);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::Malformed)?;
        let kid = header.kid.ok_or(Rejection::Malformed)?;
        let key = match self.key(&kid) {
            Some(key) => key,
            None => {
                self.refresh_if_due().await;
                self.key(&kid).ok_or(Rejection::UnknownKey)?
            }
        };
        let data = jsonwebtoken::decode::<AccessClaims>(token, &key, &validation()).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => Rejection::Expired,
            _ => Rejection::Invalid,
        })?;
        let caller = Caller { user_id: data.claims.sub, role: data.claims.role };
        self.verified.insert(token.to_owned(), (caller, data.claims.exp));
        Ok(caller)
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
