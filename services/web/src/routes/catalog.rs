//! The catalog pages: `/` (search, category, page) and `/products/{id}`.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State as Extract};
use axum::response::Html;
use axum::routing::get;

use super::failure::render;
use super::{Failure, PageError, State};
use crate::domain::{Browse, RawBrowse};
use crate::pages::catalog;
use crate::visitor::Visitor;

pub fn router() -> Router<State> {
    Router::new().route("/", get(listing)).route("/products/{id}", get(product))
}

async fn listing(
    Extract(state): Extract<State>,
    visitor: Visitor,
    query: Result<Query<RawBrowse>, QueryRejection>,
) -> Result<Html<String>, PageError> {
    let raw = query.map_err(|rejection| state.fail(Failure::BadRequest(rejection.body_text())))?.0;
    let browse = Browse::parse(raw).map_err(|reason| state.fail(Failure::BadRequest(reason)))?;
    let (listing, categories) =
        tokio::try_join!(state.shop.products(&browse), state.shop.categories()).map_err(|error| state.fail(error))?;
    let search = browse.search.as_ref().map(|s| s.as_str());
    let title = if search.is_some() { "Search" } else { "Products" };
    Ok(render(&state.frame(title, search, &visitor), catalog::listing(&browse, &listing, &categories)))
}

async fn product(
    Extract(state): Extract<State>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let not_found = || Failure::NotFound(format!("There is no product {id:?}."));
    let Ok(product_id) = id.parse::<i64>() else {
        return Err(state.fail(not_found()));
    };
    let (product, recommendations) =
        tokio::try_join!(state.shop.product(product_id), state.shop.recommendations(product_id))
            .map_err(|error| state.fail(error))?;
    let product = product.ok_or_else(|| state.fail(not_found()))?;
    let frame = state.frame(&product.name, None, &visitor);
    let content = catalog::product(&product, &recommendations, &frame.csrf);
    Ok(render(&frame, content))
}
