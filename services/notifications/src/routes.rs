//! `GET /api/v1/notifications`: the caller's notifications, newest first.

use axum::Router;
use axum::extract::State;
use platform::error::ErrorBody;
use platform::pagination::{Page, PageQuery, Pagination};
use platform::{ApiError, AppJson, AppQuery, Caller};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
use crate::store::{self, Notification};

/// Public routes, registered with their documentation (see `openapi()`).
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(mine))
}

pub fn router(state: AppState) -> Router {
    routes().split_for_parts().0.with_state(state)
}

/// The notifications service's part of the public API.
pub fn openapi() -> OpenApi {
    routes().split_for_parts().1
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page", body = Page<Notification>),
        (status = 400, description = "Invalid pagination", body = ErrorBody),
    ))]
async fn mine(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(query): AppQuery<PageQuery>,
) -> Result<AppJson<Page<Notification>>, ApiError> {
    let page = Pagination::parse(&query)?;
    let (items, total) = store::for_user(&state.pool, caller.user_id, page).await?;
    Ok(AppJson(Page::new(items, page, total)))
}
