use std::time::Duration;

use orders::configuration::{Settings, TestUpstreams};
use orders::saga::Step;
use platform::Caller;
use platform::config::DatabaseSettings;
use platform::messaging::BrokerSettings;
use platform::test_util::{Served, TestClient, admin, customer, fresh_broker, fresh_database, init_test_logs, serve};
use serde_json::{Value, json};

/// Everything orders talks to, running, plus orders itself.
pub struct Shop {
    pub orders: TestClient,
    pub catalog: TestClient,
    pub inventory: TestClient,
    pub payments: TestClient,
    pub admin: Caller,
    pub customer: Caller,
    pub orders_database: DatabaseSettings,
    pub broker: BrokerSettings,
    /// Further orders instances on the same database and broker, when asked
    /// for (`spawn_shop_with_orders_instances`).
    pub other_orders: Vec<TestClient>,
    upstreams: TestUpstreams,
    running_orders: Served,
    /// Held while this shop runs (see `ONE_SHOP_AT_A_TIME`).
    _turn: tokio::sync::SemaphorePermit<'static>,
}

/// One shop at a time in this test binary: five services, a simulator and
/// their databases per test, twenty tests at once on two cores, made
/// timeouts and open breakers a matter of which tests ran together.
static ONE_SHOP_AT_A_TIME: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

pub async fn spawn_shop() -> Shop {
    spawn_shop_with(None).await
}

/// `halt_after`: orders stops its sagas after this step, as if it crashed.
pub async fn spawn_shop_with(halt_after: Option<Step>) -> Shop {
    assemble(halt_after, PaymentsForOrders::Real, 1).await
}

/// `instances` orders processes on one database and broker, started at
/// once (as a scaled Deployment's pods are): `orders` and `other_orders`.
pub async fn spawn_shop_with_orders_instances(instances: usize) -> Shop {
    assemble(None, PaymentsForOrders::Real, instances).await
}

/// Orders with nothing listening where payments should be.
pub async fn spawn_shop_without_payments() -> Shop {
    assemble(None, PaymentsForOrders::Down, 1).await
}

/// Orders calling this base URL for payments (a stand-in that answers what
/// the real one never would).
pub async fn spawn_shop_with_payments_at(url: String) -> Shop {
    assemble(None, PaymentsForOrders::At(url), 1).await
}

/// What orders finds at its payments address.
enum PaymentsForOrders {
    Real,
    Down,
    At(String),
}

async fn assemble(halt_after: Option<Step>, payments_for_orders: PaymentsForOrders, instances: usize) -> Shop {
    let turn = ONE_SHOP_AT_A_TIME.acquire().await.expect("the semaphore is never closed");
    init_test_logs();
    let broker = fresh_broker().await;
    let provider = serve(simulators::payments::build(simulators::payments::Settings::for_tests()).await);
    let catalog = serve(
        catalog::startup::build(catalog::configuration::Settings::for_tests(fresh_database("catalog").await)).await,
    );
    let inventory = serve(
        inventory::startup::build(inventory::configuration::Settings::for_tests(
            fresh_database("inventory").await,
            broker.clone(),
        ))
        .await,
    );
    let payments = serve(
        payments::startup::build(payments::configuration::Settings::for_tests(
            fresh_database("payments").await,
            provider.url(),
        ))
        .await,
    );
    let upstreams = TestUpstreams {
        catalog: catalog.url(),
        inventory: inventory.url(),
        payments: match payments_for_orders {
            PaymentsForOrders::Real => payments.url(),
            PaymentsForOrders::Down => format!("http://{}", platform::test_util::closed_port()),
            PaymentsForOrders::At(url) => url,
        },
    };
    let orders_database = fresh_database("orders").await;
    let settings = Settings::for_tests(orders_database.clone(), broker.clone(), &upstreams).halting_after(halt_after);
    // Started together: their migrations race, as replicas' do.
    let mut running = futures::future::join_all((0..instances).map(|_| orders::startup::build(settings.clone())))
        .await
        .into_iter()
        .map(serve);
    let running_orders = running.next().expect("one orders instance at least");
    let other_orders = running.map(|instance| instance.client()).collect();
    Shop {
        orders: running_orders.client(),
        catalog: catalog.client(),
        inventory: inventory.client(),
        payments: payments.client(),
        admin: admin(),
        customer: customer(),
        orders_database,
        broker,
        other_orders,
        upstreams,
        running_orders,
        _turn: turn,
    }
}

impl Shop {
    /// Stops orders (as a crash would, mid-saga) and starts a new instance on
    /// the same database.
    pub async fn restart_orders(&mut self) {
        self.running_orders.stop();
        let settings = Settings::for_tests(self.orders_database.clone(), self.broker.clone(), &self.upstreams);
        self.running_orders = serve(orders::startup::build(settings).await);
        self.orders = self.running_orders.client();
    }

