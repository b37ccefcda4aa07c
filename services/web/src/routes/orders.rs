//! `/orders/{id}` (following the saga) and `/notifications`: the visitor's own.

use axum::Router;
use axum::extract::{Path, State as Extract};
use axum::response::Html;
use axum::routing::get;

use super::failure::render;
use super::{Failure, PageError, State};
use crate::pages::orders;
use crate::visitor::Visitor;

/// A pending order's page reloads itself this often until the saga ends.
const PENDING_REFRESH_SECS: u32 = 1;

pub fn router() -> Router<State> {
    Router::new().route("/orders/{id}", get(order)).route("/notifications", get(notifications))
}

async fn order(
    Extract(state): Extract<State>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let token = state.token(&visitor)?;
    let not_found = || state.fail(Failure::NotFound("There is no such order of yours.".into()));
    let id = uuid::Uuid::parse_str(&id).map_err(|_| not_found())?;
    let order = state.shop.order(token, &id.to_string()).await.map_err(|e| state.fail(e))?.ok_or_else(not_found)?;
    let mut frame = state.frame("Your order", None, &visitor);
    if order.status == "PENDING" {
        frame.refresh_secs = Some(PENDING_REFRESH_SECS);
    }
    Ok(render(&frame, orders::order(&order)))
}

async fn notifications(Extract(state): Extract<State>, visitor: Visitor) -> Result<Html<String>, PageError> {
    let token = state.token(&visitor)?;
    let notifications = state.shop.notifications(token).await.map_err(|e| state.fail(e))?;
    Ok(render(&state.frame("Notifications", None, &visitor), orders::notifications(&notifications)))
}
