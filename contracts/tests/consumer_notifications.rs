//! Consumer: notifications → the e-mail API (a third party, simulated in
//! `simulators/`), driving notifications' own `email::send`.

mod common;

use common::*;
use pact_consumer::prelude::*;
use uuid::Uuid;

#[tokio::test]
async fn notifications_sends_one_message_per_event_keyed_by_the_event_id() {
    let email_api = PactBuilder::new_v4("notifications", "email-api")
        .with_output_dir(pacts_dir())
        .interaction("a message to a customer", "", |mut i| {
            i.request
                .post()
                .path("/v1/messages")
                // The event id: a redelivered event is recognised, not sent twice.
                .header(
                    "idempotency-key",
                    term!(
                        "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                        "0190c0de-0000-7000-8000-000000000001"
                    ),
                )
                .header("content-type", "application/json")
                .json_body(json_pattern!({
                    "to": like!("ada@example.org"),
                    "subject": like!("Your order is confirmed"),
                    "text": like!("Order 0190c0de: 2 items, 25.00 EUR."),
                }));
            i.response.status(202).header("content-type", "application/json").json_body(json_pattern!({
                "id": like!("msg_5f0c"),
                "status": like!("queued"),
            }));
            i
        })
        // The mock server runs on its own thread; it checks every expected
        // request came and writes the pact file when dropped.
        .start_mock_server(None, None);

    let client = client("email-api", email_api.url().as_str()).await;
    let id = notifications::email::send(&client, Uuid::now_v7(), "ada@example.org", "Order confirmed", "Thanks")
        .await
        .expect("the message is accepted");
    assert_eq!(id, "msg_5f0c", "the consumer reads the id the API gives");
}
