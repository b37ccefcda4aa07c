//! Consumer: orders → inventory, driving the saga's own client
//! (`orders::clients::Clients`): reserve, a reservation refused for lack of
//! stock, commit, cancel. Provider states name the stock and reservations
//! the provider must hold, with the ids as parameters.

mod common;

use common::*;
use orders::clients::{Clients, Commit, Reserve};
use orders::domain::Line;
use pact_consumer::prelude::*;
use serde_json::json;
use uuid::Uuid;

const RESERVED_ORDER: &str = "0190c0de-0000-7000-8000-00000000a001";
const SHORT_ORDER: &str = "0190c0de-0000-7000-8000-00000000a002";
const COMMITTED_ORDER: &str = "0190c0de-0000-7000-8000-00000000a003";
const CANCELLED_ORDER: &str = "0190c0de-0000-7000-8000-00000000a004";
const RESERVATION_PATH: &str = "^/internal/v1/reservations/[0-9a-f-]{36}";

fn line(product_id: i64, quantity: i32) -> Line {
    Line { product_id, name: "Mug".into(), unit_price_minor: 1250, quantity }
}

fn reserve_request(i: &mut pact_consumer::builders::InteractionBuilder, order: &str, product_id: i64) {
    i.request
        .put()
        // The exact path: two reservations of one shape would otherwise
        // both match either request at the mock server.
        .path(format!("/internal/v1/reservations/{order}"))
        .header("content-type", "application/json")
        .json_body(json_pattern!({ "lines": each_like!({ "product_id": product_id, "quantity": like!(2) }) }));
}

#[tokio::test]
async fn orders_reserves_commits_and_cancels_stock() {
    let inventory = PactBuilder::new_v4("orders", "inventory")
        .with_output_dir(pacts_dir())
        .interaction("a reservation of stock that is there", "", |mut i| {
            i.given_with_params("a product has stock", &json!({ "product_id": 101, "available": 5 }));
            reserve_request(&mut i, RESERVED_ORDER, 101);
            i.response.status(201);
            i
        })
        .interaction("a reservation beyond the stock", "", |mut i| {
            i.given_with_params("a product has stock", &json!({ "product_id": 102, "available": 1 }));
            reserve_request(&mut i, SHORT_ORDER, 102);
            i.response.status(409).header("content-type", "application/json").json_body(json_pattern!({
                "error": { "code": "insufficient_stock", "message": like!("not enough units of product 102") }
            }));
            i
        })
        .interaction("committing a reservation", "", |mut i| {
            i.given_with_params(
                "an order holds a reservation",
                &json!({ "order_id": COMMITTED_ORDER, "product_id": 103 }),
            );
            i.request.post().path(term!(
                format!("{RESERVATION_PATH}/commit$"),
                format!("/internal/v1/reservations/{COMMITTED_ORDER}/commit")
            ));
            i.response.status(200);
            i
        })
        .interaction("cancelling a reservation", "", |mut i| {
            i.given_with_params(
                "an order holds a reservation",
                &json!({ "order_id": CANCELLED_ORDER, "product_id": 104 }),
            );
            i.request.post().path(term!(
                format!("{RESERVATION_PATH}/cancel$"),
                format!("/internal/v1/reservations/{CANCELLED_ORDER}/cancel")
            ));
            i.response.status(200);
            i
        })
        .start_mock_server(None, None);

    let url = inventory.url().to_string();
    let clients = Clients {
        catalog: client("catalog", &url).await,
        inventory: client("inventory", &url).await,
        payments: client("payments", &url).await,
    };
    let order = |id: &str| Uuid::parse_str(id).unwrap();
    assert!(matches!(clients.reserve(order(RESERVED_ORDER), &[line(101, 2)]).await, Ok(Reserve::Reserved)));
    assert!(matches!(clients.reserve(order(SHORT_ORDER), &[line(102, 2)]).await, Ok(Reserve::Insufficient)));
    assert!(matches!(clients.commit(order(COMMITTED_ORDER)).await, Ok(Commit::Committed)));
    assert!(clients.cancel_reservation(order(CANCELLED_ORDER)).await.is_ok());
}
