//! The order flow's invariants, checked across the services' databases.
//! Load and chaos runs call this after (and during) a run: a clean report
//! means nothing was lost, charged twice or oversold.
//!
//! - a confirmed (or shipped) order has exactly one captured payment of its
//!   total and a committed reservation;
//! - a cancelled order has no captured payment left (refunded or never
//!   charged) and no stock held;
//! - for every product, available + reserved + sold = stocked, reserved
//!   equals the units of open reservations and sold those of committed ones;
//! - every `order.confirmed` / `order.cancelled` event has exactly one
//!   notification.
//!
//! Orders whose saga is still running, and events younger than the grace
//! period, are reported as in progress, not as violations; a saga that has
//! not moved for longer than the grace period is a violation (stuck).
//!
//! It reads the databases directly, read-only: it is an auditor, not a
//! service, and must not trust the APIs it audits.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use serde::Serialize;
use sqlx::{PgPool, Row};
use uuid::Uuid;

/// Connections to the four databases involved.
pub struct Databases {
    pub orders: PgPool,
    pub payments: PgPool,
    pub inventory: PgPool,
    pub notifications: PgPool,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub orders_checked: usize,
    pub products_checked: usize,
    pub events_checked: usize,
    pub in_progress: Vec<String>,
    pub violations: Vec<String>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "checked {} orders, {} products, {} order events",
            self.orders_checked, self.products_checked, self.events_checked
        )?;
        for note in &self.in_progress {
            writeln!(f, "  in progress: {note}")?;
        }
        for violation in &self.violations {
            writeln!(f, "  VIOLATION: {violation}")?;
        }
        if self.violations.is_empty() {
            writeln!(f, "no violations")?;
        } else {
            writeln!(f, "{} violation(s)", self.violations.len())?;
        }
        Ok(())
    }
}

struct OrderRow {
    status: String,
    total_minor: i64,
    saga_step: Option<String>,
    saga_idle_secs: f64,
}

