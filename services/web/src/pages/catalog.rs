//! The catalog: a page of products with its filters, and a product page.

use maud::{Markup, html};

use super::{csrf_field, money};

use crate::domain::Browse;
use crate::shop::{Category, Listing, Product};

pub fn listing(browse: &Browse, listing: &Listing<Product>, categories: &[Category]) -> Markup {
    let current = browse.category.as_ref().map(|c| c.as_str());
    html! {
        h1 {
            @if let Some(search) = &browse.search { "Results for “" (search.as_str()) "”" } @else { "Products" }
        }
        nav class="categories" aria-label="Categories" {
            ul {
                li { a href="/" aria-current=[current.is_none().then_some("page")] { "All" } }
                @for category in categories {
                    li {
                        a href={ "/?category=" (category.slug) }
                          aria-current=[(current == Some(category.slug.as_str())).then_some("page")] {
                            (category.name)
                        }
                    }
                }
            }
        }
        p class="count" { (listing.total) " products" }
        @if listing.items.is_empty() {
            p class="empty" { "Nothing matches." }
        } @else {
            ul class="products" {
                @for product in &listing.items {
                    li class="product" { (card(product)) }
                }
            }
        }
        (pagination(browse, listing))
    }
}

fn card(product: &Product) -> Markup {
    html! {
        a href={ "/products/" (product.id) } { (product.name) }
        span class="price" { (price(product)) }
    }
}

fn pagination(browse: &Browse, listing: &Listing<Product>) -> Markup {
    let pages = listing.pages();
    html! {
        @if pages > 1 {
            nav class="pagination" aria-label="Pages" {
                @if browse.page > 1 {
                    a rel="prev" href=(browse.link_to_page(browse.page - 1)) { "Previous page" }
                }
                span { "Page " (browse.page) " of " (pages) }
                @if browse.page < pages {
                    a rel="next" href=(browse.link_to_page(browse.page + 1)) { "Next page" }
                }
            }
        }
    }
}

pub fn product(product: &Product, recommendations: &[Product], csrf: &str) -> Markup {
    html! {
        article class="product-page" {
            h1 { (product.name) }
            p class="price" { (price(product)) }
            p class="category" { "Category: " a href={ "/?category=" (product.category) } { (product.category) } }
            p class="sku" { "SKU " (product.sku) }
            @if !product.description.is_empty() { p class="description" { (product.description) } }
            form class="add" method="post" action="/cart/add" {
                (csrf_field(csrf))
                input type="hidden" name="product_id" value=(product.id);
                label for="quantity" { "Quantity" }
                select id="quantity" name="quantity" {
                    @for n in 1..=5 { option value=(n) { (n) } }
                }
                button type="submit" { "Add to cart" }
            }
        }
        @if !recommendations.is_empty() {
            section class="recommendations" aria-labelledby="also" {
                h2 id="also" { "You may also like" }
                ul class="products" {
                    @for other in recommendations { li class="product" { (card(other)) } }
                }
            }
        }
    }
}

pub fn price(product: &Product) -> String {
    money(product.price_cents, &product.currency)
}
