use std::sync::Arc;
use std::time::Duration;

use notifications::configuration::Settings;
use notifications::startup;
use platform::Caller;
use platform::messaging::broker::Broker;
use platform::messaging::envelope::Envelope;
use platform::messaging::outbox::publish;
use platform::test_util::{
    TestClient, answer_posts, customer, fresh_broker, fresh_database, init_test_logs, json_answer, serve,
};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::MockServer;

pub struct TestApp {
    pub client: TestClient,
    pub users: TestClient,
    pub email_api: MockServer,
    pub broker: Arc<Broker>,
}

/// Notifications with users beside it and an e-mail API that accepts all.
pub async fn spawn_app() -> TestApp {
    let email_api = MockServer::start().await;
    answer_posts(&email_api, "/v1/messages", json_answer(202, json!({"id": "msg_1", "status": "queued"}))).await;
    spawn_with_email_api(email_api).await
}

pub async fn spawn_with_email_api(email_api: MockServer) -> TestApp {
    init_test_logs();
    let users =
        serve(users::startup::build(users::configuration::Settings::for_tests(fresh_database("users").await)).await)
            .client();

    let broker_settings = fresh_broker().await;
    let settings = Settings::for_tests(
        fresh_database("notifications").await,
        broker_settings.clone(),
        users.address.clone(),
        email_api.uri(),
    );
    let client = serve(startup::build(settings).await).client();
    let broker = Arc::new(Broker::new(broker_settings.clone()));
    TestApp { client, users, email_api, broker }
}

impl TestApp {
    /// A customer with a profile (as registration would create it).
    pub async fn registered_customer(&self, email: &str) -> Caller {
        let caller = customer();
        let body = json!({"email": email, "display_name": "Ada"});
        let response = self.users.put_as(None, &format!("/internal/v1/profiles/{}", caller.user_id), &body).await;
        assert_eq!(response.status(), 201);
        caller
    }

    pub fn order_event(&self, event_type: &str, customer: &Caller, reason: Option<&str>) -> Envelope {
        let mut data = json!({"order_id": Uuid::new_v4(), "customer_id": customer.user_id, "total_minor": 2599, "currency": "EUR"});
        if let Some(reason) = reason {
            data["reason"] = json!(reason);
        }
        Envelope::new(event_type, Uuid::new_v4(), data)
    }

    pub async fn publish(&self, envelope: &Envelope) {
        let channel = self.broker.channel().await.unwrap();
        publish(&channel, envelope, "orders").await.unwrap();
    }

    pub async fn notifications_of(&self, caller: &Caller) -> Vec<Value> {
        let page: Value = self.client.get_as(caller, "/api/v1/notifications").await.json().await.unwrap();
        page["items"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until `caller` has `count` notifications.
    pub async fn wait_for(&self, caller: &Caller, count: usize) -> Vec<Value> {
        platform::test_util::eventually("notifications stored", Duration::from_secs(20), || async {
            self.notifications_of(caller).await.len() >= count
        })
        .await;
        self.notifications_of(caller).await
    }

    pub async fn emails_sent(&self) -> Vec<wiremock::Request> {
        self.email_api
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == "/v1/messages")
            .collect()
    }
}
