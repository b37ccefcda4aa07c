//! `GET /api/v1/notifications`: the caller's notifications, newest first.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use platform::pagination::{Page, PageQuery, Pagination};
use platform::{ApiError, AppJson, AppQuery, Caller};

use crate::state::AppState;
use crate::store::{self, Notification};

pub fn router(state: AppState) -> Router {
    Router::new().route("/api/v1/notifications", get(mine)).with_state(state)
}

async fn mine(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(query): AppQuery<PageQuery>,
) -> Result<AppJson<Page<Notification>>, ApiError> {
    let page = Pagination::parse(&query)?;
    let (items, total) = store::for_user(&state.pool, caller.user_id, page).await?;
    Ok(AppJson(Page::new(items, page, total)))
}
