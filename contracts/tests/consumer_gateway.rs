//! Consumer: the gateway → auth, users, catalog, inventory, orders and
//! notifications. The real gateway runs in-process with every upstream
//! pointed at a pact mock server, and the test talks to the gateway as a
//! client would: the pacts record what the gateway sends on (paths, identity
//! headers) and what it needs back (the JWKS it verifies tokens with, the
//! shapes its dashboard reads).

mod common;

use std::time::Duration;

use auth::keys::SigningKeys;
use common::*;
use gateway::configuration::{Settings, Upstreams};
use pact_consumer::prelude::*;
use platform::Role;
use platform::test_util::serve;
use serde_json::{Value, json};
use uuid::Uuid;

/// Signs the test's tokens; its public half is the JWKS example in the
/// pact. Test-only: it has never signed anything outside this file.
const TEST_ONLY_SIGNING_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEILNs+jsdRiw7YpR1aHKc7ZXNgH2KsobBrT3Tcs1QKiTI\n-----END PRIVATE KEY-----\n";
const CUSTOMER: &str = "0190c0de-0000-7000-8000-00000000b001";

fn signing_keys() -> SigningKeys {
    SigningKeys::from_pem(&TEST_ONLY_SIGNING_KEY.to_owned().into()).expect("a valid test key")
}

/// What identifies the caller to the service behind the gateway.
fn as_customer(request: &mut pact_consumer::builders::RequestBuilder) {
    request.header("x-user-id", term!(UUID, CUSTOMER)).header("x-user-role", "customer");
}

fn auth_pact(keys: &SigningKeys) -> PactBuilder {
    let jwk = serde_json::to_value(&keys.jwks().keys[0]).expect("a JWK");
    let mut pact = PactBuilder::new_v4("gateway", "auth");
    pact.with_output_dir(pacts_dir())
        .interaction("the keys that verify access tokens", "", |mut i| {
            i.request.get().path("/api/v1/auth/jwks");
            i.response.status(200).header("content-type", "application/json").json_body(json_pattern!({
                "keys": each_like!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": "EdDSA",
                    "use": "sig",
                    "kid": like!(jwk["kid"].clone()),
                    "x": like!(jwk["x"].clone()),
                })
            }));
            i
        })
        .interaction("a login", "", |mut i| {
            i.given_with_params(
                "a user is registered",
                &json!({ "email": "lovelace@example.org", "password": "correct horse battery staple" }),
            );
            i.request
                .post()
                .path("/api/v1/auth/login")
                .header("content-type", "application/json")
                .json_body(json!({ "email": "lovelace@example.org", "password": "correct horse battery staple" }));
            i.response.status(200).header("content-type", "application/json").json_body(json_pattern!({
                "access_token": like!("eyJhbGciOiJFZERTQSJ9.e30.c2ln"),
                "token_type": "Bearer",
                "expires_in": like!(900),
                "refresh_token": like!("r3fr3sh"),
            }));
            i
        });
    pact
}

fn users_pact() -> PactBuilder {
    let mut pact = PactBuilder::new_v4("gateway", "users");
    pact.with_output_dir(pacts_dir()).interaction("the caller's profile", "", |mut i| {
        i.given_with_params("a user exists", &json!({ "user_id": CUSTOMER, "email": "ada@example.org" }));
        i.request.get().path("/api/v1/users/me");
        as_customer(&mut i.request);
        i.response.status(200).header("content-type", "application/json").json_body(json_pattern!({
            "user_id": term!(UUID, CUSTOMER),
            "email": like!("ada@example.org"),
            "display_name": like!("Ada"),
        }));
        i
    });
    pact
}

fn product() -> JsonPattern {
    json_pattern!({
        "id": like!(42),
        "sku": like!("MUG-1"),
        "name": like!("Enamel mug"),
        "price_cents": like!(1250),
        "currency": like!("EUR"),
    })
}

/// A product in API v2: money as a decimal string with its currency.
fn product_v2() -> JsonPattern {
    json_pattern!({
        "id": like!(42),
        "sku": like!("MUG-1"),
        "name": like!("Enamel mug"),
        "price": {
            "amount": term!("^[0-9]+(\\.[0-9]{1,3})?$", "12.50"),
            "currency": term!("^[A-Z]{3}$", "EUR"),
        },
    })
}