    /// A product with `stock` units, priced `price` cents; returns its id.
    pub async fn product(&self, sku: &str, price: i64, stock: i64) -> i64 {
        let _ =
            self.catalog.post_as(&self.admin, "/api/v1/categories", &json!({"slug": "things", "name": "Things"})).await;
        let body = json!({"sku": sku, "name": format!("Product {sku}"), "price_cents": price, "currency": "EUR", "category": "things"});
        let created: Value = self.catalog.post_as(&self.admin, "/api/v1/products", &body).await.json().await.unwrap();
        let id = created["id"].as_i64().expect("product created");
        if stock > 0 {
            let restocked = self
                .inventory
                .post_as(&self.admin, &format!("/api/v1/inventory/{id}/restock"), &json!({"quantity": stock}))
                .await;
            assert_eq!(restocked.status(), 200);
        }
        id
    }

    pub async fn place(&self, caller: &Caller, items: &[(i64, i64)], payment_method: &str) -> reqwest::Response {
        let items: Vec<Value> = items.iter().map(|(p, q)| json!({"product_id": p, "quantity": q})).collect();
        self.orders.post_as(caller, "/api/v1/orders", &json!({"items": items, "payment_method": payment_method})).await
    }

    /// Places a `tok_visa` order as a well-behaved client does under load:
    /// with an Idempotency-Key, and again with the same key when the service
    /// says "later" (503 or 429 with Retry-After). Returns the order; any
    /// other answer fails the test with its status and body.
    pub async fn place_until_accepted(&self, caller: &Caller, items: &[(i64, i64)]) -> Value {
        let items: Vec<Value> = items.iter().map(|(p, q)| json!({"product_id": p, "quantity": q})).collect();
        let body = json!({"items": items, "payment_method": "tok_visa"});
        let key = uuid::Uuid::new_v4().to_string();
        for _attempt in 0..5 {
            let response = self
                .orders
                .request(reqwest::Method::POST, "/api/v1/orders", Some(caller))
                .header("idempotency-key", &key)
                .json(&body)
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            let text = response.text().await.unwrap();
            match (status, retry_after) {
                (200..=202, _) => {
                    let order: Value = serde_json::from_str(&text).unwrap();
                    assert!(order["id"].is_string(), "a {status} checkout answer without an id: {text}");
                    return order;
                }
                (429 | 503, Some(secs)) => {
                    eprintln!("checkout answered {status} ({text}); again in {secs} s with the same key");
                    tokio::time::sleep(Duration::from_secs(secs)).await;
                }
                _ => panic!("checkout answered {status} (retry-after {retry_after:?}): {text}"),
            }
        }
        panic!("checkout still refused after 5 attempts");
    }

    /// Places an order and returns its final view (the saga finished).
    pub async fn checkout(&self, items: &[(i64, i64)], payment_method: &str) -> Value {
        let response = self.place(&self.customer, items, payment_method).await;
        assert_eq!(response.status(), 201, "saga finished within the checkout wait");
        response.json().await.unwrap()
    }

    pub async fn order(&self, id: &Value) -> Value {
        let response = self.orders.get_as(&self.customer, &format!("/api/v1/orders/{}", id.as_str().unwrap())).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn stock(&self, product_id: i64) -> Value {
        self.inventory.get_json(&format!("/internal/v1/stock/{product_id}")).await
    }

    pub async fn payments_of(&self, order_id: &Value) -> Vec<Value> {
        let list = self.payments.get_json(&format!("/api/v1/payments?order_id={}", order_id.as_str().unwrap())).await;
        list.as_array().unwrap().clone()
    }

    /// Waits for the order's saga to settle: CONFIRMED with stock committed,
    /// or CANCELLED with stock back.
    pub async fn settled(&self, order_id: &Value) -> Value {
        let id = order_id.as_str().unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let order: Value =
                self.orders.get_as(&admin(), &format!("/api/v1/orders/{id}")).await.json().await.unwrap();
            let reservation: Value =
                self.inventory.get(&format!("/internal/v1/reservations/{id}")).await.json().await.unwrap_or_default();
            let settled = match order["status"].as_str() {
                Some("CONFIRMED") => reservation["status"] == "committed",
                Some("CANCELLED") => reservation["status"] == "released" || reservation["status"] == "returned",
                _ => false,
            };
            if settled {
                return order;
            }
            assert!(tokio::time::Instant::now() < deadline, "order {id} did not settle: {order} / {reservation}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// available + reserved + sold == stocked, and the given numbers.
pub fn assert_stock(stock: &Value, available: i64, reserved: i64, sold: i64) {
    let n = |k: &str| stock[k].as_i64().unwrap();
    assert_eq!((n("available"), n("reserved"), n("sold")), (available, reserved, sold), "{stock}");
    assert_eq!(n("available") + n("reserved") + n("sold"), n("stocked"));
}
