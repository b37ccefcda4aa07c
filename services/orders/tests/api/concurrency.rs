use std::time::Instant;

use platform::test_util::customer;

use crate::helpers::{assert_stock, spawn_shop};

#[tokio::test]
async fn parallel_orders_for_the_last_units_confirm_exactly_as_many_as_there_are() {
    let shop = spawn_shop().await;
    let units = 5;
    let orders = 30;
    let mug = shop.product("MUG-1", 990, units).await;

    let started = Instant::now();
    let customers: Vec<_> = (0..orders).map(|_| customer()).collect();
    let items = [(mug, 1)];
    let responses = futures::future::join_all(customers.iter().map(|c| shop.place(c, &items, "tok_visa"))).await;
    let mut confirmed = 0;
    let mut cancelled = 0;
    for response in responses {
        let order: serde_json::Value = response.json().await.unwrap();
        let order = shop.settled(&order["id"]).await;
        match order["status"].as_str() {
            Some("CONFIRMED") => confirmed += 1,
            Some("CANCELLED") => {
                assert_eq!(order["cancel_reason"], "out_of_stock");
                cancelled += 1;
            }
            other => panic!("unexpected status {other:?}"),
        }
    }
    eprintln!("{orders} parallel orders for {units} units settled in {:?}", started.elapsed());
    assert_eq!((confirmed, cancelled), (units, orders as i64 - units));
    assert_stock(&shop.stock(mug).await, 0, 0, units);
}