fn catalog_pact() -> PactBuilder {
    let mut pact = PactBuilder::new_v4("gateway", "catalog");
    pact.with_output_dir(pacts_dir())
        .interaction("a product", "", |mut i| {
            i.given("a product exists");
            i.request.get().path_from_provider_state("/api/v1/products/${product_id}", "/api/v1/products/42");
            i.response.status(200).header("content-type", "application/json").json_body(product());
            i
        })
        .interaction("recommendations for the dashboard", "", |mut i| {
            i.given("a product exists");
            i.request.get().path("/api/v1/recommendations").query_param("limit", "5");
            i.response
                .status(200)
                .header("content-type", "application/json")
                .json_body(json_pattern!({ "items": each_like!(product()) }));
            i
        })
        .interaction("a product in v2", "", |mut i| {
            i.given("a product exists");
            i.request.get().path_from_provider_state("/api/v2/products/${product_id}", "/api/v2/products/42");
            i.response.status(200).header("content-type", "application/json").json_body(product_v2());
            i
        })
        .interaction("recommendations for the v2 dashboard", "", |mut i| {
            i.given("a product exists");
            i.request.get().path("/api/v2/recommendations").query_param("limit", "5");
            i.response
                .status(200)
                .header("content-type", "application/json")
                .json_body(json_pattern!({ "items": each_like!(product_v2()) }));
            i
        });
    pact
}

fn inventory_pact() -> PactBuilder {
    let mut pact = PactBuilder::new_v4("gateway", "inventory");
    pact.with_output_dir(pacts_dir()).interaction("a product's availability", "", |mut i| {
        i.given_with_params("a product has stock", &json!({ "product_id": 201, "available": 5 }));
        i.request.get().path("/api/v1/inventory/201");
        i.response
            .status(200)
            .header("content-type", "application/json")
            .json_body(json_pattern!({ "product_id": 201, "available": like!(5) }));
        i
    });
    pact
}

fn orders_pact() -> PactBuilder {
    let mut pact = PactBuilder::new_v4("gateway", "orders");
    pact.with_output_dir(pacts_dir()).interaction("the caller's recent orders in v2", "", |mut i| {
        i.given_with_params("a user has a confirmed order", &json!({ "user_id": CUSTOMER }));
        i.request.get().path("/api/v2/orders").query_param("limit", "5");
        as_customer(&mut i.request);
        i.response.status(200).header("content-type", "application/json").json_body(json_pattern!({
            "items": each_like!({
                "id": term!(UUID, "0190c0de-0000-7000-8000-00000000c001"),
                "customer_id": term!(UUID, CUSTOMER),
                "status": "CONFIRMED",
                "total": {
                    "amount": term!("^[0-9]+(\\.[0-9]{1,3})?$", "25.00"),
                    "currency": term!("^[A-Z]{3}$", "EUR"),
                },
                "item_count": like!(2),
                "placed_at": term!(TIMESTAMP, "2026-11-25T10:00:00.123456Z"),
            }),
        }));
        i
    });
    pact.interaction("the caller's recent orders", "", |mut i| {
        i.given_with_params("a user has a confirmed order", &json!({ "user_id": CUSTOMER }));
        i.request.get().path("/api/v1/orders").query_param("per_page", "5");
        as_customer(&mut i.request);
        i.response.status(200).header("content-type", "application/json").json_body(json_pattern!({
            "items": each_like!({
                "id": term!(UUID, "0190c0de-0000-7000-8000-00000000c001"),
                "customer_id": term!(UUID, CUSTOMER),
                "status": "CONFIRMED",
                "currency": like!("EUR"),
                "total_minor": like!(2500),
                "item_count": like!(2),
                "placed_at": term!(TIMESTAMP, "2026-11-25T10:00:00.123456Z"),
            }),
            "page": like!(1),
            "per_page": 5,
            "total": like!(1),
        }));
        i
    });
    pact
}

