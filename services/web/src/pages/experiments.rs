//! The control room's experiments and load: the catalogue with each
//! experiment's question and a start button, the run on show with its
//! hypotheses and expectations marked as they are sampled (and its report
//! once it ends), and the load generator's profiles, users and rates.

use maud::{Markup, html};

use super::{csrf_field, notice};
use crate::control::{ControlError, Sample};
use crate::desk::{Check, Experiment, Load, Run, RunState, Verdict};

pub fn experiments(
    csrf: &str,
    catalogue: &Result<Vec<Experiment>, ControlError>,
    run: &Result<Option<Run>, ControlError>,
) -> Markup {
    let running = matches!(run, Ok(Some(run)) if run.state == RunState::Running);
    html! {
        section aria-labelledby="experiment" {
            h2 id="experiment" { "Experiment" }
            @match run {
                Err(error) => (notice(Some(&format!("The experiment desk did not answer: {error}")))),
                Ok(None) => p class="empty" { "No experiment has run yet: start one from the catalogue below." },
                Ok(Some(run)) => (run_on_show(csrf, run)),
            }
        }
        section aria-labelledby="catalogue" {
            h2 id="catalogue" { "Experiment catalogue" }
            @match catalogue {
                Err(error) => (notice(Some(&format!("The experiment desk did not answer: {error}")))),
                Ok(catalogue) => table class="lines catalogue" {
                    caption class="visually-hidden" { "Experiments and the question each asks" }
                    thead { tr { th scope="col" { "Experiment" } th scope="col" { "Question" } th scope="col" { "Start" } } }
                    tbody {
                        @for experiment in catalogue {
                            tr data-experiment=(experiment.id) {
                                th scope="row" { (experiment.title) br; span class="count" { "about " (minutes(experiment.duration_s)) } }
                                td class="question" { (experiment.question) }
                                td {
                                    @if let Some(why) = &experiment.cannot_run {
                                        span class="count" { (why) }
                                    } @else {
                                        form method="post" action="/control/experiments/start" {
                                            (csrf_field(csrf))
                                            input type="hidden" name="experiment" value=(experiment.id);
                                            button type="submit" disabled[running] aria-label={ "Start " (experiment.title) } { "Start" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                },
            }
        }
    }
}

fn run_on_show(csrf: &str, run: &Run) -> Markup {
    html! {
        p { strong { (run.title) } " — " span class="run-state" { (run.state.label()) }
            @if run.state == RunState::Running { " (" (format!("{:.0}", run.live.elapsed_s)) " s: " (run.live.stage) ")" } }
        p class="question" { (run.question) }
        @if run.state == RunState::Running {
            form method="post" action="/control/experiments/stop" {
                (csrf_field(csrf))
                button type="submit" class="danger" { "Stop the experiment (its faults are removed)" }
            }
        }
        @if let Some(report) = &run.report {
            p { a href={ "/control/reports/" (report) } { "Open the report" } }
        }
        @if !run.reasons.is_empty() {
            ul class="reasons" { @for reason in &run.reasons { li { (reason) } } }
        }
        h3 { "Hypotheses (the steady state)" }
        (checks(&run.live.hypotheses, "hypotheses"))
        h3 { "Expectations (what the faults should cause)" }
        (checks(&run.live.expectations, "expectations"))
        @if !run.live.faults.is_empty() {
            h3 { "Faults" }
            ul class="run-faults" {
                @for fault in &run.live.faults {
                    li { (fault.name) " on " (fault.target) " (" (fault.what) "): "
                        @match (fault.started_s, fault.ended_s) {
                            (None, _) => "not yet",
                            (Some(_), None) => span class="fault" { "in place" },
                            (Some(_), Some(_)) => (fault.effect),
                        }
                    }
                }
            }
        }
    }
}

fn checks(checks: &[Check], class: &str) -> Markup {
    html! {
        @if checks.is_empty() {
            p class="empty" { "none" }
        } @else {
            table class={ "lines " (class) } {
                thead { tr { th scope="col" { "Check" } th scope="col" { "When" } th scope="col" { "Condition" } th scope="col" { "Last value" } th scope="col" { "Now" } } }
                tbody {
                    @for check in checks {
                        @let verdict = check.verdict();
                        tr data-check=(check.name) data-verdict=(verdict_key(verdict)) {
                            td { (check.name) }
                            td { (check.kind.replace('_', " ")) }
                            td { (check.condition) }
                            td class="value" { @match check.last_value() { Some(v) => (format!("{v:.3}")), None => "—" } }
                            td { span class={ "verdict " (verdict_key(verdict)) } { (verdict_label(verdict)) } }
                        }
                    }
                }
            }
        }
    }
}

fn verdict_key(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Waiting => "waiting",
        Verdict::Holds => "holds",
        Verdict::Broken => "broken",
    }
}

fn verdict_label(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Waiting => "not yet seen",
        Verdict::Holds => "holds",
        Verdict::Broken => "broken",
    }
}

fn minutes(seconds: u64) -> String {
    if seconds < 120 { format!("{seconds} s") } else { format!("{} min", seconds.div_ceil(60)) }
}

/// The load generator: start a named profile (its own plan, or a number of
/// users held until stopped), its users and rates from Prometheus, stop it.
pub fn load(csrf: &str, load: &Result<Load, ControlError>, users: &[Sample], rates: &[Sample]) -> Markup {
    html! {
        section aria-labelledby="load" {
            h2 id="load" { "Load generator" }
            @match load {
                Err(error) => (notice(Some(&format!("The experiment desk did not answer: {error}")))),
                Ok(load) => {
                    @if let Some(last) = &load.last {
                        p class="load-state" {
                            @if load.running { "Running: " } @else { "Last run: " }
                            "profile " strong { (last.profile) }
                            @match last.users { Some(users) => { ", " (users) " users held" }, None => ", its own plan" }
                            ", since " (last.started_at)
                            @if !load.running {
                                @match last.exit_code { Some(code) => { " (ended, exit code " (code) ")" }, None => " (stopped)" }
                            }
                        }
                    }
                    @if load.running {
                        form method="post" action="/control/load/stop" {
                            (csrf_field(csrf))
                            button type="submit" class="danger" { "Stop the load" }
                        }
                    } @else if load.profiles.is_empty() {
                        p class="empty" { "The desk has no load generator (shop-load) to run." }
                    } @else {
                        form method="post" action="/control/load/start" class="start" {
                            (csrf_field(csrf))
                            label for="load-profile" { "Profile" }
                            select id="load-profile" name="profile" {
                                @for profile in &load.profiles { option value=(profile.name) { (profile.name) ": " (profile.purpose) } }
                            }
                            label for="load-users" { "Users" }
                            input id="load-users" type="number" name="users" min="1" max="500" inputmode="numeric"
                                placeholder="the profile's own plan";
                            button type="submit" { "Start the load" }
                        }
                    }
                }
            }
            h3 { "Users and requests per second (Prometheus)" }
            @if users.is_empty() && rates.is_empty() {
                p class="empty" { "no load seen" }
            } @else {
                table class="lines load-live" {
                    thead { tr { th scope="col" { "Profile" } th scope="col" { "Users" } th scope="col" { "Requests per second" } } }
                    tbody {
                        @for sample in users {
                            @let rate = rates.iter().find(|r| r.label("profile") == sample.label("profile")).map(|r| r.value);
                            tr data-profile=(sample.label("profile")) {
                                td { (sample.label("profile")) }
                                td class="users" { (format!("{:.0}", sample.value)) }
                                td class="rate" { @match rate { Some(rate) => (format!("{rate:.1}")), None => "—" } }
                            }
                        }
                    }
                }
            }
        }
    }
}
