//! Response cache for public catalog reads: bounded in bytes, entries fresh
//! for a short TTL, then kept a while longer as a fallback that is served
//! (marked degraded) only when catalog cannot answer.

use std::sync::Arc;
// tokio's clock, so that freshness can be tested with a paused clock.
use tokio::time::Instant;

use axum::http::HeaderValue;
use axum::response::Response;
use moka::future::Cache;

use crate::configuration::CacheSettings;
use crate::proxy::BufferedResponse;

pub const CACHE_HEADER: &str = "x-cache";
pub const DEGRADED_HEADER: &str = "x-degraded";

#[derive(Debug)]
struct Entry {
    response: BufferedResponse,
    stored_at: Instant,
}

/// What the cache holds for a key.
pub enum Lookup {
    Fresh(Response),
    /// Too old to serve normally; usable if catalog fails.
    Stale(Response),
    Missing,
}

pub struct ResponseCache {
    entries: Cache<String, Arc<Entry>>,
    settings: CacheSettings,
}

impl ResponseCache {
    pub fn new(settings: CacheSettings) -> Self {
        let entries = Cache::builder()
            .max_capacity(settings.max_bytes)
            .weigher(|key: &String, entry: &Arc<Entry>| {
                u32::try_from(key.len() + entry.response.body.len()).unwrap_or(u32::MAX)
            })
            .time_to_live(settings.keep_stale_for)
            .build();
        Self { entries, settings }
    }

    pub async fn lookup(&self, key: &str) -> Lookup {
        match self.entries.get(key).await {
            None => Lookup::Missing,
            Some(entry) if entry.stored_at.elapsed() < self.settings.fresh_for => {
                Lookup::Fresh(mark(entry.response.to_response(), "HIT", false))
            }
            Some(entry) => Lookup::Stale(mark(entry.response.to_response(), "STALE", true)),
        }
    }

    /// Stores successful answers only.
    pub async fn store(&self, key: String, response: BufferedResponse) {
        if response.status.is_success() {
            self.entries.insert(key, Arc::new(Entry { response, stored_at: Instant::now() })).await;
        }
    }

    /// After a write through the gateway: no reader should see the old data.
    pub fn invalidate_all(&self) {
        self.entries.invalidate_all();
    }
}

/// Tags an answer with where it came from.
pub fn mark(mut response: Response, outcome: &'static str, degraded: bool) -> Response {
    let headers = response.headers_mut();
    headers.insert(CACHE_HEADER, HeaderValue::from_static(outcome));
    if degraded {
        headers.insert(DEGRADED_HEADER, HeaderValue::from_static("catalog-unavailable"));
    }
    response
}
