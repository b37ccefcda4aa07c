//! Order events in, e-mails out: one per confirmed or cancelled order event.

use platform::client::ServiceClient;
use platform::messaging::consumer::{HandlerError, MessageHandler, QueueSpec};
use platform::messaging::envelope::Envelope;
use platform::money::{Currency, Money};
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::email;
use crate::metrics::NotificationMetrics;
use crate::store::{self, NewNotification};

pub fn queue() -> QueueSpec {
    platform::messaging::topology::notifications_order_events()
}

/// The part of `order.confirmed` / `order.cancelled` (schema 1) we read.
#[derive(Debug, Deserialize)]
struct OrderOutcome {
    customer_id: Uuid,
    total_minor: i64,
    currency: Currency,
    reason: Option<String>,
}

pub struct OrderNotifier {
    pub users: ServiceClient,
    pub email: ServiceClient,
    pub metrics: NotificationMetrics,
}

impl MessageHandler for OrderNotifier {
    async fn handle(&self, conn: &mut PgConnection, envelope: &Envelope) -> Result<(), HandlerError> {
        let kind = match envelope.event_type.as_str() {
            "order.confirmed" => "order_confirmed",
            "order.cancelled" => "order_cancelled",
            other => {
                return Err(HandlerError::Permanent(anyhow::anyhow!("unexpected event {other}")));
            }
        };
        let outcome: OrderOutcome = serde_json::from_value(envelope.data.clone())
            .map_err(|e| HandlerError::Permanent(anyhow::anyhow!("unreadable {}: {e}", envelope.event_type)))?;
        let order_id = envelope.aggregate_id;
        let amount = Money::new(outcome.total_minor, outcome.currency)
            .map_err(|e| HandlerError::Permanent(anyhow::anyhow!("unreadable {}: {e}", envelope.event_type)))?;
        let (subject, text) = if kind == "order_confirmed" {
            (format!("Your order {order_id} is confirmed"), format!("Thank you! We received {amount}."))
        } else {
            let reason = outcome.reason.as_deref().unwrap_or("unknown").replace('_', " ");
            (
                format!("Your order {order_id} was cancelled"),
                format!("Reason: {reason}. Nothing was charged for it ({amount})."),
            )
        };
        let recipient = email::address_of(&self.users, outcome.customer_id).await?;
        let (status, provider_message_id) = match &recipient {
            Some(to) => ("sent", Some(email::send(&self.email, envelope.message_id, to, &subject, &text).await?)),
            None => ("skipped", None),
        };
        store::insert(
            conn,
            NewNotification {
                user_id: outcome.customer_id,
                order_id,
                event_id: envelope.message_id,
                kind,
                recipient: recipient.as_deref(),
                subject: &subject,
                status,
                provider_message_id: provider_message_id.as_deref(),
            },
        )
        .await?;
        self.metrics.handled(kind, status);
        tracing::info!(%order_id, kind, status, "notification handled");
        Ok(())
    }
}
