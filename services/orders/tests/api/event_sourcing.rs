use std::time::Duration;

use futures::FutureExt;
use platform::test_util::eventually;
use serde_json::Value;

use crate::helpers::{Shop, spawn_shop};

#[tokio::test]
async fn the_event_stream_tells_the_orders_story() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 500, 3).await;
    let order = shop.checkout(&[(mug, 1)], "tok_visa").await;
    let events: Vec<Value> = shop
        .orders
        .get_json(&format!("/internal/v1/orders/{}/events", order["id"].as_str().unwrap()))
        .await
        .as_array()
        .unwrap()
        .clone();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["order_placed", "stock_reserved", "payment_captured", "order_confirmed"]);
}

#[tokio::test]
async fn rebuilding_the_read_model_from_the_events_gives_the_same_views() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 500, 2).await;
    let mut ids = Vec::new();
    for method in ["tok_visa", "tok_decline", "tok_visa", "tok_visa"] {
        ids.push(shop.checkout(&[(mug, 1)], method).await["id"].clone());
    }
    let mut before = Vec::new();
    for id in &ids {
        before.push(shop.order(id).await);
    }
    let listed_before = shop.orders.get_as(&shop.customer, "/api/v1/orders").await.text().await.unwrap();
    let pool = orders_pool(&shop).await;
    let rows_before = view_rows(&pool).await;
    assert_eq!(rows_before.len(), 4);

    // The read model goes wrong in every way it can: views missing, a view
    // that says something the events never did, and a view of an order that
    // has no events at all.
    let uuid_of = |id: &Value| id.as_str().unwrap().parse::<uuid::Uuid>().unwrap();
    for id in &ids[..2] {
        sqlx::query("DELETE FROM order_views WHERE order_id = $1").bind(uuid_of(id)).execute(&pool).await.unwrap();
    }
    sqlx::query("UPDATE order_views SET status = 'SHIPPED', total_minor = total_minor + 1 WHERE order_id = $1")
        .bind(uuid_of(&ids[2]))
        .execute(&pool)
        .await
        .unwrap();
    let phantom = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO order_views (order_id, customer_id, status, cancel_reason, currency, total_minor, item_count,
                                  lines, payment_id, version, placed_at, updated_at)
         SELECT $1, customer_id, status, cancel_reason, currency, total_minor, item_count,
                lines, payment_id, version, placed_at, updated_at
         FROM order_views WHERE order_id = $2",
    )
    .bind(phantom)
    .bind(uuid_of(&ids[3]))
    .execute(&pool)
    .await
    .unwrap();
    for id in &ids[..2] {
        let missing = shop.orders.get_as(&shop.customer, &format!("/api/v1/orders/{}", id.as_str().unwrap())).await;
        assert_eq!(missing.status(), 404, "view of {id} deleted");
    }
    assert_ne!(shop.order(&ids[2]).await, before[2], "view of {} corrupted", ids[2]);
    assert_eq!(shop.order(&Value::String(phantom.to_string())).await["status"], before[3]["status"]);
    assert_ne!(view_rows(&pool).await, rows_before);

    let rebuilt: Value = shop
        .orders
        .http
        .post(shop.orders.url("/internal/v1/read-model/rebuild"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(rebuilt["orders"], 4, "one view per event stream");
    for (id, view) in ids.iter().zip(&before) {
        assert_eq!(&shop.order(id).await, view, "view of {id} after replay");
    }
    let gone = shop.orders.get_as(&shop.customer, &format!("/api/v1/orders/{phantom}")).await;
    assert_eq!(gone.status(), 404, "a view without events does not survive the rebuild");
    let listed_after = shop.orders.get_as(&shop.customer, "/api/v1/orders").await.text().await.unwrap();
    assert_eq!(listed_after, listed_before);
    assert_eq!(view_rows(&pool).await, rows_before, "every column, versions included");
}

#[tokio::test]
async fn concurrent_writers_cannot_both_append_to_one_version() {
    use orders::domain::OrderEvent;
    use orders::event_store::{self, AppendError};

    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 500, 2).await;
    let order = shop.checkout(&[(mug, 1)], "tok_visa").await;
    shop.settled(&order["id"]).await;
    let pool = orders_pool(&shop).await;
    let id: uuid::Uuid = order["id"].as_str().unwrap().parse().unwrap();
    let read = event_store::load(&mut pool.acquire().await.unwrap(), id).await.unwrap().unwrap().version;

    // Two writers decided on the same version: one ships, one cancels. The
    // first has appended but not committed when the second appends.
    let mut first = pool.begin().await.unwrap();
    event_store::append(&mut first, id, read, &[OrderEvent::OrderShipped]).await.unwrap();
    let mut second = pool.begin().await.unwrap();
    let cancellation = [OrderEvent::OrderCancelled { reason: "customer_request".into() }];
    let (second_result, ()) = tokio::join!(event_store::append(&mut second, id, read, &cancellation), async {
        eventually("the second writer waits on the first", Duration::from_secs(10), || {
            waiting_appends(&pool).map(|waiting| waiting >= 1)
        })
        .await;
        first.commit().await.unwrap();
    });

    assert!(matches!(second_result, Err(AppendError::Conflict(conflicted)) if conflicted == id), "{second_result:?}");
    second.rollback().await.unwrap();
    let events = event_store::load_events(&mut pool.acquire().await.unwrap(), id).await.unwrap();
    assert_eq!(events.len(), read as usize + 1, "one append at version {}", read + 1);
    assert!(matches!(events.last(), Some((OrderEvent::OrderShipped, _))), "{events:?}");
}

