//! Consumer: orders → catalog, inventory and payments, driving the saga's
//! own client (`orders::clients::Clients`): the product and its price, a
//! product that does not exist; reserve, a reservation refused for lack of
//! stock, commit, cancel; a charge, a declined charge, a refund. Provider
//! states name what the provider must hold, with the ids as parameters.

mod common;

use chrono::Utc;
use common::*;
use orders::clients::{Charge, Clients, Commit, Reserve};
use orders::domain::{Line, Order, OrderEvent};
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

const CHARGED_ORDER: &str = "0190c0de-0000-7000-8000-00000000a005";
const DECLINED_ORDER: &str = "0190c0de-0000-7000-8000-00000000a006";
const REFUNDED_ORDER: &str = "0190c0de-0000-7000-8000-00000000a007";

fn catalog_pact() -> PactBuilder {
    let mut pact = PactBuilder::new_v4("orders", "catalog");
    pact.with_output_dir(pacts_dir())
        .interaction("a product and its price", "", |mut i| {
            i.given("a product exists");
            i.request.get().path_from_provider_state("/api/v1/products/${product_id}", "/api/v1/products/42");
            i.response.status(200).header("content-type", "application/json").json_body(json_pattern!({
                "id": like!(42),
                "name": like!("Enamel mug"),
                "price_cents": like!(1250),
                "currency": like!("EUR"),
            }));
            i
        })
        .interaction("a product that does not exist", "", |mut i| {
            i.request.get().path("/api/v1/products/999999999");
            i.response.status(404);
            i
        });
    pact
}

/// An order as the saga charges it: placed, stock reserved.
fn placed_order(id: &str, total_minor: i64) -> Order {
    let placed = OrderEvent::OrderPlaced {
        customer_id: Uuid::parse_str("0190c0de-0000-7000-8000-00000000b001").unwrap(),
        lines: vec![line(42, 2)],
        currency: platform::money::Currency::parse("EUR").unwrap(),
        total_minor,
    };
    Order::replay(Uuid::parse_str(id).unwrap(), [(&placed, Utc::now()), (&OrderEvent::StockReserved, Utc::now())])
        .expect("an order")
}

fn charge_request(i: &mut pact_consumer::builders::InteractionBuilder, order: &str, payment_method: &str) {
    i.request
        .post()
        .path("/api/v1/payments")
        // The order's own key: a repeated charge (after a timeout) is the same charge.
        .header("idempotency-key", term!("^order-[0-9a-f-]{36}$", format!("order-{order}")))
        .header("content-type", "application/json")
        .json_body(json_pattern!({
            "order_id": term!(UUID, order),
            "amount_minor": like!(2500),
            "currency": like!("EUR"),
            "payment_method": payment_method,
        }));
}

fn payments_pact() -> PactBuilder {
    let mut pact = PactBuilder::new_v4("orders", "payments");
    pact.with_output_dir(pacts_dir())
        .interaction("a charge that is captured", "", |mut i| {
            charge_request(&mut i, CHARGED_ORDER, "tok_visa");
            i.response.status(201).header("content-type", "application/json").json_body(json_pattern!({
                "id": term!(UUID, "0190c0de-0000-7000-8000-00000000e001"),
                "status": "captured",
            }));
            i
        })
        .interaction("a charge that is declined", "", |mut i| {
            charge_request(&mut i, DECLINED_ORDER, "tok_decline");
            i.response.status(201).header("content-type", "application/json").json_body(json_pattern!({
                "id": term!(UUID, "0190c0de-0000-7000-8000-00000000e002"),
                "status": "declined",
            }));
            i
        })
        .interaction("refunding an order", "", |mut i| {
            i.given_with_params(
                "an order has been charged",
                &json!({ "order_id": REFUNDED_ORDER, "amount_minor": 2500 }),
            );
            i.request.post().path(format!("/internal/v1/orders/{REFUNDED_ORDER}/refund"));
            i.response.status(200).header("content-type", "application/json").json_body(json_pattern!(each_like!({
                "id": term!(UUID, "0190c0de-0000-7000-8000-00000000e003"),
                "status": "refunded",
            })));
            i
        });
    pact
}

#[tokio::test]
async fn orders_reads_the_catalog_reserves_stock_and_charges() {
    let catalog = catalog_pact().start_mock_server(None, None);
    let payments = payments_pact().start_mock_server(None, None);
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

    let clients = Clients {
        catalog: client("catalog", catalog.url().as_str()).await,
        inventory: client("inventory", inventory.url().as_str()).await,
        payments: client("payments", payments.url().as_str()).await,
    };
    let product = clients.product(42).await.expect("catalog answers").expect("product 42 exists");
    assert_eq!((product.id, product.price_cents, product.currency.as_str()), (42, 1250, "EUR"));
    assert!(clients.product(999_999_999).await.expect("catalog answers").is_none());
    let order = |id: &str| Uuid::parse_str(id).unwrap();
    assert!(matches!(clients.reserve(order(RESERVED_ORDER), &[line(101, 2)]).await, Ok(Reserve::Reserved)));
    assert!(matches!(clients.reserve(order(SHORT_ORDER), &[line(102, 2)]).await, Ok(Reserve::Insufficient)));
    assert!(matches!(clients.commit(order(COMMITTED_ORDER)).await, Ok(Commit::Committed)));
    assert!(clients.cancel_reservation(order(CANCELLED_ORDER)).await.is_ok());
    let charged = clients.charge(&placed_order(CHARGED_ORDER, 2500), "tok_visa").await;
    assert!(matches!(charged, Ok(Charge::Captured { .. })));
    let declined = clients.charge(&placed_order(DECLINED_ORDER, 2500), "tok_decline").await;
    assert!(matches!(declined, Ok(Charge::Declined)));
    assert!(clients.refund_order(order(REFUNDED_ORDER)).await.expect("payments answers"), "a refund is reported");
}
