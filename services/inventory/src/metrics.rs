//! The inventory's business metrics (`inventory_reservations_total`), beside
//! the request, database and messaging metrics every service exports.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReservationLabels {
    /// reserved, insufficient, committed, cancelled, expired
    pub outcome: &'static str,
}

/// Business metrics of the inventory.
#[derive(Clone, Default)]
pub struct InventoryMetrics {
    pub reservation_outcomes: Family<ReservationLabels, Counter>,
}

impl InventoryMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "inventory_reservations",
            "Reservation operations by outcome",
            metrics.reservation_outcomes.clone(),
        );
        metrics
    }

    pub fn reservations(&self, outcome: &'static str) {
        self.reservation_outcomes.get_or_create(&ReservationLabels { outcome }).inc();
    }
}
