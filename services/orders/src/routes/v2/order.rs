//! An order on the wire of v2.

use chrono::{DateTime, Utc};
use platform::ApiError;
use platform::money::DecimalMoney;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::Line;
use crate::store::OrderView;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = v2::Order)]
pub struct Order {
    pub id: Uuid,
    pub customer_id: Uuid,
    /// PENDING, CONFIRMED, CANCELLED or SHIPPED.
    pub status: String,
    pub cancel_reason: Option<String>,
    pub total: DecimalMoney,
    pub item_count: i32,
    pub lines: Vec<OrderLine>,
    pub payment_id: Option<Uuid>,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = v2::OrderLine)]
pub struct OrderLine {
    pub product_id: i64,
    /// As it was at checkout.
    pub name: String,
    pub unit_price: DecimalMoney,
    pub quantity: i32,
}

/// The read model keeps lines as JSON; lines it cannot read are a bug of
/// ours, answered as one (500), never as an empty list.
impl TryFrom<OrderView> for Order {
    type Error = ApiError;
    fn try_from(view: OrderView) -> Result<Self, ApiError> {
        let lines: Vec<Line> = serde_json::from_value(view.lines).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!("order {}: unreadable lines in the read model: {e}", view.id))
        })?;
        let lines = lines
            .into_iter()
            .map(|line| OrderLine {
                unit_price: DecimalMoney::from_minor(line.unit_price_minor, &view.currency),
                product_id: line.product_id,
                name: line.name,
                quantity: line.quantity,
            })
            .collect();
        Ok(Self {
            total: DecimalMoney::from_minor(view.total_minor, &view.currency),
            id: view.id,
            customer_id: view.customer_id,
            status: view.status,
            cancel_reason: view.cancel_reason,
            item_count: view.item_count,
            lines,
            payment_id: view.payment_id,
            placed_at: view.placed_at,
            updated_at: view.updated_at,
        })
    }
}
