//! Notifications' business metrics (`notifications_total` by kind and
//! status), beside the request, database and consumer metrics every service
//! exports.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SentLabels {
    pub kind: &'static str,
    /// sent or skipped
    pub status: &'static str,
}

#[derive(Clone, Default)]
pub struct NotificationMetrics {
    pub sent: Family<SentLabels, Counter>,
}

impl NotificationMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register("notifications", "Order notifications handled, by kind and status", metrics.sent.clone());
        metrics
    }

    pub fn handled(&self, kind: &'static str, status: &'static str) {
        self.sent.get_or_create(&SentLabels { kind, status }).inc();
    }
}