fn notifications_pact() -> PactBuilder {
    let mut pact = PactBuilder::new_v4("gateway", "notifications");
    pact.with_output_dir(pacts_dir()).interaction("the caller's notifications", "", |mut i| {
        i.given_with_params("a user has been notified", &json!({ "user_id": CUSTOMER }));
        i.request.get().path("/api/v1/notifications");
        as_customer(&mut i.request);
        i.response.status(200).header("content-type", "application/json").json_body(json_pattern!({
            "items": each_like!({
                "id": term!(UUID, "0190c0de-0000-7000-8000-00000000d001"),
                "order_id": term!(UUID, "0190c0de-0000-7000-8000-00000000c001"),
                "kind": term!("^order_(confirmed|cancelled)$", "order_confirmed"),
                "subject": like!("Your order is confirmed"),
                "status": term!("^(sent|skipped)$", "sent"),
            }),
            "total": like!(1),
        }));
        i
    });
    pact
}

#[tokio::test]
async fn the_gateway_forwards_with_the_callers_identity_and_reads_what_its_dashboard_needs() {
    install_crypto_provider();
    let keys = signing_keys();
    let auth = auth_pact(&keys).start_mock_server(None, None);
    let users = users_pact().start_mock_server(None, None);
    let catalog = catalog_pact().start_mock_server(None, None);
    let inventory = inventory_pact().start_mock_server(None, None);
    let orders = orders_pact().start_mock_server(None, None);
    let notifications = notifications_pact().start_mock_server(None, None);

    let upstream = |name: &'static str, url: String| {
        let mut settings = platform::client::ClientSettings::fixed(name, url.trim_end_matches('/').to_owned());
        settings.resilience.retries = 0;
        settings
    };
    let mut settings = Settings::for_tests(Upstreams {
        auth: upstream("auth", auth.url().to_string()),
        users: upstream("users", users.url().to_string()),
        catalog: upstream("catalog", catalog.url().to_string()),
        inventory: upstream("inventory", inventory.url().to_string()),
        orders: upstream("orders", orders.url().to_string()),
        notifications: upstream("notifications", notifications.url().to_string()),
    });
    // Nothing cached: every read in this test must reach its mock.
    settings.cache.enabled = false;
    settings.jwks_min_refresh = Duration::from_secs(10);
    let gateway = serve(gateway::startup::build(settings).await).client();

    let login = json!({ "email": "lovelace@example.org", "password": "correct horse battery staple" });
    let response = gateway.post("/api/v1/auth/login", &login).await;
    assert_eq!(response.status(), 200, "auth's answer is passed through");
    assert!(response.json::<Value>().await.unwrap()["access_token"].is_string());

    let customer = Uuid::parse_str(CUSTOMER).unwrap();
    let (token, _) = keys.issue(customer, Role::Customer, Duration::from_secs(300)).expect("a token");
    let get = |path: &'static str| {
        let request = gateway.http.get(gateway.url(path)).bearer_auth(&token);
        async move {
            let response = request.send().await.expect("the gateway answers");
            assert_eq!(response.status(), 200, "GET {path}");
            response.json::<Value>().await.expect("JSON")
        }
    };
    let dashboard = get("/api/v1/dashboard").await;
    assert_eq!(dashboard["degraded"], false, "every section came back: {dashboard}");
    assert_eq!(dashboard["sections"]["profile"]["data"]["user_id"], CUSTOMER);
    assert_eq!(get("/api/v1/products/42").await["id"], 42);
    assert_eq!(get("/api/v1/inventory/201").await["available"], 5);
    assert_eq!(get("/api/v1/notifications").await["items"][0]["kind"], "order_confirmed");

    // v2: the same dashboard from v2's orders and products.
    let dashboard = get("/api/v2/dashboard").await;
    assert_eq!(dashboard["degraded"], false, "every section came back: {dashboard}");
    assert_eq!(dashboard["sections"]["recent_orders"]["data"][0]["total"]["currency"], "EUR");
    assert_eq!(dashboard["sections"]["recommendations"]["data"]["items"][0]["price"]["amount"], "12.50");
    assert_eq!(get("/api/v2/products/42").await["price"]["currency"], "EUR");
}
