//! A saga interrupted between steps (the process stopped) is finished by
//! the next instance: no order stays PENDING.

use orders::saga::Step;
use serde_json::Value;

use crate::helpers::{assert_stock, spawn_shop_with};

#[tokio::test]
async fn an_order_whose_process_died_after_reserving_is_finished_after_restart() {
    let mut shop = spawn_shop_with(Some(Step::Reserve)).await;
    let mug = shop.product("MUG-1", 500, 3).await;
    let response = shop.place(&shop.customer, &[(mug, 1)], "tok_visa").await;
    assert_eq!(response.status(), 202, "the saga stopped half-way");
    let pending: Value = response.json().await.unwrap();
    assert_eq!(pending["status"], "PENDING");
    assert_stock(&shop.stock(mug).await, 2, 1, 0);

    shop.restart_orders().await;
    let order = shop.settled(&pending["id"]).await;
    assert_eq!(order["status"], "CONFIRMED");
    assert_stock(&shop.stock(mug).await, 2, 0, 1);
    assert_eq!(shop.payments_of(&pending["id"]).await.len(), 1, "charged once");
}

#[tokio::test]
async fn an_order_whose_process_died_after_a_declined_charge_is_compensated_after_restart() {
    let mut shop = spawn_shop_with(Some(Step::Charge)).await;
    let mug = shop.product("MUG-1", 500, 3).await;
    let response = shop.place(&shop.customer, &[(mug, 2)], "tok_decline").await;
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["status"], "CANCELLED", "the decision is recorded before the halt");
    assert_stock(&shop.stock(mug).await, 1, 2, 0);

    shop.restart_orders().await;
    shop.settled(&order["id"]).await;
    assert_stock(&shop.stock(mug).await, 3, 0, 0);
}
