//! Client-side load balancing over the instances of one service.
//!
//! Instances come from configuration (`http://a:8080,http://b:8080`) or from
//! every A/AAAA record a DNS name resolves to (`dns+http://catalog:8080`,
//! re-resolved periodically, as `docker compose --scale` produces). Requests
//! go round-robin; an instance that fails is ejected for a while (passive
//! health checking). When every instance is ejected, one is used anyway:
//! refusing all traffic would turn a partial outage into a full one.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

// tokio's clock: the ejection window is tested with a paused clock.
use tokio::time::Instant;

/// Where the instances of a service are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovery {
    /// Fixed base URLs.
    Static(Vec<String>),
    /// Every address `host` resolves to, with this scheme and port.
    Dns { scheme: String, host: String, port: u16 },
}

impl Discovery {
    /// `http://a:1,http://b:2` or `dns+http://name:port`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let spec = spec.trim();
        if let Some(rest) = spec.strip_prefix("dns+") {
            let (scheme, authority) =
                rest.split_once("://").ok_or_else(|| format!("{spec:?}: expected dns+http://host:port"))?;
            let authority = authority.trim_end_matches('/');
            let (host, port) = authority.rsplit_once(':').ok_or_else(|| format!("{spec:?}: a port is required"))?;
            let port = port.parse().map_err(|_| format!("{spec:?}: bad port"))?;
            return Ok(Self::Dns { scheme: scheme.to_owned(), host: host.to_owned(), port });
        }
        let urls: Vec<String> =
            spec.split(',').map(|u| u.trim().trim_end_matches('/').to_owned()).filter(|u| !u.is_empty()).collect();
        if urls.is_empty() {
            return Err("no instance given".to_owned());
        }
        if let Some(bad) = urls.iter().find(|u| !(u.starts_with("http://") || u.starts_with("https://"))) {
            return Err(format!("{bad:?}: must be an http:// or https:// URL"));
        }
        Ok(Self::Static(urls))
    }
}

/// One instance of a service.
#[derive(Debug)]
pub struct Instance {
    pub base_url: String,
    ejected_until: Mutex<Option<Instant>>,
}

impl Instance {
    fn new(base_url: String) -> Self {
        Self { base_url, ejected_until: Mutex::new(None) }
    }

    fn is_ejected(&self, now: Instant) -> bool {
        self.ejected_until.lock().expect("poisoned").is_some_and(|until| until > now)
    }
}

/// The instances of one service and the round-robin cursor over them.
pub struct UpstreamPool {
    name: String,
    instances: RwLock<Arc<Vec<Arc<Instance>>>>,
    cursor: AtomicUsize,
    eject_for: Duration,
}

