//! `/signup`, `/login`, `/logout`: the gateway's auth API behind forms; the
//! token it issues is kept in an httpOnly cookie, never seen by scripts.

use axum::Router;
use axum::extract::State as Extract;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::failure::render;
use super::forms::{Checked, posted};
use super::{PageError, State, Storefront, see_other};
use crate::pages::account::{self, Filled};
use crate::shop::{ShopError, Tokens};
use crate::visitor::{SESSION, Visitor, clear_cookie, set_cookie};

pub fn router() -> Router<State> {
    Router::new()
        .route("/signup", get(signup_form).post(signup))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

#[derive(Deserialize)]
struct SignUp {
    csrf: String,
    email: String,
    display_name: String,
    password: String,
}

#[derive(Deserialize)]
struct LogIn {
    csrf: String,
    email: String,
    password: String,
}

#[derive(Deserialize)]
struct LogOut {
    csrf: String,
}

posted!(SignUp, LogIn, LogOut);

async fn signup_form(Extract(state): Extract<State>, visitor: Visitor) -> Html<String> {
    let frame = state.frame("Sign up", None, &visitor);
    let content = account::signup(&frame.csrf, &Filled::default());
    render(&frame, content)
}

async fn login_form(Extract(state): Extract<State>, visitor: Visitor) -> Html<String> {
    let frame = state.frame("Log in", None, &visitor);
    let content = account::login(&frame.csrf, &Filled::default());
    render(&frame, content)
}

async fn signup(
    Extract(state): Extract<State>,
    visitor: Visitor,
    Checked(form): Checked<SignUp>,
) -> Result<Response, PageError> {
    let email = form.email.trim();
    let registered = state.shop.register(email, &form.display_name, &form.password).await;
    let tokens = match registered {
        Ok(()) => state.shop.login(email, &form.password).await,
        Err(error) => Err(error),
    };
    let refill = |problem: &str| {
        let frame = state.frame("Sign up", None, &visitor);
        let filled = Filled { email, display_name: &form.display_name, problem: Some(problem) };
        render(&frame, account::signup(&frame.csrf, &filled))
    };
    signed_in(&state, tokens, refill)
}

async fn login(
    Extract(state): Extract<State>,
    visitor: Visitor,
    Checked(form): Checked<LogIn>,
) -> Result<Response, PageError> {
    let email = form.email.trim();
    let tokens = state.shop.login(email, &form.password).await;
    let refill = |problem: &str| {
        let frame = state.frame("Log in", None, &visitor);
        let filled = Filled { email, problem: Some(problem), ..Filled::default() };
        render(&frame, account::login(&frame.csrf, &filled))
    };
    signed_in(&state, tokens, refill)
}

/// Logged in: the session cookie, then the catalog. Refused: the form
/// again, with the gateway's reason and its status.
fn signed_in(
    state: &Storefront,
    tokens: Result<Tokens, ShopError>,
    refill: impl FnOnce(&str) -> Html<String>,
) -> Result<Response, PageError> {
    match tokens {
        Ok(tokens) => Ok(see_other("/", &[set_cookie(SESSION, &tokens.access_token, tokens.expires_in, "Lax")])),
        Err(ShopError::Refused { status, message, .. }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            Ok((status, refill(&message)).into_response())
        }
        Err(error) => Err(state.fail(error)),
    }
}

async fn logout(Checked(_): Checked<LogOut>) -> Response {
    see_other("/", &[clear_cookie(SESSION)])
}
