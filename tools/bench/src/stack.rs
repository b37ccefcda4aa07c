//! The whole shop as processes on 127.0.0.1, each service on its own fresh
//! database in the test Postgres, RabbitMQ from the test broker, the two
//! simulators with no added latency. Start-up time is measured per service:
//! from spawn to `/ready` answering 200, with its database already there.

use std::time::Duration;

use secrecy::ExposeSecret;

use crate::procs::Process;

pub const ADMIN_EMAIL: &str = "admin@bench.local";
pub const ADMIN_PASSWORD: &str = "bench-only-admin-password";

pub struct Started {
    pub process: Process,
    pub ready_after: Duration,
}

pub struct Stack {
    pub services: Vec<Started>,
}

impl Stack {
    pub fn url(&self, name: &str) -> &str {
        &self.services.iter().find(|s| s.process.name == name).expect("a service of the stack").process.url
    }

    pub fn gateway(&self) -> &str {
        self.url("gateway")
    }

    /// The eight services (not the simulators).
    pub fn shop_services(&self) -> impl Iterator<Item = &Started> {
        self.services.iter().filter(|s| !matches!(s.process.name.as_str(), "payment-provider" | "email-api"))
    }

    async fn start_one(&mut self, name: &str, binary: &str, env: &[(&str, String)]) -> anyhow::Result<()> {
        let mut process = Process::service(name, binary, env)?;
        let ready_after = process.wait_ready("/ready", Duration::from_secs(30)).await?;
        self.services.push(Started { process, ready_after });
        Ok(())
    }

    pub async fn start() -> anyhow::Result<Self> {
        let mut stack = Stack { services: Vec::new() };
        let database = |name: &'static str| async move {
            platform::test_util::fresh_database(name).await.url.expose_secret().to_owned()
        };
        let amqp = platform::test_util::fresh_broker().await.url.expose_secret().to_owned();

        stack
            .start_one(
                "payment-provider",
                "payment-provider",
                &[
                    ("PROVIDER_LATENCY_MS", "0".into()),
                    ("PROVIDER_JITTER_MS", "0".into()),
                    ("PROVIDER_DECLINE_RATE", "0".into()),
                ],
            )
            .await?;
        stack.start_one("email-api", "email-api", &[("EMAIL_LATENCY_MS", "0".into())]).await?;
        stack.start_one("users", "users", &[("DATABASE_URL", database("users").await)]).await?;
        let users = stack.url("users").to_owned();
        stack
            .start_one(
                "auth",
                "auth",
                &[
                    ("DATABASE_URL", database("auth").await),
                    ("USERS_URL", users.clone()),
                    ("AUTH_ADMIN_EMAIL", ADMIN_EMAIL.into()),
                    ("AUTH_ADMIN_PASSWORD", ADMIN_PASSWORD.into()),
                ],
            )
            .await?;
        stack.start_one("catalog", "catalog", &[("DATABASE_URL", database("catalog").await)]).await?;
        stack
            .start_one(
                "inventory",
                "inventory",
                &[("DATABASE_URL", database("inventory").await), ("AMQP_URL", amqp.clone())],
            )
            .await?;
        let provider = stack.url("payment-provider").to_owned();
        stack
            .start_one(
                "payments",
                "payments",
                &[("DATABASE_URL", database("payments").await), ("PROVIDER_URL", provider)],
            )
            .await?;
        let email = stack.url("email-api").to_owned();
        stack
            .start_one(
                "notifications",
                "notifications",
                &[
                    ("DATABASE_URL", database("notifications").await),
                    ("AMQP_URL", amqp.clone()),
                    ("USERS_URL", users.clone()),
                    ("EMAIL_API_URL", email),
                ],
            )
            .await?;
        let (catalog, inventory, payments) =
            (stack.url("catalog").to_owned(), stack.url("inventory").to_owned(), stack.url("payments").to_owned());
        stack
            .start_one(
                "orders",
                "orders",
                &[
                    ("DATABASE_URL", database("orders").await),
                    ("AMQP_URL", amqp),
                    ("CATALOG_URL", catalog.clone()),
                    ("INVENTORY_URL", inventory.clone()),
                    ("PAYMENTS_URL", payments),
                ],
            )
            .await?;
        let (auth, orders, notifications) =
            (stack.url("auth").to_owned(), stack.url("orders").to_owned(), stack.url("notifications").to_owned());
        stack
            .start_one(
                "gateway",
                "gateway",
                &[
                    ("AUTH_URL", auth),
                    ("USERS_URL", users),
                    ("CATALOG_URL", catalog),
                    ("INVENTORY_URL", inventory),
                    ("ORDERS_URL", orders),
                    ("NOTIFICATIONS_URL", notifications),
                    // The load comes from one address and a few users: the
                    // per-client limit would measure itself, not the shop.
                    ("GATEWAY_RATE_LIMIT_PER_SECOND", "100000".into()),
                    ("GATEWAY_RATE_LIMIT_BURST", "100000".into()),
                ],
            )
            .await?;
        Ok(stack)
    }
}

/// A JSON request to the gateway, with a token if given; the answer's status and body.
pub async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> anyhow::Result<(u16, serde_json::Value)> {
    let mut request = http.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or_default()))
}
