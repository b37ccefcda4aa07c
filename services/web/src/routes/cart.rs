//! `/cart`, `/cart/add`, `/cart/remove`, `/checkout`: the cart in its
//! cookie, and the checkout that turns it into an order through the gateway.

use axum::Router;
use axum::extract::State as Extract;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::failure::render;
use super::forms::{Checked, posted};
use super::{Failure, PageError, State, see_other};
use crate::cart::Cart;
use crate::domain::TestCard;
use crate::pages::cart::{self, CartPage};
use crate::shop::ShopError;
use crate::visitor::{CART, Visitor, clear_cookie, set_cookie};

/// The cart cookie lives a week.
const CART_MAX_AGE_SECS: u64 = 7 * 24 * 60 * 60;

pub fn router() -> Router<State> {
    Router::new()
        .route("/cart", get(show))
        .route("/cart/add", post(add))
        .route("/cart/remove", post(remove))
        .route("/checkout", post(checkout))
}

#[derive(Deserialize)]
struct AddToCart {
    csrf: String,
    product_id: i64,
    quantity: u32,
}

#[derive(Deserialize)]
struct RemoveFromCart {
    csrf: String,
    product_id: i64,
}

#[derive(Deserialize)]
struct Checkout {
    csrf: String,
    card: String,
    /// Rendered into the form: submitting it twice places one order.
    key: String,
}

posted!(AddToCart, RemoveFromCart, Checkout);

fn cart_cookie(cart: &Cart) -> String {
    if cart.is_empty() { clear_cookie(CART) } else { set_cookie(CART, &cart.to_string(), CART_MAX_AGE_SECS, "Lax") }
}

async fn show(Extract(state): Extract<State>, visitor: Visitor) -> Result<Html<String>, PageError> {
    cart_page(&state, &visitor, None).await
}

/// The cart with its products as the catalog has them now; a product that
/// is gone is left out (and goes from the cookie at the next change).
async fn cart_page(state: &State, visitor: &Visitor, problem: Option<&str>) -> Result<Html<String>, PageError> {
    // One catalog read per line, all at once: a cart page waits for its slowest line, not their sum.
    let reads = visitor
        .cart
        .lines()
        .iter()
        .map(|(id, units)| async move { state.shop.product(*id).await.map(|p| (p, *units)) });
    let found = futures::future::try_join_all(reads).await.map_err(|e| state.fail(e))?;
    let lines: Vec<_> = found.into_iter().filter_map(|(product, units)| Some((product?, units))).collect();
    let frame = state.frame("Cart", None, visitor);
    let key = uuid::Uuid::new_v4().to_string();
    let page =
        CartPage { lines: &lines, csrf: &frame.csrf, signed_in: visitor.signed_in(), checkout_key: &key, problem };
    Ok(render(&frame, cart::cart(&page)))
}

async fn add(
    Extract(state): Extract<State>,
    visitor: Visitor,
    Checked(form): Checked<AddToCart>,
) -> Result<Response, PageError> {
    if state.shop.product(form.product_id).await.map_err(|e| state.fail(e))?.is_none() {
        return Err(state.fail(Failure::NotFound(format!("There is no product {}.", form.product_id))));
    }
    let mut cart = visitor.cart.clone();
    cart.add(form.product_id, form.quantity).map_err(|reason| state.fail(Failure::BadRequest(reason)))?;
    Ok(see_other("/cart", &[cart_cookie(&cart)]))
}

async fn remove(visitor: Visitor, Checked(form): Checked<RemoveFromCart>) -> Response {
    let mut cart = visitor.cart.clone();
    cart.remove(form.product_id);
    see_other("/cart", &[cart_cookie(&cart)])
}

async fn checkout(
    Extract(state): Extract<State>,
    visitor: Visitor,
    Checked(form): Checked<Checkout>,
) -> Result<Response, PageError> {
    let token = state.token(&visitor)?;
    let card = TestCard::parse(&form.card).map_err(|reason| state.fail(Failure::BadRequest(reason)))?;
    if visitor.cart.is_empty() {
        return Ok(see_other("/cart", &[]));
    }
    match state.shop.place_order(token, visitor.cart.lines(), card.token(), &form.key).await {
        // Whatever its outcome, the order page follows it; the cart is spent.
        Ok(order) => Ok(see_other(&format!("/orders/{}", order.id), &[cart_cookie(&Cart::default())])),
        // The order was refused as a whole (an unknown product, mixed
        // currencies): the cart again, with the reason.
        Err(ShopError::Refused { status, message, .. }) if status != 401 => {
            let page = cart_page(&state, &visitor, Some(&message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(error) => Err(state.fail(error)),
    }
}
