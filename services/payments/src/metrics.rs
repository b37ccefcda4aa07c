//! Payments' business metrics (`payments_total` by operation and outcome),
//! beside the request, database and client metrics every service exports.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PaymentLabels {
    /// charge or refund
    pub operation: &'static str,
    /// captured, declined, refunded, failed
    pub outcome: &'static str,
}

#[derive(Clone, Default)]
pub struct PaymentMetrics {
    pub payments: Family<PaymentLabels, Counter>,
}

impl PaymentMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register("payments", "Payment operations by outcome", metrics.payments.clone());
        metrics
    }

    pub fn count(&self, operation: &'static str, outcome: &'static str) {
        self.payments.get_or_create(&PaymentLabels { operation, outcome }).inc();
    }
}
