//! An order following its saga, and the visitor's notifications.

use maud::{Markup, html};

use super::money;
use crate::shop::{Notification, Order};

pub fn order(order: &Order) -> Markup {
    html! {
        h1 { "Order " (order.id) }
        p class="status" role="status" {
            @match order.status.as_str() {
                "PENDING" => "Your order is being processed…",
                "CONFIRMED" => "Your order is confirmed.",
                "CANCELLED" => "Your order was cancelled.",
                other => { "Your order is " (other) "." },
            }
        }
        p { "Status: " strong class="order-status" { (order.status) } }
        @if let Some(reason) = &order.cancel_reason {
            p class="reason" { "Reason: " span class="cancel-reason" { (explain(reason)) } " (" code { (reason) } ")" }
        }
        table class="lines" {
            thead { tr { th scope="col" { "Product" } th scope="col" { "Quantity" } th scope="col" { "Price" } } }
            tbody {
                @for line in &order.lines {
                    tr {
                        td { a href={ "/products/" (line.product_id) } { (line.name) } }
                        td { (line.quantity) }
                        td { (money(line.unit_price_minor * i64::from(line.quantity), &order.currency)) }
                    }
                }
            }
        }
        p class="total" { "Total: " (money(order.total_minor, &order.currency)) }
        p { a href="/notifications" { "Your notifications" } }
    }
}

/// The saga's reason codes in words; a code this page does not know is
/// shown as it is (beside every explanation anyway), never guessed at.
fn explain(reason: &str) -> &str {
    match reason {
        "out_of_stock" => "not enough stock for every item",
        "payment_declined" => "the card was declined",
        "payment_unrecognised" => "the payment provider did not recognise the card",
        "payment_unavailable" => "the payment provider could not be reached",
        other => other,
    }
}

pub fn notifications(notifications: &[Notification]) -> Markup {
    html! {
        h1 { "Notifications" }
        @if notifications.is_empty() {
            p class="empty" { "Nothing yet." }
        } @else {
            ul class="notifications" {
                @for n in notifications {
                    li class="notification" {
                        span class="subject" { (n.subject) }
                        " "
                        a href={ "/orders/" (n.order_id) } { "the order" }
                        " "
                        time datetime=(n.created_at) { (n.created_at) }
                    }
                }
            }
        }
    }
}
