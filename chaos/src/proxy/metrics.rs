//! The proxy's own Prometheus series, per proxy and toxic.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::windows::FaultWindows;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProxyLabels {
    pub proxy: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BytesLabels {
    pub proxy: String,
    /// upstream (client → server) or downstream
    pub direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FaultLabels {
    pub proxy: String,
    pub toxic: String,
    /// The toxic's type: latency, timeout, http_status ...
    pub kind: String,
}

#[derive(Clone, Default)]
pub struct ProxyMetrics {
    pub connections: Family<ProxyLabels, Counter>,
    pub active_connections: Family<ProxyLabels, Gauge>,
    pub upstream_failures: Family<ProxyLabels, Counter>,
    /// Accepts that failed (out of file descriptors, mostly).
    pub accept_errors: Family<ProxyLabels, Counter>,
    pub bytes: Family<BytesLabels, Counter>,
    pub http_requests: Family<ProxyLabels, Counter>,
    pub faults: Family<FaultLabels, Counter>,
    /// Toxics in place now, per proxy and kind: what the Chaos dashboard shades.
    pub active_toxics: Family<FaultLabels, Gauge>,
    pub enabled: Family<ProxyLabels, Gauge>,
    /// The faults the experiment runner has in place (`windows.rs`).
    pub windows: FaultWindows,
}

impl ProxyMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        registry.register("chaos_proxy_connections", "Connections accepted, per proxy", m.connections.clone());
        registry.register(
            "chaos_proxy_active_connections",
            "Connections open now, per proxy",
            m.active_connections.clone(),
        );
        registry.register(
            "chaos_proxy_upstream_failures",
            "Connections the upstream refused",
            m.upstream_failures.clone(),
        );
        registry.register(
            "chaos_proxy_accept_errors",
            "Connections the proxy could not accept (out of file descriptors, mostly)",
            m.accept_errors.clone(),
        );
        registry.register("chaos_proxy_bytes", "Bytes relayed, per proxy and direction", m.bytes.clone());
        registry.register("chaos_proxy_http_requests", "HTTP requests seen, per proxy", m.http_requests.clone());
        registry.register(
            "chaos_proxy_faults_injected",
            "Faults injected, per proxy, toxic and kind",
            m.faults.clone(),
        );
        registry.register(
            "chaos_proxy_active_toxics",
            "Toxics in place, per proxy, toxic and kind",
            m.active_toxics.clone(),
        );
        registry.register("chaos_proxy_enabled", "1 when the proxy accepts connections", m.enabled.clone());
        registry.register(
            "chaos_fault_active",
            "1 while a fault the experiment runner announced is in place, per fault, kind and target",
            m.windows.gauge.clone(),
        );
        m
    }

    pub fn fault(&self, proxy: &str, toxic: &str, kind: &str) {
        self.faults.get_or_create(&FaultLabels { proxy: proxy.into(), toxic: toxic.into(), kind: kind.into() }).inc();
    }
}