#[tokio::test]
async fn a_cancellation_that_loses_the_race_is_told_the_order_changed() {
    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 500, 2).await;
    let order = shop.checkout(&[(mug, 1)], "tok_visa").await;
    shop.settled(&order["id"]).await;
    let pool = orders_pool(&shop).await;
    let path = format!("/api/v1/orders/{}/cancel", order["id"].as_str().unwrap());

    // Appends wait until both cancellations have read the same confirmed
    // order, decided to cancel it and tried to append: then both go on. One
    // wins; the other is refused by the version check, not by the business
    // rule (it never saw the order cancelled).
    let mut hold = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE order_events IN SHARE MODE").execute(&mut *hold).await.unwrap();
    let (a, b, ()) = tokio::join!(
        shop.orders.post_as(&shop.customer, &path, &Value::Null),
        shop.orders.post_as(&shop.customer, &path, &Value::Null),
        async {
            eventually("both cancellations wait to append", Duration::from_secs(10), || {
                waiting_appends(&pool).map(|waiting| waiting >= 2)
            })
            .await;
            hold.commit().await.unwrap();
        }
    );

    let mut answers = Vec::new();
    for response in [a, b] {
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        answers.push((status, body["error"]["code"].as_str().map(str::to_owned)));
    }
    answers.sort();
    assert_eq!(answers, [(200, None), (409, Some("concurrent_change".to_owned()))]);
    let again = shop.orders.post_as(&shop.customer, &path, &Value::Null).await;
    assert_eq!(again.status(), 409);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["error"]["code"], "order_cancelled", "the business rule has its own code");
    let events: Value =
        shop.orders.get_json(&format!("/internal/v1/orders/{}/events", order["id"].as_str().unwrap())).await;
    let cancellations = events.as_array().unwrap().iter().filter(|e| e["type"] == "order_cancelled").count();
    assert_eq!(cancellations, 1);
}

#[tokio::test]
async fn a_runner_deciding_on_a_stale_saga_step_cannot_record() {
    use orders::domain::OrderEvent;
    use orders::event_store::{self, AppendError};
    use orders::recorder::{SagaMove, record};
    use orders::saga::Step;
    use secrecy::ExposeSecret;

    let shop = spawn_shop().await;
    let mug = shop.product("MUG-1", 500, 2).await;
    let order = shop.checkout(&[(mug, 1)], "tok_visa").await;
    shop.settled(&order["id"]).await;
    let pool = sqlx::PgPool::connect(shop.orders_database.url.expose_secret()).await.unwrap();
    let id: uuid::Uuid = order["id"].as_str().unwrap().parse().unwrap();
    let current = event_store::load(&mut pool.acquire().await.unwrap(), id).await.unwrap().unwrap();

    // The saga is done; a runner that still believes it is at `charge` (its
    // lease ran out while it waited on payments) must not append anything,
    // even though it read the order's latest version.
    let stale = SagaMove { from: Some(Step::Charge), step: Step::Commit, charge_uncertain: false };
    let result = record(&pool, &current, &[OrderEvent::OrderConfirmed], Some(stale)).await;
    assert!(matches!(result, Err(AppendError::Conflict(_))), "{result:?}");
    let events = event_store::load_events(&mut pool.acquire().await.unwrap(), id).await.unwrap();
    assert_eq!(events.iter().filter(|(e, _)| matches!(e, OrderEvent::OrderConfirmed)).count(), 1);
}

async fn orders_pool(shop: &Shop) -> sqlx::PgPool {
    use secrecy::ExposeSecret;
    sqlx::PgPool::connect(shop.orders_database.url.expose_secret()).await.unwrap()
}

/// Every row of the read model, all columns, in a stable order.
async fn view_rows(pool: &sqlx::PgPool) -> Vec<Value> {
    sqlx::query_scalar("SELECT to_jsonb(v) FROM order_views v ORDER BY order_id").fetch_all(pool).await.unwrap()
}

/// How many sessions on the orders database wait for a lock to append events.
async fn waiting_appends(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO order_events%'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}
