//! A real RabbitMQ started by testcontainers (`TESTBED_RABBITMQ_IMAGE`,
//! default `rabbitmq:3-management`), reused like the Postgres one, with a
//! fresh virtual host per test.

use std::time::Duration;

use secrecy::SecretString;
use testcontainers_modules::testcontainers::{ImageExt, ReuseDirective};
use tokio::sync::OnceCell;

use super::{image_candidates, start_reused};

/// `amqp://...` of a fresh virtual host on the shared test RabbitMQ, started
/// on first use (`TESTBED_RABBITMQ_IMAGE`, default `rabbitmq:3-management`;
/// the container `testbed-test-rabbitmq` is reused like the Postgres one).
/// A vhost per test keeps exchanges and queues of tests apart.
pub async fn fresh_broker() -> crate::messaging::BrokerSettings {
    let (amqp, management) = RABBITMQ.get_or_init(start_rabbitmq).await;
    let vhost = format!("test-{}", uuid::Uuid::new_v4().simple());
    let http = reqwest::Client::new();
    let put = |path: String, body: serde_json::Value| {
        let http = http.clone();
        async move {
            let response = http
                .put(format!("{management}{path}"))
                .basic_auth("guest", Some("guest"))
                .json(&body)
                .send()
                .await
                .expect("RabbitMQ management API");
            assert!(response.status().is_success(), "{path}: {}", response.status());
        }
    };
    put(format!("/api/vhosts/{vhost}"), serde_json::json!({})).await;
    put(format!("/api/permissions/{vhost}/guest"), serde_json::json!({"configure": ".*", "write": ".*", "read": ".*"}))
        .await;
    crate::messaging::BrokerSettings { url: SecretString::from(format!("{amqp}/{vhost}")) }
}

static RABBITMQ: OnceCell<(String, String)> = OnceCell::const_new();

async fn start_rabbitmq() -> (String, String) {
    use testcontainers_modules::testcontainers::GenericImage;
    use testcontainers_modules::testcontainers::core::{IntoContainerPort, WaitFor};

    let images = image_candidates("TESTBED_RABBITMQ_IMAGE", "rabbitmq:3-management", "testbed/rabbitmq:3");
    let container = start_reused(&images, |name, tag| {
        GenericImage::new(name, tag)
            .with_exposed_port(5672.tcp())
            .with_exposed_port(15672.tcp())
            .with_wait_for(WaitFor::message_on_stdout("Server startup complete"))
            .with_container_name("testbed-test-rabbitmq")
            .with_reuse(ReuseDirective::Always)
    })
    .await;
    let host = container.get_host().await.expect("host").to_string();
    let amqp = container.get_host_port_ipv4(5672).await.expect("amqp port");
    let http = container.get_host_port_ipv4(15672).await.expect("management port");
    let management = format!("http://{host}:{http}");
    wait_for_management(&management).await;
    (format!("amqp://guest:guest@{host}:{amqp}"), management)
}

async fn wait_for_management(base: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let http = reqwest::Client::new();
    loop {
        let ok = http
            .get(format!("{base}/api/overview"))
            .basic_auth("guest", Some("guest"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "RabbitMQ management API did not come up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
