//! The cart and its checkout form.

use maud::{Markup, html};

use super::{csrf_field, money, notice};
use crate::domain::TestCard;
use crate::shop::Product;

pub struct CartPage<'a> {
    pub lines: &'a [(Product, u32)],
    pub csrf: &'a str,
    pub signed_in: bool,
    /// Makes a repeated submission of this checkout the same order.
    pub checkout_key: &'a str,
    pub problem: Option<&'a str>,
}

pub fn cart(page: &CartPage<'_>) -> Markup {
    html! {
        h1 { "Your cart" }
        (notice(page.problem))
        @if page.lines.is_empty() {
            p class="empty" { "Your cart is empty. " a href="/" { "Browse the products" } }
        } @else {
            table class="lines" {
                caption class="visually-hidden" { "Products in the cart" }
                thead { tr { th scope="col" { "Product" } th scope="col" { "Quantity" } th scope="col" { "Price" } th scope="col" { span class="visually-hidden" { "Remove" } } } }
                tbody {
                    @for (product, units) in page.lines {
                        tr {
                            td { a href={ "/products/" (product.id) } { (product.name) } }
                            td { (units) }
                            td { (money(product.price_cents * i64::from(*units), &product.currency)) }
                            td {
                                form method="post" action="/cart/remove" {
                                    (csrf_field(page.csrf))
                                    input type="hidden" name="product_id" value=(product.id);
                                    button type="submit" class="link" aria-label={ "Remove " (product.name) } { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
            @if page.signed_in {
                form class="stacked checkout" method="post" action="/checkout" {
                    (csrf_field(page.csrf))
                    input type="hidden" name="key" value=(page.checkout_key);
                    fieldset {
                        legend { "Pay with a test card" }
                        @for (i, card) in TestCard::ALL.iter().enumerate() {
                            div {
                                input type="radio" name="card" id={ "card-" (card.token()) } value=(card.token()) checked[i == 0];
                                label for={ "card-" (card.token()) } { (card.label()) }
                            }
                        }
                    }
                    button type="submit" { "Place the order" }
                }
            } @else {
                p { a href="/login" { "Log in" } " or " a href="/signup" { "sign up" } " to check out." }
            }
        }
    }
}
