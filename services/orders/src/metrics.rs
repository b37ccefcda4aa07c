//! Checkout's business metrics: orders by outcome, compensations by reason,
//! saga steps retried.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// confirmed or cancelled
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StepLabels {
    pub step: &'static str,
}

/// Business metrics of checkout.
#[derive(Clone, Default)]
pub struct SagaMetrics {
    pub orders: Family<OutcomeLabels, Counter>,
    pub compensations: Family<ReasonLabels, Counter>,
    pub step_retries: Family<StepLabels, Counter>,
}

impl SagaMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register("orders", "Orders that reached an outcome", metrics.orders.clone());
        registry.register(
            "saga_compensations",
            "Sagas compensated, by cancellation reason",
            metrics.compensations.clone(),
        );
        registry.register(
            "saga_step_retries",
            "Saga steps that failed for now and will be retried",
            metrics.step_retries.clone(),
        );
        metrics
    }
}
