//! Reservations that are never committed (the saga died, the customer
//! vanished) are released when their time is up, so stock is not held forever.

use std::time::Duration;

use sqlx::PgPool;

use crate::metrics::InventoryMetrics;

pub fn spawn(pool: PgPool, every: Duration, metrics: InventoryMetrics) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            match crate::store::release_expired(&pool, 100).await {
                Ok(released) if !released.is_empty() => {
                    for order_id in &released {
                        tracing::info!(%order_id, "expired reservation released");
                        metrics.reservations("expired");
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(error = %error, "releasing expired reservations failed")
                }
            }
        }
    })
}
