use std::time::Duration;

use platform::messaging::consumer::queue_depth;
use platform::test_util::{answer_first_posts, answer_posts, customer, error_of, eventually, json_answer};
use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

use crate::helpers::{spawn_app, spawn_with_email_api};

#[tokio::test]
async fn a_confirmed_order_sends_one_email_and_lists_it() {
    let app = spawn_app().await;
    let ada = app.registered_customer("ada@example.org").await;
    let event = app.order_event("order.confirmed", &ada, None);
    app.publish(&event).await;

    let notifications = app.wait_for(&ada, 1).await;
    assert_eq!(
        (notifications[0]["kind"].as_str(), notifications[0]["status"].as_str()),
        (Some("order_confirmed"), Some("sent"))
    );
    let emails = app.emails_sent().await;
    assert_eq!(emails.len(), 1);
    let body: Value = serde_json::from_slice(&emails[0].body).unwrap();
    assert_eq!(body["to"], "ada@example.org");
    assert!(body["text"].as_str().unwrap().contains("25.99 EUR"));
    assert_eq!(emails[0].headers.get("idempotency-key").unwrap().to_str().unwrap(), event.message_id.to_string());
}

/// Amounts are written in the currency's own minor unit: the yen has none,
/// so 2599 minor units are 2599 JPY, not "25.99 JPY".
#[tokio::test]
async fn amounts_are_written_in_the_currencys_minor_unit() {
    let app = spawn_app().await;
    let ada = app.registered_customer("ada@example.org").await;
    let mut event = app.order_event("order.confirmed", &ada, None);
    event.data["currency"] = json!("JPY");
    app.publish(&event).await;
    app.wait_for(&ada, 1).await;
    let body: Value = serde_json::from_slice(&app.emails_sent().await[0].body).unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(text.contains("2599 JPY") && !text.contains("25.99"), "{text}");
}

#[tokio::test]
async fn a_cancellation_says_why() {
    let app = spawn_app().await;
    let ada = app.registered_customer("ada@example.org").await;
    app.publish(&app.order_event("order.cancelled", &ada, Some("payment_declined"))).await;
    let notifications = app.wait_for(&ada, 1).await;
    assert_eq!(notifications[0]["kind"], "order_cancelled");
    let body: Value = serde_json::from_slice(&app.emails_sent().await[0].body).unwrap();
    assert!(body["text"].as_str().unwrap().contains("payment declined"), "{body}");
}

#[tokio::test]
async fn a_duplicate_delivery_sends_one_email() {
    let app = spawn_app().await;
    let ada = app.registered_customer("ada@example.org").await;
    let event = app.order_event("order.confirmed", &ada, None);
    app.publish(&event).await;
    app.publish(&event).await;
    let marker = app.order_event("order.cancelled", &ada, Some("out_of_stock"));
    app.publish(&marker).await;
    let notifications = app.wait_for(&ada, 2).await;
    assert_eq!(notifications.len(), 2, "{notifications:?}");
    assert_eq!(app.emails_sent().await.len(), 2, "the duplicate sent nothing");
}

#[tokio::test]
async fn poison_messages_are_dead_lettered_and_later_ones_still_processed() {
    let app = spawn_app().await;
    let ada = app.registered_customer("ada@example.org").await;
    let mut poison = app.order_event("order.confirmed", &ada, None);
    poison.data = json!({"nonsense": true});
    app.publish(&poison).await;
    app.publish(&app.order_event("order.confirmed", &ada, None)).await;

    let notifications = app.wait_for(&ada, 1).await;
    assert_eq!(notifications.len(), 1);
    let channel = app.broker.channel().await.unwrap();
    let dead_letters = notifications::consumer::queue().dead_letter_queue();
    eventually("the poison message is dead-lettered", Duration::from_secs(20), || async {
        queue_depth(&channel, &dead_letters).await.unwrap() == 1
    })
    .await;
}

#[tokio::test]
async fn a_user_without_a_profile_is_skipped_not_retried_forever() {
    let app = spawn_app().await;
    let operator = customer(); // no profile, like the bootstrap admin
    app.publish(&app.order_event("order.confirmed", &operator, None)).await;
    let notifications = app.wait_for(&operator, 1).await;
    assert_eq!(notifications[0]["status"], "skipped");
    assert!(app.emails_sent().await.is_empty());
}

#[tokio::test]
async fn when_the_email_api_fails_the_event_is_retried_and_sent_once() {
    let email_api = MockServer::start().await;
    answer_first_posts(&email_api, "/v1/messages", ResponseTemplate::new(503), 2).await;
    answer_posts(&email_api, "/v1/messages", json_answer(202, json!({"id": "msg_9", "status": "queued"}))).await;
    let app = spawn_with_email_api(email_api).await;
    let ada = app.registered_customer("ada@example.org").await;
    app.publish(&app.order_event("order.confirmed", &ada, None)).await;
    let notifications = app.wait_for(&ada, 1).await;
    assert_eq!(notifications.len(), 1);
    assert_eq!(app.emails_sent().await.len(), 3, "two failures, then one success");
}

#[tokio::test]
async fn notifications_need_a_caller() {
    let app = spawn_app().await;
    assert_eq!(error_of(app.client.get("/api/v1/notifications").await).await, (401, "unauthorized".into()));
}
