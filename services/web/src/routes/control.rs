//! `/control`: the control room, for admins only (the gateway says who is
//! one: its admin-only user list answers 200 for them, 403 for customers).

use axum::Router;
use axum::extract::{Path, State as Extract};
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Response};
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
        .route("/control/experiments/start", post(start_experiment))
        .route("/control/experiments/stop", post(stop_experiment))
        .route("/control/reports/{report}", get(report))
        .route("/control/load/start", post(start_load))
        .route("/control/load/stop", post(stop_load))
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

#[derive(Deserialize)]
struct StartExperiment {
    csrf: String,
    experiment: String,
}

/// A form that is only its CSRF token: stop the experiment, stop the load.
#[derive(Deserialize)]
struct Confirm {
    csrf: String,
}

#[derive(Deserialize)]
struct StartLoad {
    csrf: String,
    profile: String,
    /// Empty: the profile's own plan.
    #[serde(default)]
    users: String,
}

posted!(InjectFault, ClearFaults, StartExperiment, Confirm, StartLoad);

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
    let (proxies, live, experiments, run, load) = tokio::join!(
        state.control.proxies(),
        state.control.live_state(),
        state.desk.experiments(),
        state.desk.current_run(),
        state.desk.load()
    );
    let errors = [proxies.as_ref().err(), live.as_ref().err(), experiments.as_ref().err(), run.as_ref().err()];
    for error in errors.into_iter().flatten().chain(load.as_ref().err()) {
        tracing::warn!(error = %error, "the control room could not read part of its state");
    }
    let mut frame = state.frame("Control room", None, &visitor);
    frame.refresh_secs = Some(REFRESH_SECS);
    let room = ControlRoom {
        csrf: &frame.csrf,
        proxies: &proxies,
        live: &live,
        experiments: &experiments,
        run: &run,
        load: &load,
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

async fn start_experiment(
    Extract(state): Extract<State>,
    visitor: Visitor,
    Checked(form): Checked<StartExperiment>,
) -> Result<Response, PageError> {
    state.require_admin(&visitor).await?;
    if !plain_name(&form.experiment) {
        return Err(state.fail(Failure::BadRequest(format!("{:?} is not an experiment's name", form.experiment))));
    }
    state.desk.start_run(&form.experiment).await.map_err(|e| state.fail(Failure::Control(e)))?;
    tracing::info!(experiment = %form.experiment, "experiment started from the control room");
    Ok(see_other("/control#experiment", &[]))
}

async fn stop_experiment(
    Extract(state): Extract<State>,
    visitor: Visitor,
    Checked(_): Checked<Confirm>,
) -> Result<Response, PageError> {
    state.require_admin(&visitor).await?;
    state.desk.stop_run().await.map_err(|e| state.fail(Failure::Control(e)))?;
    tracing::info!("experiment stopped from the control room");
    Ok(see_other("/control#experiment", &[]))
}

/// A finished run's report, as the runner wrote it: a self-contained page
/// with inline styles and charts, so it gets a policy of its own (no
/// script, nothing loaded from anywhere).
async fn report(
    Extract(state): Extract<State>,
    visitor: Visitor,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    state.require_admin(&visitor).await?;
    if !plain_name(&name) {
        return Err(state.fail(Failure::NotFound(format!("No report {name:?}."))));
    }
    let page = state.desk.report(&name).await.map_err(|e| state.fail(Failure::Control(e)))?;
    let page = page.ok_or_else(|| state.fail(Failure::NotFound(format!("No report {name:?}."))))?;
    let policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy)),
        ],
        page,
    )
        .into_response())
}

async fn start_load(
    Extract(state): Extract<State>,
    visitor: Visitor,
    Checked(form): Checked<StartLoad>,
) -> Result<Response, PageError> {
    state.require_admin(&visitor).await?;
    let users = match form.users.trim() {
        "" => None,
        text => Some(text.parse::<u32>().map_err(|_| {
            state.fail(Failure::BadRequest(format!("{text:?} is not a number of users: leave it empty or give one")))
        })?),
    };
    if !plain_name(&form.profile) {
        return Err(state.fail(Failure::BadRequest(format!("{:?} is not a profile's name", form.profile))));
    }
    state.desk.start_load(&form.profile, users).await.map_err(|e| state.fail(Failure::Control(e)))?;
    tracing::info!(profile = %form.profile, ?users, "load started from the control room");
    Ok(see_other("/control#load", &[]))
}

async fn stop_load(
    Extract(state): Extract<State>,
    visitor: Visitor,
    Checked(_): Checked<Confirm>,
) -> Result<Response, PageError> {
    state.require_admin(&visitor).await?;
    state.desk.stop_load().await.map_err(|e| state.fail(Failure::Control(e)))?;
    tracing::info!("load stopped from the control room");
    Ok(see_other("/control#load", &[]))
}

/// A name the desk may be asked about: letters, digits, `-` and `_`.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 128 && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}