pub async fn check(db: &Databases, grace: Duration) -> anyhow::Result<Report> {
    let mut report =
        Report { orders_checked: 0, products_checked: 0, events_checked: 0, in_progress: vec![], violations: vec![] };
    let grace_secs = grace.as_secs_f64();

    let orders: HashMap<Uuid, OrderRow> = sqlx::query(
        r#"SELECT v.order_id, v.status, v.total_minor, s.step,
                  EXTRACT(EPOCH FROM now() - COALESCE(s.updated_at, v.updated_at))::float8 AS idle
           FROM order_views v LEFT JOIN sagas s ON s.order_id = v.order_id"#,
    )
    .fetch_all(&db.orders)
    .await?
    .into_iter()
    .map(|r| {
        (
            r.get("order_id"),
            OrderRow {
                status: r.get("status"),
                total_minor: r.get("total_minor"),
                saga_step: r.get("step"),
                saga_idle_secs: r.get("idle"),
            },
        )
    })
    .collect();

    let mut payments: HashMap<Uuid, Vec<(String, i64)>> = HashMap::new();
    for r in sqlx::query("SELECT order_id, status, amount_minor FROM payments").fetch_all(&db.payments).await? {
        payments.entry(r.get("order_id")).or_default().push((r.get("status"), r.get("amount_minor")));
    }
    let reservations: HashMap<Uuid, String> = sqlx::query("SELECT order_id, status FROM reservations")
        .fetch_all(&db.inventory)
        .await?
        .into_iter()
        .map(|r| (r.get("order_id"), r.get("status")))
        .collect();

    for (id, order) in &orders {
        report.orders_checked += 1;
        let running = order.saga_step.as_deref().is_some_and(|step| step != "done");
        if running {
            if order.saga_idle_secs > grace_secs {
                report.violations.push(format!(
                    "order {id} is stuck: saga at {:?} for {:.0}s ({})",
                    order.saga_step, order.saga_idle_secs, order.status
                ));
            } else {
                report.in_progress.push(format!("order {id}: saga at {:?} ({})", order.saga_step, order.status));
            }
            continue;
        }
        let captured: Vec<i64> =
            payments.get(id).into_iter().flatten().filter(|(s, _)| s == "captured").map(|(_, a)| *a).collect();
        let reservation = reservations.get(id).map(String::as_str);
        match order.status.as_str() {
            "CONFIRMED" | "SHIPPED" => {
                if captured.len() != 1 || captured[0] != order.total_minor {
                    report.violations.push(format!(
                        "order {id} is {} but has captured payments {captured:?} (total {})",
                        order.status, order.total_minor
                    ));
                }
                if reservation != Some("committed") {
                    report
                        .violations
                        .push(format!("order {id} is {} but its reservation is {reservation:?}", order.status));
                }
            }
            "CANCELLED" => {
                if !captured.is_empty() {
                    report
                        .violations
                        .push(format!("order {id} is CANCELLED but still has captured payments {captured:?}"));
                }
                if matches!(reservation, Some("reserved" | "committed")) {
                    report.violations.push(format!("order {id} is CANCELLED but its reservation is {reservation:?}"));
                }
            }
            other => report.violations.push(format!("order {id} is {other} with its saga done")),
        }
    }

    // Stock: the buckets add up, and match the reservations. One statement,
    // so one snapshot: read in two, a checkout committing in between (the
    // load keeps running while experiments check) looks like a violation.
    for r in sqlx::query(
        r#"SELECT s.product_id, s.available, s.reserved, s.sold, s.stocked,
                  COALESCE(x.reserved, 0)::int8 AS expected_reserved, COALESCE(x.sold, 0)::int8 AS expected_sold
           FROM stock s LEFT JOIN (
               SELECT l.product_id,
                      SUM(l.quantity) FILTER (WHERE r.status = 'reserved') AS reserved,
                      SUM(l.quantity) FILTER (WHERE r.status = 'committed') AS sold
               FROM reservation_lines l JOIN reservations r ON r.order_id = l.order_id GROUP BY l.product_id
           ) x ON x.product_id = s.product_id"#,
    )
    .fetch_all(&db.inventory)
    .await?
    {
        report.products_checked += 1;
        let product: i64 = r.get("product_id");
        let (available, reserved, sold, stocked): (i32, i32, i32, i32) =
            (r.get("available"), r.get("reserved"), r.get("sold"), r.get("stocked"));
        if available + reserved + sold != stocked {
            report
                .violations
                .push(format!("product {product}: {available} + {reserved} + {sold} != {stocked} stocked"));
        }
        let (expected_reserved, expected_sold): (i64, i64) = (r.get("expected_reserved"), r.get("expected_sold"));
        if i64::from(reserved) != expected_reserved || i64::from(sold) != expected_sold {
            report.violations.push(format!(
                "product {product}: reserved/sold {reserved}/{sold}, reservations say {expected_reserved}/{expected_sold}"
            ));
        }
    }

    // Every outcome event has exactly one notification.
    let notified: HashMap<Uuid, i64> =
        sqlx::query("SELECT event_id, COUNT(*) AS n FROM notifications GROUP BY event_id")
            .fetch_all(&db.notifications)
            .await?
            .into_iter()
            .map(|r| (r.get("event_id"), r.get("n")))
            .collect();
    let events = sqlx::query(
        r#"SELECT message_id, event_type, EXTRACT(EPOCH FROM now() - created_at)::float8 AS age
           FROM outbox WHERE event_type IN ('order.confirmed', 'order.cancelled')"#,
    )
    .fetch_all(&db.orders)
    .await?;
    for r in events {
        report.events_checked += 1;
        let message_id: Uuid = r.get("message_id");
        let event_type: String = r.get("event_type");
        match notified.get(&message_id).copied().unwrap_or(0) {
            1 => {}
            0 if r.get::<f64, _>("age") <= grace_secs => {
                report.in_progress.push(format!("{event_type} {message_id}: notification not sent yet"));
            }
            n => report.violations.push(format!("{event_type} {message_id} has {n} notifications")),
        }
    }
    Ok(report)
}