impl UpstreamPool {
    /// Creates the pool; a DNS pool resolves once now and then every `refresh`
    /// in a background task that ends when the pool is dropped.
    pub async fn new(
        name: impl Into<String>,
        discovery: Discovery,
        eject_for: Duration,
        refresh: Duration,
    ) -> Arc<Self> {
        let pool = Arc::new(Self {
            name: name.into(),
            instances: RwLock::new(Arc::new(Vec::new())),
            cursor: AtomicUsize::new(0),
            eject_for,
        });
        match discovery {
            Discovery::Static(urls) => pool.replace(urls),
            Discovery::Dns { scheme, host, port } => {
                pool.resolve(&scheme, &host, port).await;
                let weak = Arc::downgrade(&pool);
                tokio::spawn(refresh_dns(weak, scheme, host, port, refresh));
            }
        }
        pool
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next healthy instance, round-robin; `None` only when none is known.
    pub fn pick(&self) -> Option<Arc<Instance>> {
        let instances = self.snapshot();
        if instances.is_empty() {
            return None;
        }
        let start = self.cursor.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        (0..instances.len())
            .map(|i| &instances[(start + i) % instances.len()])
            .find(|instance| !instance.is_ejected(now))
            .or_else(|| instances.get(start % instances.len()))
            .cloned()
    }

    /// Takes `instance` out of rotation for the ejection period.
    pub fn eject(&self, instance: &Instance) {
        let mut until = instance.ejected_until.lock().expect("poisoned");
        if until.is_none_or(|t| t <= Instant::now()) {
            tracing::warn!(upstream = %self.name, instance = %instance.base_url, eject_for_ms = self.eject_for.as_millis() as u64, "instance ejected");
        }
        *until = Some(Instant::now() + self.eject_for);
    }

    /// Puts `instance` back after a success.
    pub fn restore(&self, instance: &Instance) {
        *instance.ejected_until.lock().expect("poisoned") = None;
    }

    /// Base URLs of every known instance.
    pub fn instance_urls(&self) -> Vec<String> {
        self.snapshot().iter().map(|i| i.base_url.clone()).collect()
    }

    /// How many known instances are currently in rotation.
    pub fn healthy_count(&self) -> usize {
        let now = Instant::now();
        self.snapshot().iter().filter(|i| !i.is_ejected(now)).count()
    }

    fn snapshot(&self) -> Arc<Vec<Arc<Instance>>> {
        self.instances.read().expect("poisoned").clone()
    }

    /// Installs a new instance list, keeping the ejection state of instances
    /// that are still there.
    fn replace(&self, mut urls: Vec<String>) {
        urls.sort();
        urls.dedup();
        let old = self.snapshot();
        let next: Vec<Arc<Instance>> = urls
            .into_iter()
            .map(|url| old.iter().find(|i| i.base_url == url).cloned().unwrap_or_else(|| Arc::new(Instance::new(url))))
            .collect();
        *self.instances.write().expect("poisoned") = Arc::new(next);
    }

    async fn resolve(&self, scheme: &str, host: &str, port: u16) {
        match tokio::net::lookup_host((host, port)).await {
            Ok(addresses) => {
                let urls: Vec<String> = addresses
                    .map(|a| match a {
                        std::net::SocketAddr::V4(v4) => {
                            format!("{scheme}://{}:{}", v4.ip(), v4.port())
                        }
                        std::net::SocketAddr::V6(v6) => {
                            format!("{scheme}://[{}]:{}", v6.ip(), v6.port())
                        }
                    })
                    .collect();
                if !urls.is_empty() {
                    self.replace(urls);
                }
            }
            // Keep the last known instances: DNS hiccups must not empty the pool.
            Err(error) => {
                tracing::warn!(upstream = %self.name, host, error = %error, "DNS resolution failed")
            }
        }
    }
}

async fn refresh_dns(pool: Weak<UpstreamPool>, scheme: String, host: String, port: u16, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(pool) = pool.upgrade() else { return };
        pool.resolve(&scheme, &host, port).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_static_lists_and_dns_names() {
        assert_eq!(
            Discovery::parse("http://a:1, http://b:2/").unwrap(),
            Discovery::Static(vec!["http://a:1".into(), "http://b:2".into()])
        );
        assert_eq!(
            Discovery::parse("dns+http://catalog:8080").unwrap(),
            Discovery::Dns { scheme: "http".into(), host: "catalog".into(), port: 8080 }
        );
        assert!(Discovery::parse("catalog:8080").is_err());
        assert!(Discovery::parse("dns+http://catalog").is_err());
    }

    #[tokio::test]
    async fn round_robin_skips_ejected_instances() {
        let discovery = Discovery::parse("http://a:1,http://b:2,http://c:3").unwrap();
        let pool = UpstreamPool::new("t", discovery, Duration::from_secs(60), Duration::from_secs(60)).await;
        let b = pool.snapshot()[1].clone();
        pool.eject(&b);
        let picked: Vec<String> = (0..6).map(|_| pool.pick().unwrap().base_url.clone()).collect();
        assert!(!picked.contains(&"http://b:2".to_owned()), "{picked:?}");
        assert!(picked.contains(&"http://a:1".to_owned()) && picked.contains(&"http://c:3".to_owned()));
        pool.restore(&b);
        assert_eq!(pool.healthy_count(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn an_ejected_instance_returns_when_its_window_ends_and_not_before() {
        let eject_for = Duration::from_secs(10);
        let discovery = Discovery::parse("http://a:1,http://b:2").unwrap();
        let pool = UpstreamPool::new("t", discovery, eject_for, Duration::from_secs(60)).await;
        let b = pool.snapshot()[1].clone();
        pool.eject(&b);
        let picks = |n| (0..n).map(|_| pool.pick().unwrap().base_url.clone()).collect::<Vec<_>>();

        tokio::time::advance(eject_for - Duration::from_millis(1)).await;
        assert!(picks(4).iter().all(|url| url == "http://a:1"), "still ejected just before the window ends");
        assert_eq!(pool.healthy_count(), 1);
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(picks(4).contains(&"http://b:2".to_owned()), "back in rotation when the window ends");
        assert_eq!(pool.healthy_count(), 2);
    }

    #[tokio::test]
    async fn when_all_are_ejected_one_is_still_used() {
        let pool = UpstreamPool::new(
            "t",
            Discovery::parse("http://a:1").unwrap(),
            Duration::from_secs(60),
            Duration::from_secs(60),
        )
        .await;
        let a = pool.pick().unwrap();
        pool.eject(&a);
        assert_eq!(pool.pick().unwrap().base_url, "http://a:1");
    }

    #[tokio::test]
    async fn dns_discovery_finds_every_address() {
        let pool = UpstreamPool::new(
            "t",
            Discovery::parse("dns+http://localhost:9").unwrap(),
            Duration::from_secs(1),
            Duration::from_secs(60),
        )
        .await;
        let urls = pool.instance_urls();
        assert!(urls.iter().any(|u| u == "http://127.0.0.1:9"), "{urls:?}");
    }
}
