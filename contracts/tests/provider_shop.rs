//! Provider verification for the gateway (the storefront's pact) and the
//! services behind it: the whole
//! shop runs in-process (`e2e::Shop`: every service on its own Postgres
//! database, RabbitMQ, the simulators), and each provider replays the pacts
//! that name it. Provider states are put in place through the services' own
//! APIs: a checkout really runs its saga, a notification really comes from
//! the consumer. Orders' events are verified by checking out and taking the
//! message orders wrote to its outbox: the payload it publishes.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use common::*;
use e2e::{Options, Shop};
use pact_models::provider_states::ProviderState;
use serde_json::{Value, json};
use uuid::Uuid;

struct ShopStates {
    shop: Shop,
    http: reqwest::Client,
}

type Outcome<T> = anyhow::Result<T>;

impl ShopStates {
    fn url(&self, service: &str) -> &str {
        &self.shop.services.iter().find(|(name, _)| *name == service).expect("a service of the shop").1
    }

    /// A request to a service as the gateway would send it for `user_id`.
    fn as_user(&self, method: reqwest::Method, service: &str, path: &str, user_id: Uuid) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url(service)))
            .header("x-user-id", user_id.to_string())
            .header("x-user-role", "customer")
    }

    /// The profile auth would have created at registration.
    async fn user_exists(&self, user_id: Uuid, email: Option<&str>) -> Outcome<()> {
        let email = email.map_or_else(|| format!("{}@example.org", user_id.simple()), str::to_owned);
        let body = json!({ "email": email, "display_name": "Ada" });
        let url = format!("{}/internal/v1/profiles/{user_id}", self.url("users"));
        let status = self.http.put(url).json(&body).send().await?.status();
        anyhow::ensure!(status.is_success(), "profile: {status}");
        Ok(())
    }

    async fn product_exists(&self) -> Outcome<i64> {
        Ok(self.shop.product(&format!("SKU-{}", Uuid::now_v7().simple()).to_uppercase(), 1250, 20).await)
    }

    /// A checkout straight at orders (as the gateway forwards it); its
    /// answer comes when the saga has finished.
    async fn checkout(&self, user_id: Uuid, payment_method: &str) -> Outcome<Value> {
        self.user_exists(user_id, None).await.or_else(|_| Ok::<_, anyhow::Error>(()))?;
        let product_id = self.product_exists().await?;
        let body = json!({ "items": [{ "product_id": product_id, "quantity": 2 }], "payment_method": payment_method });
        let response =
            self.as_user(reqwest::Method::POST, "orders", "/api/v1/orders", user_id).json(&body).send().await?;
        anyhow::ensure!(response.status().is_success(), "checkout: {}", response.status());
        Ok(response.json().await?)
    }

    async fn notified(&self, user_id: Uuid) -> Outcome<()> {
        self.checkout(user_id, "tok_visa").await?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let page: Value = self
                .as_user(reqwest::Method::GET, "notifications", "/api/v1/notifications", user_id)
                .send()
                .await?
                .json()
                .await?;
            if page["items"].as_array().is_some_and(|items| !items.is_empty()) {
                return Ok(());
            }
            anyhow::ensure!(Instant::now() < deadline, "no notification for {user_id} within 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn charged(&self, order_id: Uuid, amount_minor: i64) -> Outcome<()> {
        let body = json!({ "order_id": order_id, "amount_minor": amount_minor, "currency": "EUR", "payment_method": "tok_visa" });
        let response = self
            .http
            .post(format!("{}/api/v1/payments", self.url("payments")))
            .header("idempotency-key", format!("order-{order_id}"))
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "charge: {}", response.status());
        Ok(())
    }

    /// The event orders published for a checkout that ended `status`.
    async fn published_event(&self, event_type: &str) -> Outcome<Value> {
        let payment_method = if event_type == "order.confirmed" { "tok_visa" } else { "tok_decline" };
        let order = self.checkout(Uuid::now_v7(), payment_method).await?;
        let order_id = order["id"].as_str().unwrap_or_default().to_owned();
        let orders = self.shop.orders_database().await;
        let payload: Option<Value> =
            sqlx::query_scalar("SELECT payload FROM outbox WHERE event_type = $1 AND payload->>'aggregate_id' = $2")
                .bind(event_type)
                .bind(&order_id)
                .fetch_optional(&orders)
                .await?;
        payload.ok_or_else(|| anyhow::anyhow!("order {order_id} ({}) wrote no {event_type}", order["status"]))
    }
}

