//! Order events as a backstop for the saga's HTTP calls: a confirmed order's
//! reservation is committed, a cancelled order's units come back, even if
//! the saga's own call to inventory never arrived.

use platform::messaging::consumer::{HandlerError, MessageHandler, QueueSpec};
use platform::messaging::envelope::Envelope;
use sqlx::PgConnection;

use crate::store::{self, Commit};

pub fn queue() -> QueueSpec {
    platform::messaging::topology::inventory_order_events()
}

pub struct OrderEvents;

impl MessageHandler for OrderEvents {
    async fn handle(&self, conn: &mut PgConnection, envelope: &Envelope) -> Result<(), HandlerError> {
        let order_id = envelope.aggregate_id;
        match envelope.event_type.as_str() {
            "order.confirmed" => match store::commit(conn, order_id).await? {
                Commit::Committed => {}
                // Cancelled since: the cancellation event will return the units.
                Commit::Closed(_) => {}
                Commit::Missing => {
                    return Err(HandlerError::Permanent(anyhow::anyhow!(
                        "order {order_id} confirmed without a reservation"
                    )));
                }
            },
            "order.cancelled" => {
                store::cancel(conn, order_id).await?;
            }
            other => {
                return Err(HandlerError::Permanent(anyhow::anyhow!("unexpected event {other}")));
            }
        }
        Ok(())
    }
}
