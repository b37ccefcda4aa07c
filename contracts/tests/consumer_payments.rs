//! Consumer: payments → the payment provider (a third party, simulated in
//! `simulators/`), driving payments' own `provider::charge` and
//! `provider::refund`.

mod common;

use common::*;
use pact_consumer::prelude::*;
use pact_models::generators::{Generator, GeneratorCategory};
use pact_models::path_exp::DocPath;
use pact_models::prelude::DataType;
use payments::domain::Charge;
use payments::provider::{self, ChargeOutcome};
use platform::money::{Currency, Money, PaymentToken};
use uuid::Uuid;

const KEY: &str = "^[A-Za-z0-9:_-]{8,200}$";

fn charge(payment_method: &str) -> Charge {
    Charge {
        order_id: Uuid::now_v7(),
        amount: Money { amount_minor: 2500, currency: Currency::parse("EUR").unwrap() },
        payment_method: PaymentToken::parse(payment_method).unwrap(),
    }
}

/// A charge request; each interaction its own example key (the verifier
/// replays the examples, and one key with two bodies is refused, 422).
fn charge_request(i: &mut pact_consumer::builders::InteractionBuilder, payment_method: &str, example_key: &str) {
    i.request
        .post()
        .path("/v1/charges")
        // Derived from payments' own key: a retried charge is recognised.
        .header("idempotency-key", term!(KEY, example_key))
        .header("content-type", "application/json")
        .json_body(json_pattern!({
            "amount_minor": like!(2500),
            "currency": term!("^[A-Z]{3}$", "EUR"),
            "payment_method": payment_method,
            "reference": term!("^[0-9a-f-]{36}$", "0190c0de-0000-7000-8000-000000000002"),
        }));
}

#[tokio::test]
async fn payments_charges_a_card_and_reads_the_outcome() {
    let provider_mock = PactBuilder::new_v4("payments", "payment-provider")
        .with_output_dir(pacts_dir())
        .interaction("a charge with a card that works", "", |mut i| {
            charge_request(&mut i, "tok_visa", "pay_0190c0de-0000-7000-8000-000000000001:charge");
            i.response.status(201).header("content-type", "application/json").json_body(json_pattern!({
                "id": like!("ch_5f0c"),
                "status": "succeeded",
            }));
            i
        })
        .interaction("a charge with a card that is declined", "", |mut i| {
            charge_request(&mut i, "tok_decline", "pay_0190c0de-0000-7000-8000-000000000003:charge");
            i.response.status(402).header("content-type", "application/json").json_body(json_pattern!({
                "id": like!("ch_5f0d"),
                "status": "declined",
                "decline_code": like!("card_declined"),
            }));
            i
        })
        .interaction("a refund of a charge", "", |mut i| {
            i.given_with_params("a charge has succeeded", &serde_json::json!({ "amount_minor": 2500 }));
            i.request
                .post()
                .path("/v1/refunds")
                .header("idempotency-key", term!(KEY, "pay_0190c0de-0000-7000-8000-000000000004:refund"))
                .header("content-type", "application/json")
                .json_body(json_pattern!({ "charge_id": like!("ch_5f0e"), "amount_minor": like!(2500) }));
            // The charge the provider state made: its id is only known then.
            i.request.generators().add_generator_with_subcategory(
                &GeneratorCategory::BODY,
                DocPath::new_unwrap("$.charge_id"),
                Generator::ProviderStateGenerator("${charge_id}".into(), Some(DataType::STRING)),
            );
            i.response
                .status(201)
                .header("content-type", "application/json")
                .json_body(json_pattern!({ "id": like!("re_5f0e") }));
            i
        })
        .start_mock_server(None, None);

    let client = client("payment-provider", provider_mock.url().as_str()).await;
    let key = |c: &Charge| format!("pay_{}:charge", c.order_id);
    let good = charge("tok_visa");
    match provider::charge(&client, &good, &key(&good)).await.expect("an answer") {
        ChargeOutcome::Succeeded { charge_id } => assert_eq!(charge_id, "ch_5f0c"),
        other => panic!("expected a success: {other:?}"),
    }
    let declined = charge("tok_decline");
    match provider::charge(&client, &declined, &key(&declined)).await.expect("an answer") {
        ChargeOutcome::Declined { charge_id, code } => {
            assert_eq!((charge_id.as_str(), code.as_str()), ("ch_5f0d", "card_declined"))
        }
        other => panic!("expected a decline: {other:?}"),
    }
    let refund = provider::refund(&client, "ch_5f0e", 2500, "pay_0190c0de-0000-7000-8000-000000000004:refund")
        .await
        .expect("an answer");
    assert_eq!(refund.id, "re_5f0e");
}