#[async_trait::async_trait]
impl SetUp for ShopStates {
    async fn set_up(&self, state: &ProviderState) -> anyhow::Result<HashMap<String, Value>> {
        let text = |key: &str| state.params.get(key).and_then(Value::as_str).ok_or_else(|| anyhow::anyhow!("{key}"));
        let user = || text("user_id").and_then(|id| Ok(Uuid::parse_str(id)?));
        match state.name.as_str() {
            // Interactions without a state get this one.
            "" => {}
            "a user exists" => self.user_exists(user()?, Some(text("email")?)).await?,
            "a user is registered" => {
                let body = json!({ "email": text("email")?, "password": text("password")?, "display_name": "Ada" });
                let status = self.shop.gateway.post("/api/v1/auth/register", &body).await.status();
                anyhow::ensure!(status == 201, "register: {status}");
            }
            "a product exists" => {
                return Ok(HashMap::from([("product_id".to_owned(), json!(self.product_exists().await?))]));
            }
            // Two, so that one has another to recommend.
            "products of one category exist" => {
                self.product_exists().await?;
                return Ok(HashMap::from([("product_id".to_owned(), json!(self.product_exists().await?))]));
            }
            "a user has a confirmed order" => {
                let order = self.checkout(user()?, "tok_visa").await?;
                anyhow::ensure!(order["status"] == "CONFIRMED", "checkout ended {}", order["status"]);
            }
            "a user has been notified" => self.notified(user()?).await?,
            "an order has been charged" => {
                let order_id = Uuid::parse_str(text("order_id")?)?;
                let amount = state.params.get("amount_minor").and_then(Value::as_i64).unwrap_or(2500);
                self.charged(order_id, amount).await?;
            }
            other => anyhow::bail!("unknown provider state {other:?}"),
        }
        Ok(HashMap::new())
    }
}

/// The verifier asks for a message by its description (`{"description": ..}`).
async fn produce(
    State(states): State<Arc<ShopStates>>,
    Json(request): Json<Value>,
) -> Result<Json<Value>, (axum::http::StatusCode, String)> {
    let event_type = match request["description"].as_str().unwrap_or_default() {
        "an order was confirmed" => "order.confirmed",
        "an order was cancelled" => "order.cancelled",
        other => return Err((axum::http::StatusCode::NOT_FOUND, format!("no message {other:?}"))),
    };
    let failed = |e: anyhow::Error| (axum::http::StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"));
    states.published_event(event_type).await.map(Json).map_err(failed)
}

async fn serve_messages(states: Arc<ShopStates>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(axum::routing::post(produce)).with_state(states);
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn the_services_behind_the_gateway_honour_their_consumers_contracts() {
    install_crypto_provider();
    let states = Arc::new(ShopStates { shop: Shop::start(Options::default()).await, http: reqwest::Client::new() });
    let messages = serve_messages(states.clone()).await;
    let mut failures = Vec::new();
    for provider in ["gateway", "auth", "users", "catalog", "orders", "payments", "notifications"] {
        let started = Instant::now();
        let url = states.url(provider).to_owned();
        let outcome = verify_all(provider, &url, Some(&messages), states.clone()).await;
        println!("{provider}: verified in {:.2} s, passed: {}", started.elapsed().as_secs_f64(), outcome.result);
        if !outcome.result {
            failures.push(format!("{provider}:\n{}", outcome.output.join("\n")));
        }
    }
    assert!(failures.is_empty(), "verification failed:\n{}", failures.join("\n\n"));
}
