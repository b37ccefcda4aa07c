//! `/control`: the control room, for admins only (the gateway says who is
//! one: its admin-only user list answers 200 for them, 403 for customers).

use axum::Router;
use axum::extract::State as Extract;
use axum::response::{Html, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::failure::render;
use super::forms::{Checked, posted};
use super::{Failure, PageError, State, Storefront, see_other};
use crate::domain::OneClickFault;
use crate::pages::control::{self, ControlRoom};
use crate::visitor::Visitor;

/// The room reloads itself this often: its state is live.
const REFRESH_SECS: u32 = 5;

pub fn router() -> Router<State> {
    Router::new()
        .route("/control", get(room))
        .route("/control/faults", post(inject))
        .route("/control/faults/clear", post(clear))
}

#[derive(Deserialize)]
struct InjectFault {
    csrf: String,
    proxy: String,
    fault: String,
}

#[derive(Deserialize)]
struct ClearFaults {
    csrf: String,
}

posted!(InjectFault, ClearFaults);

impl Storefront {
    /// Lets admins through; a customer gets 403, a visitor not logged in
    /// is sent to log in.
    async fn require_admin(&self, visitor: &Visitor) -> Result<(), PageError> {
        let token = self.token(visitor)?;
        match self.shop.is_admin(token).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(self.fail(Failure::Forbidden("The control room is for admins.".into()))),
            Err(error) => Err(self.fail(error)),
        }
    }
}

async fn room(Extract(state): Extract<State>, visitor: Visitor) -> Result<Html<String>, PageError> {
    state.require_admin(&visitor).await?;
    // Each part says on its own when its source does not answer.
    let (proxies, live) = tokio::join!(state.control.proxies(), state.control.live_state());
    for error in [proxies.as_ref().err(), live.as_ref().err()].into_iter().flatten() {
        tracing::warn!(error = %error, "the control room could not read part of its state");
    }
    let mut frame = state.frame("Control room", None, &visitor);
    frame.refresh_secs = Some(REFRESH_SECS);
    let room = ControlRoom {
        csrf: &frame.csrf,
        proxies: &proxies,
        live: &live,
        grafana_url: &state.grafana_url,
        jaeger_url: &state.jaeger_url,
    };
    let content = control::control_room(&room);
    Ok(render(&frame, content))
}

async fn inject(
    Extract(state): Extract<State>,
    visitor: Visitor,
    Checked(form): Checked<InjectFault>,
) -> Result<Response, PageError> {
    state.require_admin(&visitor).await?;
    let fault = OneClickFault::parse(&form.fault).map_err(|reason| state.fail(Failure::BadRequest(reason)))?;
    let name_ok = !form.proxy.is_empty()
        && form.proxy.len() <= 64
        && form.proxy.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !name_ok {
        return Err(state.fail(Failure::BadRequest(format!("{:?} is not a proxy's name", form.proxy))));
    }
    state.control.inject(&form.proxy, fault).await.map_err(|e| state.fail(Failure::Control(e)))?;
    tracing::info!(proxy = %form.proxy, fault = fault.key(), "fault injected from the control room");
    Ok(see_other("/control", &[]))
}

async fn clear(
    Extract(state): Extract<State>,
    visitor: Visitor,
    Checked(_): Checked<ClearFaults>,
) -> Result<Response, PageError> {
    state.require_admin(&visitor).await?;
    state.control.clear().await.map_err(|e| state.fail(Failure::Control(e)))?;
    tracing::info!("every fault removed from the control room");
    Ok(see_other("/control", &[]))
}
