//! Consumer: notifications → users, → the e-mail API, and ← orders' events.
//! The real handler (`OrderNotifier`) reads each pact message the way the
//! broker consumer does (`envelope::decode`), looks the customer up through
//! the users mock and writes through the e-mail mock.

mod common;

use common::*;
use notifications::consumer::OrderNotifier;
use pact_consumer::prelude::*;
use platform::messaging::consumer::MessageHandler;
use platform::messaging::envelope;
use platform::pagination::Pagination;
use platform::test_util::fresh_database;
use serde_json::json;
use uuid::Uuid;

const CUSTOMER: &str = "0190c0de-0000-7000-8000-00000000b002";
const NO_PROFILE: &str = "0190c0de-0000-7000-8000-00000000b003";
const ORDER: &str = "0190c0de-0000-7000-8000-00000000c001";

fn users_pact() -> PactBuilder {
    let mut pact = PactBuilder::new_v4("notifications", "users");
    pact.with_output_dir(pacts_dir())
        .interaction("a customer's e-mail address", "", |mut i| {
            i.given_with_params("a user exists", &json!({ "user_id": CUSTOMER, "email": "grace@example.org" }));
            i.request.get().path(format!("/internal/v1/profiles/{CUSTOMER}"));
            i.response
                .status(200)
                .header("content-type", "application/json")
                .json_body(json_pattern!({ "email": like!("grace@example.org") }));
            i
        })
        .interaction("a customer without a profile", "", |mut i| {
            i.request.get().path(format!("/internal/v1/profiles/{NO_PROFILE}"));
            i.response.status(404);
            i
        });
    pact
}

fn email_api_pact() -> PactBuilder {
    let mut pact = PactBuilder::new_v4("notifications", "email-api");
    pact.with_output_dir(pacts_dir()).interaction("a message to a customer", "", |mut i| {
        i.request
            .post()
            .path("/v1/messages")
            // The event id: a redelivered event is recognised, not sent twice.
            .header("idempotency-key", term!(UUID, "0190c0de-0000-7000-8000-000000000001"))
            .header("content-type", "application/json")
            .json_body(json_pattern!({
                "to": like!("grace@example.org"),
                "subject": like!("Your order is confirmed"),
                "text": like!("Thank you! We received 25.00 EUR."),
            }));
        i.response.status(202).header("content-type", "application/json").json_body(json_pattern!({
            "id": like!("msg_5f0c"),
            "status": like!("queued"),
        }));
        i
    });
    pact
}

fn orders_messages() -> PactBuilder {
    let confirmed = json_pattern!({
        "order_id": term!(UUID, ORDER),
        "customer_id": term!(UUID, CUSTOMER),
        "total_minor": like!(2500),
        "currency": like!("EUR"),
    });
    let cancelled = json_pattern!({
        "order_id": term!(UUID, ORDER),
        "customer_id": term!(UUID, CUSTOMER),
        "total_minor": like!(2500),
        "currency": like!("EUR"),
        "reason": like!("payment_declined"),
    });
    let mut pact = PactBuilder::new_v4("notifications", "orders");
    pact.with_output_dir(pacts_dir())
        .message_interaction("an order was confirmed", |mut i| {
            i.json_body(order_event("order.confirmed", ORDER, confirmed));
            i
        })
        .message_interaction("an order was cancelled", |mut i| {
            i.json_body(order_event("order.cancelled", ORDER, cancelled));
            i
        });
    pact
}

#[tokio::test]
async fn notifications_tells_the_customer_about_each_order_outcome() {
    install_crypto_provider();
    let users = users_pact().start_mock_server(None, None);
    let email_api = email_api_pact().start_mock_server(None, None);
    let notifier = OrderNotifier {
        users: client("users", users.url().as_str()).await,
        email: client("email-api", email_api.url().as_str()).await,
        metrics: Default::default(),
    };
    let no_profile = Uuid::parse_str(NO_PROFILE).unwrap();
    let address = notifications::email::address_of(&notifier.users, no_profile).await.expect("users answers");
    assert_eq!(address, None, "no profile: nothing to send to");

    let database = fresh_database("notifications").await;
    let pool = platform::db::connect_and_migrate(&database, &sqlx::migrate!("../services/notifications/migrations"))
        .await
        .expect("the notifications database");
    let pact = orders_messages();
    for message in pact.messages() {
        let body = message.contents.contents.value().expect("a body");
        let envelope = envelope::decode(&body).expect("the consumer reads the message");
        let mut conn = pool.acquire().await.unwrap();
        notifier.handle(&mut conn, &envelope).await.expect("handled");
    }
    let customer = Uuid::parse_str(CUSTOMER).unwrap();
    let page = Pagination { page: 1, per_page: 10 };
    let (sent, _) = notifications::store::for_user(&pool, customer, page).await.unwrap();
    let mut kinds: Vec<_> = sent.iter().map(|n| (n.kind.as_str(), n.status.as_str())).collect();
    kinds.sort();
    assert_eq!(kinds, [("order_cancelled", "sent"), ("order_confirmed", "sent")]);
}
