//! The control room: faults on chaos-proxy's proxies, one click each, and
//! the resilience patterns' live state from Prometheus, with the links into
//! Grafana and Jaeger for the same minutes.

use maud::{Markup, html};

use super::{csrf_field, notice};
use crate::control::{ControlError, LiveState, Proxy, Sample};
use crate::desk::{Experiment, Load, Run};
use crate::domain::OneClickFault;
use crate::pages::experiments;

pub struct ControlRoom<'a> {
    pub csrf: &'a str,
    pub proxies: &'a Result<Vec<Proxy>, ControlError>,
    pub live: &'a Result<LiveState, ControlError>,
    pub experiments: &'a Result<Vec<Experiment>, ControlError>,
    pub run: &'a Result<Option<Run>, ControlError>,
    pub load: &'a Result<Load, ControlError>,
    pub grafana_url: &'a str,
    pub jaeger_url: &'a str,
}

/// Grafana's dashboards (their uids) the room links to.
const DASHBOARDS: [(&str, &str); 4] = [
    ("resilience", "Resilience"),
    ("chaos", "Chaos"),
    ("checkout", "Checkout and saga"),
    ("shop-overview", "Shop overview"),
];

pub fn control_room(room: &ControlRoom<'_>) -> Markup {
    html! {
        h1 { "Control room" }
        nav class="links" aria-label="Dashboards and traces of the last 15 minutes" {
            @for (uid, title) in DASHBOARDS {
                a href={ (room.grafana_url) "/d/" (uid) "?from=now-15m&to=now&refresh=5s" } { "Grafana: " (title) }
            }
            a href={ (room.jaeger_url) "/search?service=web&lookback=15m" } { "Jaeger: traces of the last 15 minutes" }
        }
        (experiments::experiments(room.csrf, room.experiments, room.run))
        section aria-labelledby="faults" {
            h2 id="faults" { "Faults" }
            form method="post" action="/control/faults/clear" {
                (csrf_field(room.csrf))
                button type="submit" class="danger" { "Remove all faults" }
            }
            @match room.proxies {
                Err(error) => (notice(Some(&format!("chaos-proxy did not answer: {error}")))),
                Ok(proxies) => table class="lines proxies" {
                    caption class="visually-hidden" { "Proxies and their faults" }
                    thead { tr {
                        th scope="col" { "Proxy" } th scope="col" { "In front of" }
                        th scope="col" { "Faults now" } th scope="col" { "Add a fault" }
                    } }
                    tbody {
                        @for proxy in proxies {
                            tr data-proxy=(proxy.name) {
                                th scope="row" { (proxy.name) }
                                td { (proxy.upstream) }
                                td class="faults" {
                                    @if !proxy.enabled { span class="fault" { "down" } " " }
                                    @for toxic in &proxy.toxics { span class="fault" { (toxic.name) " (" (toxic.kind) ")" } " " }
                                    @if proxy.enabled && proxy.toxics.is_empty() { "none" }
                                }
                                td class="actions" {
                                    @for fault in OneClickFault::ALL {
                                        form method="post" action="/control/faults" {
                                            (csrf_field(room.csrf))
                                            input type="hidden" name="proxy" value=(proxy.name);
                                            input type="hidden" name="fault" value=(fault.key());
                                            button type="submit" aria-label={ (fault.label()) " on " (proxy.name) } { (fault.label()) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                },
            }
        }
        section aria-labelledby="live" {
            h2 id="live" { "Live state (Prometheus)" }
            @match room.live {
                Err(error) => (notice(Some(&format!("Prometheus did not answer: {error}")))),
                Ok(live) => {
                    h3 { "Circuit breakers" }
                    (samples(&live.breakers, &["service", "peer_service"], |v| breaker_state(v).to_owned(), "breaker"))
                    h3 { "Calls refused by a breaker or a bulkhead (per second)" }
                    (samples(&live.refused, &["service", "peer_service", "outcome"], per_second, "refused"))
                    h3 { "Retries not made: budget spent (per second)" }
                    (samples(&live.retry_budget, &["service", "peer_service"], per_second, "retry-budget"))
                    h3 { "Outbox backlog (events not yet published)" }
                    (samples(&live.outbox_backlog, &["service"], count, "outbox"))
                    h3 { "Queue depth (messages ready)" }
                    (samples(&live.queue_depth, &["queue"], count, "queue"))
                }
            }
        }
        @let (users, rates) = match room.live { Ok(live) => (&live.load_users[..], &live.load_rate[..]), Err(_) => (&[][..], &[][..]) };
        (experiments::load(room.csrf, room.load, users, rates))
    }
}

fn breaker_state(value: f64) -> &'static str {
    match value as i64 {
        0 => "closed",
        1 => "half-open",
        2 => "open",
        _ => "unknown",
    }
}

fn per_second(value: f64) -> String {
    format!("{value:.2}")
}

fn count(value: f64) -> String {
    format!("{value:.0}")
}

fn samples(samples: &[Sample], labels: &[&str], show: impl Fn(f64) -> String, class: &str) -> Markup {
    html! {
        @if samples.is_empty() {
            p class="empty" { "none" }
        } @else {
            table class={ "lines " (class) } {
                thead { tr { @for label in labels { th scope="col" { (label.replace('_', " ")) } } th scope="col" { "now" } } }
                tbody {
                    @for sample in samples {
                        tr data-key=(labels.iter().map(|l| sample.label(l)).collect::<Vec<_>>().join(" ")) {
                            @for label in labels { td { (sample.label(label)) } }
                            td class="value" { (show(sample.value)) }
                        }
                    }
                }
            }
        }
    }
}
