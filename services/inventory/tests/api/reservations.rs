use platform::test_util::error_of;
use uuid::Uuid;

use crate::helpers::{assert_stock, spawn_app, spawn_with_ttl};

#[tokio::test]
async fn a_reservation_holds_units_until_committed() {
    let app = spawn_app().await;
    app.restock(1, 10).await;
    let order = Uuid::new_v4();
    assert_eq!(app.reserve(order, &[(1, 3)]).await.status(), 201);
    assert_stock(&app.stock(1).await, 7, 3, 0);
    assert_eq!(app.act(order, "commit").await.status(), 200);
    assert_stock(&app.stock(1).await, 7, 0, 3);
    assert_eq!(app.status(order).await, "committed");
}

#[tokio::test]
async fn repeating_any_call_changes_nothing() {
    let app = spawn_app().await;
    app.restock(1, 10).await;
    let order = Uuid::new_v4();
    assert_eq!(app.reserve(order, &[(1, 3)]).await.status(), 201);
    assert_eq!(app.reserve(order, &[(1, 3)]).await.status(), 200, "repeat");
    assert_stock(&app.stock(1).await, 7, 3, 0);
    app.act(order, "commit").await;
    assert_eq!(app.act(order, "commit").await.status(), 200, "repeat");
    assert_stock(&app.stock(1).await, 7, 0, 3);
    app.act(order, "cancel").await;
    assert_eq!(app.act(order, "cancel").await.status(), 200, "repeat");
    assert_stock(&app.stock(1).await, 10, 0, 0);
    assert_eq!(app.status(order).await, "returned");
}

#[tokio::test]
async fn a_reservation_is_all_or_nothing() {
    let app = spawn_app().await;
    app.restock(1, 10).await;
    app.restock(2, 1).await;
    let order = Uuid::new_v4();
    let refused = app.reserve(order, &[(1, 5), (2, 2)]).await;
    assert_eq!(error_of(refused).await, (409, "insufficient_stock".into()));
    assert_stock(&app.stock(1).await, 10, 0, 0);
    assert_stock(&app.stock(2).await, 1, 0, 0);
}

#[tokio::test]
async fn cancelling_releases_reserved_units() {
    let app = spawn_app().await;
    app.restock(1, 4).await;
    let order = Uuid::new_v4();
    app.reserve(order, &[(1, 4)]).await;
    assert_eq!(app.act(order, "cancel").await.status(), 200);
    assert_stock(&app.stock(1).await, 4, 0, 0);
    assert_eq!(error_of(app.act(order, "commit").await).await, (409, "reservation_closed".into()));
}

#[tokio::test]
async fn a_reservation_arriving_after_its_cancellation_is_refused() {
    let app = spawn_app().await;
    app.restock(1, 4).await;
    let order = Uuid::new_v4();
    // The saga gave up on a slow reserve call and cancelled first.
    assert_eq!(app.act(order, "cancel").await.status(), 200);
    assert_eq!(error_of(app.reserve(order, &[(1, 1)]).await).await, (409, "reservation_closed".into()));
    assert_stock(&app.stock(1).await, 4, 0, 0);
}

#[tokio::test]
async fn concurrent_orders_never_take_more_than_there_is() {
    let app = spawn_app().await;
    app.restock(1, 5).await;
    let attempts = 40;
    let results = futures::future::join_all((0..attempts).map(|_| app.reserve(Uuid::new_v4(), &[(1, 1)]))).await;
    let reserved = results.iter().filter(|r| r.status() == 201).count();
    let refused = results.iter().filter(|r| r.status() == 409).count();
    assert_eq!((reserved, refused), (5, attempts - 5));
    assert_stock(&app.stock(1).await, 0, 5, 0);
}

#[tokio::test]
async fn reservations_that_are_never_committed_expire() {
    let app = spawn_with_ttl(std::time::Duration::from_secs(1)).await;
    app.restock(1, 3).await;
    let order = Uuid::new_v4();
    app.reserve(order, &[(1, 2)]).await;
    assert_stock(&app.stock(1).await, 1, 2, 0);
    platform::test_util::eventually("the reservation expired", std::time::Duration::from_secs(10), || async {
        app.status(order).await == "released"
    })
    .await;
    assert_stock(&app.stock(1).await, 3, 0, 0);
}

#[tokio::test]
async fn bad_reservation_requests_are_client_errors() {
    let app = spawn_app().await;
    let order = Uuid::new_v4();
    assert_eq!(error_of(app.reserve(order, &[]).await).await.0, 422, "empty");
    assert_eq!(error_of(app.reserve(order, &[(1, 0)]).await).await.0, 422, "zero");
    assert_eq!(error_of(app.reserve(order, &[(1, -2)]).await).await.0, 422, "negative");
    assert_eq!(error_of(app.reserve(order, &[(1, 1), (1, 2)]).await).await.0, 422, "duplicate product");
    assert_eq!(error_of(app.act(Uuid::new_v4(), "commit").await).await.0, 404);
    let not_uuid = app.client.http.post(app.client.url("/internal/v1/reservations/abc/commit")).send().await.unwrap();
    assert_eq!(error_of(not_uuid).await.0, 400);
}
