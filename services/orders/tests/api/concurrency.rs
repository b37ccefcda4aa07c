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
    // Each customer keeps at it until the shop says yes or "sold out": an
    // order cancelled because a dependency was briefly unavailable under the
    // burst is ordered again, as a customer would.
    let outcomes = futures::future::join_all(customers.iter().map(|customer| async {
        let mut transient = Vec::new();
        for _attempt in 0..5 {
            let placed = shop.place_until_accepted(customer, &items).await;
            let order = shop.settled(&placed["id"]).await;
            match (order["status"].as_str(), order["cancel_reason"].as_str()) {
                (Some("CONFIRMED"), _) => return ("confirmed", transient),
                (Some("CANCELLED"), Some("out_of_stock")) => return ("sold out", transient),
                (Some("CANCELLED"), Some(reason @ ("inventory_unavailable" | "payment_unavailable"))) => {
                    transient.push(reason.to_owned())
                }
                other => panic!("unexpected outcome {other:?}: {order}"),
            }
        }
        panic!("still no answer but 'try again' after 5 orders: {transient:?}");
    }))
    .await;
    let count = |what: &str| outcomes.iter().filter(|(outcome, _)| *outcome == what).count() as i64;
    let transient: Vec<_> = outcomes.iter().flat_map(|(_, t)| t.iter()).collect();
    eprintln!(
        "{orders} parallel orders for {units} units settled in {:?} ({} ordered again after {transient:?})",
        started.elapsed(),
        transient.len()
    );
    assert_eq!((count("confirmed"), count("sold out")), (units, orders as i64 - units));
    assert_stock(&shop.stock(mug).await, 0, 0, units);
}
