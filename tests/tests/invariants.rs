//! The invariant checker catches what it promises to: each of its rules is
//! broken on purpose, in one service's database, on a shop whose report was
//! clean, and the checker must report exactly that violation. One shop for
//! all rules (shops run one at a time): each tampering touches an order or
//! product of its own, so each check adds one violation to the last.

use std::time::Duration;

use e2e::{Options, Shop};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// Long past for nothing here to count as in progress, unless aged on purpose.
const GRACE: Duration = Duration::from_secs(60);

/// Runs the checker after each tampering and compares with the last report.
struct Auditor<'a> {
    shop: &'a Shop,
    known: Vec<String>,
}

impl Auditor<'_> {
    /// The checker reports one violation more than last time, and it is `expected`.
    async fn reports(&mut self, rule: &str, expected: &str) {
        let report = self.shop.invariants(GRACE).await;
        let now: Vec<String> = report.violations.iter().map(|v| stable(v)).collect();
        let new: Vec<&String> = now.iter().filter(|v| !self.known.contains(v)).collect();
        assert!(
            new.len() == 1 && new[0].contains(expected),
            "{rule}: expected one new violation containing {expected:?}, got {new:#?}\n{report}"
        );
        assert_eq!(now.len(), self.known.len() + 1, "{rule}: an earlier violation vanished\n{report}");
        self.known = now;
    }
}

/// A violation without what changes from one check to the next: how long a
/// stuck saga has been idle.
fn stable(violation: &str) -> String {
    match violation.split_once(" is stuck: ") {
        Some(_) => violation.split(" for ").next().unwrap_or(violation).to_owned(),
        None => violation.to_owned(),
    }
}

async fn confirmed(shop: &Shop, token: &str, product: i64) -> Uuid {
    let order: Value = shop.order(token, &[(product, 1)], "tok_visa").await.json().await.unwrap();
    assert_eq!(order["status"], "CONFIRMED", "{order}");
    order["id"].as_str().unwrap().parse().unwrap()
}

async fn run(pool: &PgPool, sql: &'static str, order: Uuid) {
    let done = sqlx::query(sql).bind(order).execute(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert!(done.rows_affected() > 0, "{sql}: no row for {order}");
}

#[tokio::test]
async fn the_invariant_checker_reports_each_rule_broken_on_purpose() {
    let shop = Shop::start(Options::default()).await;
    let mug = shop.product("MUG-1", 500, 20).await;
    let ada = shop.register("ada@example.org").await;
    let stuck = confirmed(&shop, &ada, mug).await;
    let unpaid = confirmed(&shop, &ada, mug).await;
    let charged_twice = confirmed(&shop, &ada, mug).await;
    let unsold = confirmed(&shop, &ada, mug).await;
    let in_limbo = confirmed(&shop, &ada, mug).await;
    let declined: Value = shop.order(&ada, &[(mug, 1)], "tok_decline").await.json().await.unwrap();
    assert_eq!(declined["status"], "CANCELLED", "{declined}");
    let declined: Uuid = declined["id"].as_str().unwrap().parse().unwrap();
    let miscounted = shop.product("LAMP-1", 900, 5).await;
    let misbooked = shop.product("VASE-1", 700, 5).await;
    shop.notifications(&ada, 6).await;
    let report = shop.settled_invariants().await;
    assert!(report.is_clean(), "{report}");

    let orders = shop.orders_database().await;
    let payments = shop.payments_database().await;
    let inventory = shop.inventory_database().await;
    let notifications = shop.notifications_database().await;
    let mut auditor = Auditor { shop: &shop, known: Vec::new() };

    // A saga that stopped moving (leased far ahead, so no runner takes it up).
    run(
        &orders,
        "UPDATE sagas SET step = 'charge', updated_at = now() - interval '1 hour', lease_until = now() + interval '1 day'
         WHERE order_id = $1",
        stuck,
    )
    .await;
    auditor.reports("no saga stuck", &format!("order {stuck} is stuck: saga at Some(\"charge\")")).await;

    // No order confirmed without a capture.
    run(&payments, "UPDATE payments SET status = 'refunded' WHERE order_id = $1", unpaid).await;
    auditor.reports("confirmed means paid", &format!("order {unpaid} is CONFIRMED but has captured payments []")).await;

    // Nothing charged twice.
    run(
        &payments,
        "INSERT INTO payments (id, order_id, amount_minor, currency, status, provider_charge_id)
         SELECT gen_random_uuid(), order_id, amount_minor, currency, status, provider_charge_id || '-again'
         FROM payments WHERE order_id = $1",
        charged_twice,
    )
    .await;
    auditor
        .reports("charged once", &format!("order {charged_twice} is CONFIRMED but has captured payments [500, 500]"))
        .await;

    // A confirmed order whose units went back on the shelf (stock kept consistent,
    // as inventory's own return does, so only the order rule can see it).
    run(
        &inventory,
        "UPDATE stock s SET sold = s.sold - l.quantity, available = s.available + l.quantity
         FROM reservation_lines l WHERE l.order_id = $1 AND s.product_id = l.product_id",
        unsold,
    )
    .await;
    run(&inventory, "UPDATE reservations SET status = 'returned' WHERE order_id = $1", unsold).await;
    auditor
        .reports(
            "confirmed means sold",
            &format!("order {unsold} is CONFIRMED but its reservation is Some(\"returned\")"),
        )
        .await;

    // A cancelled order still holding stock (again with consistent stock).
    run(
        &inventory,
        "UPDATE stock s SET reserved = s.reserved + l.quantity, available = s.available - l.quantity
         FROM reservation_lines l WHERE l.order_id = $1 AND s.product_id = l.product_id",
        declined,
    )
    .await;
    run(&inventory, "UPDATE reservations SET status = 'reserved' WHERE order_id = $1", declined).await;
    auditor
        .reports(
            "cancelled holds nothing",
            &format!("order {declined} is CANCELLED but its reservation is Some(\"reserved\")"),
        )
        .await;

    // A cancelled order still charged.
    run(&payments, "UPDATE payments SET status = 'captured' WHERE order_id = $1", declined).await;
    auditor
        .reports("cancelled is not charged", &format!("order {declined} is CANCELLED but still has captured payments"))
        .await;

    // An order left in a non-final state by a finished saga.
    run(&orders, "UPDATE order_views SET status = 'PENDING' WHERE order_id = $1", in_limbo).await;
    auditor
        .reports("a done saga leaves a final state", &format!("order {in_limbo} is PENDING with its saga done"))
        .await;

    // Stock conservation: the schema's CHECK would refuse this, so it goes first.
    let conservation: String = sqlx::query_scalar(
        "SELECT conname::text FROM pg_constraint
         WHERE conrelid = 'stock'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%= stocked%'",
    )
    .fetch_one(&inventory)
    .await
    .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(r#"ALTER TABLE stock DROP CONSTRAINT "{conservation}""#)))
        .execute(&inventory)
        .await
        .unwrap();
    sqlx::query("UPDATE stock SET available = available + 1 WHERE product_id = $1")
        .bind(miscounted)
        .execute(&inventory)
        .await
        .unwrap();
    auditor.reports("units are conserved", &format!("product {miscounted}: 6 + 0 + 0 != 5 stocked")).await;

    // Buckets that add up but disagree with the reservations.
    sqlx::query("UPDATE stock SET sold = sold + 1, available = available - 1 WHERE product_id = $1")
        .bind(misbooked)
        .execute(&inventory)
        .await
        .unwrap();
    auditor
        .reports("stock matches reservations", &format!("product {misbooked}: reserved/sold 0/1, reservations say 0/0"))
        .await;

    // An outcome event nobody was told about, past the grace period.
    let lost: Uuid = sqlx::query_scalar("DELETE FROM notifications WHERE order_id = $1 RETURNING event_id")
        .bind(unpaid)
        .fetch_one(&notifications)
        .await
        .unwrap();
    let aged = sqlx::query("UPDATE outbox SET created_at = now() - interval '1 hour' WHERE message_id = $1")
        .bind(lost)
        .execute(&orders)
        .await
        .unwrap();
    assert_eq!(aged.rows_affected(), 1);
    auditor.reports("every event is notified", &format!("order.confirmed {lost} has 0 notifications")).await;

    // An event notified twice: the schema's UNIQUE would refuse this, so it goes first.
    sqlx::raw_sql("ALTER TABLE notifications DROP CONSTRAINT notifications_event_id_key")
        .execute(&notifications)
        .await
        .unwrap();
    let twice: Uuid = sqlx::query_scalar(
        "INSERT INTO notifications (id, user_id, order_id, event_id, kind, recipient, subject, status, provider_message_id)
         SELECT gen_random_uuid(), user_id, order_id, event_id, kind, recipient, subject, status, provider_message_id
         FROM notifications WHERE order_id = $1 RETURNING event_id",
    )
    .bind(charged_twice)
    .fetch_one(&notifications)
    .await
    .unwrap();
    auditor.reports("every event is notified once", &format!("order.confirmed {twice} has 2 notifications")).await;
}
