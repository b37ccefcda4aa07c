//! What a run found: a JSON document, and one self-contained HTML page
//! (inline SVG, no scripts, no fonts to fetch) with the plots, the fault
//! windows shaded, and every check with its samples.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::experiment::Experiment;
use super::prometheus::{Prometheus, Series};

/// What the report always plots, besides the experiment's own series.
const DEFAULT_PLOTS: [(&str, &str, &str); 5] = [
    (
        "Checkout latency p99",
        "s",
        r#"histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{service="gateway", http_route="/api/v1/orders", http_request_method="POST"}[15s])))"#,
    ),
    (
        "Gateway error rate (share of 5xx)",
        "ratio",
        r#"(sum(rate(http_server_request_duration_seconds_count{service="gateway", http_response_status_code=~"5.."}[15s])) or vector(0)) / sum(rate(http_server_request_duration_seconds_count{service="gateway"}[15s]))"#,
    ),
    (
        "Circuit breaker state (0 closed, 1 half-open, 2 open)",
        "",
        "max by (service, peer_service) (resilience_breaker_state)",
    ),
    ("Faults injected by chaos-proxy", "per s", "sum by (proxy, kind) (rate(chaos_proxy_faults_injected_total[15s]))"),
    ("Outbox backlog", "events", "sum by (service) (outbox_pending_messages)"),
];

/// The report's plots over the whole run: the default ones, then the
/// experiment's own, each a range query on Prometheus (an error is kept
/// beside the plot, not raised: a missing plot does not fail a run).
pub async fn plots(prometheus: &Prometheus, experiment: &Experiment, started_at: DateTime<Utc>) -> Vec<PlotRecord> {
    let step = experiment.interval.max(Duration::from_secs(1));
    let end = Utc::now();
    let defaults = DEFAULT_PLOTS.iter().map(|(t, u, q)| ((*t).to_owned(), (*u).to_owned(), (*q).to_owned()));
    let own = experiment.plots.iter().map(|p| (p.title.clone(), p.unit.clone(), p.query.clone()));
    let mut plots = Vec::new();
    for (title, unit, query) in defaults.chain(own) {
        let (series, error) = match prometheus.range(&query, started_at, end, step).await {
            Ok(series) => (series, None),
            Err(error) => (Vec::new(), Some(format!("{error:#}"))),
        };
        plots.push(PlotRecord { title, unit, query, series, error });
    }
    plots
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every hypothesis held, every expectation was seen, every fault acted.
    Passed,
    /// Something did not hold or was not seen.
    Failed,
    /// Interrupted (Ctrl-C): faults removed, nothing concluded.
    Aborted,
    /// The run could not be carried out (a proxy missing, Prometheus down).
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub title: String,
    pub question: String,
    pub file: String,
    pub started_at: String,
    pub finished_at: String,
    pub outcome: Outcome,
    /// Why it did not pass, one line each.
    pub reasons: Vec<String>,
    /// Seconds from the start of the run to t = 0 of the timeline.
    pub timeline_origin_s: f64,
    pub faults: Vec<FaultRecord>,
    pub hypotheses: Vec<CheckRecord>,
    pub expectations: Vec<CheckRecord>,
    pub load: Option<LoadRecord>,
    pub plots: Vec<PlotRecord>,
    /// What the clean-up undid at the end.
    pub cleanup: Vec<String>,
}

/// A run as it stands while it runs: what the desk shows live. The same
/// records as the report's, filled in as the samples come.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Live {
    /// Seconds since the run started.
    pub elapsed_s: f64,
    /// Seconds from the start to t = 0 (steady state confirmed), once reached.
    pub timeline_origin_s: Option<f64>,
    /// The last thing the run did, in words.
    pub stage: String,
    pub faults: Vec<FaultRecord>,
    pub hypotheses: Vec<CheckRecord>,
    pub expectations: Vec<CheckRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FaultRecord {
    pub name: String,
    pub target: String,
    pub what: String,
    /// Seconds from the start of the run.
    pub started_s: Option<f64>,
    pub ended_s: Option<f64>,
    /// What showed the fault acted (faults injected, container down).
    pub effect: String,
    pub acted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckRecord {
    pub name: String,
    /// before / during / after, or eventually / always / at_end.
    pub kind: String,
    pub condition: String,
    pub fault: Option<String>,
    pub passed: bool,
    pub samples: Vec<Sample>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Seconds from the start of the run.
    pub t: f64,
    pub value: Option<f64>,
    pub holds: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadRecord {
    pub command: String,
    pub log: String,
    pub exit_code: Option<i32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlotRecord {
    pub title: String,
    pub unit: String,
    pub query: String,
    pub series: Vec<Series>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Passed
    }

    /// The summary printed at the end of a run.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let mark = |ok: bool| if ok { "PASS" } else { "FAIL" };
        let _ = writeln!(out, "\n{} — {:?}", self.title, self.outcome);
        for fault in &self.faults {
            let _ = writeln!(out, "  {} fault  {}: {}", mark(fault.acted), fault.name, fault.effect);
        }
        for check in self.hypotheses.iter().chain(&self.expectations) {
            let _ = writeln!(out, "  {} {:<10} {}", mark(check.passed), check.kind, check.name);
        }
        for reason in &self.reasons {
            let _ = writeln!(out, "  - {reason}");
        }
        out
    }

    pub fn html(&self) -> String {
        let mut page = String::new();
        let ok = |passed: bool| if passed { "<span class=pass>pass</span>" } else { "<span class=fail>fail</span>" };
        let _ = write!(
            page,
            "<!doctype html><html><head><meta charset=utf-8><title>{title}</title><style>{CSS}</style></head><body>\
             <h1>{title}</h1><p class=question>{question}</p>\
             <p>Outcome: <b class={outcome_class}>{outcome:?}</b> · {file} · {start} → {end}</p>",
            title = escape(&self.title),
            question = escape(&self.question),
            outcome_class = if self.passed() { "pass" } else { "fail" },
            outcome = self.outcome,
            file = escape(&self.file),
            start = escape(&self.started_at),
            end = escape(&self.finished_at),
        );
        if !self.reasons.is_empty() {
            page.push_str("<ul class=reasons>");
            for reason in &self.reasons {
                let _ = write!(page, "<li>{}</li>", escape(reason));
            }
            page.push_str("</ul>");
        }
        page.push_str(
            "<h2>Over time</h2><p class=note>Shaded: the fault windows. t = seconds since the run began.</p>",
        );
        let end = self.plots.iter().flat_map(|p| &p.series).flat_map(|s| &s.points).map(|p| p.0).fold(0.0, f64::max);
        for plot in &self.plots {
            page.push_str(&chart(plot, &self.faults, end));
        }
        page.push_str("<h2>Faults</h2><table><tr><th>fault</th><th>target</th><th>what</th><th>window (s)</th><th>effect</th><th></th></tr>");
        for fault in &self.faults {
            let window = match (fault.started_s, fault.ended_s) {
                (Some(a), Some(b)) => format!("{a:.0} – {b:.0}"),
                (Some(a), None) => format!("{a:.0} –"),
                _ => "not started".into(),
            };
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{window}</td><td>{}</td><td>{}</td></tr>",
                escape(&fault.name),
                escape(&fault.target),
                escape(&fault.what),
                escape(&fault.effect),
                ok(fault.acted)
            );
        }
        page.push_str("</table><h2>Steady-state hypothesis and expected observations</h2><table><tr><th>check</th><th>when</th><th>condition</th><th>samples (t: value)</th><th></th></tr>");
        for check in self.hypotheses.iter().chain(&self.expectations) {
            let samples: Vec<String> = check
                .samples
                .iter()
                .map(|s| {
                    let value = s.value.map_or_else(|| s.note.clone(), |v| format!("{v:.4}"));
                    let class = if s.holds { "" } else { " class=bad" };
                    format!("<span{class}>{:.0}: {}</span>", s.t, escape(&value))
                })
                .collect();
            let when = match &check.fault {
                Some(fault) => format!("{} ({})", check.kind, fault),
                None => check.kind.clone(),
            };
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td class=samples>{}</td><td>{}</td></tr>",
                escape(&check.name),
                escape(&when),
                escape(&check.condition),
                samples.join(" "),
                ok(check.passed)
            );
        }
        page.push_str("</table>");
        if let Some(load) = &self.load {
            let _ = write!(
                page,
                "<h2>Load</h2><p><code>{}</code><br>exit code {:?}; its output: {}</p>",
                escape(&load.command),
                load.exit_code,
                escape(&load.log)
            );
        }
        page.push_str("<h2>Clean-up</h2><ul>");
        for line in &self.cleanup {
            let _ = write!(page, "<li>{}</li>", escape(line));
        }
        page.push_str("</ul></body></html>\n");
        page
    }
}

const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}\
table{border-collapse:collapse;width:100%;margin-bottom:1em}td,th{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}\
code{font-size:12px;word-break:break-all}.pass{color:#1a7f37}.fail{color:#c62828}.bad{color:#c62828;font-weight:bold}\
.samples{font-size:12px;max-width:380px}.question{font-style:italic}.note{color:#666}svg{background:#fafafa;margin-bottom:1.2em}";

const COLOURS: [&str; 8] = ["#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457"];

/// One line chart as inline SVG: the fault windows shaded behind the lines.
fn chart(plot: &PlotRecord, faults: &[FaultRecord], t_end: f64) -> String {
    let (width, height, left, right, top, bottom) = (1000.0, 220.0, 60.0, 10.0, 24.0, 24.0);
    let mut svg = format!(
        "<svg viewBox='0 0 {width} {height}' width='100%' role=img><text x='{left}' y='16' font-weight='bold'>{}{}</text>",
        escape(&plot.title),
        if plot.unit.is_empty() { String::new() } else { format!(" ({})", escape(&plot.unit)) }
    );
    if let Some(error) = &plot.error {
        let _ = write!(svg, "<text x='{left}' y='60' fill='#c62828'>{}</text></svg>", escape(error));
        return svg;
    }
    let points: Vec<(f64, f64)> = plot.series.iter().flat_map(|s| s.points.iter().copied()).collect();
    let t_max = t_end.max(1.0);
    let v_max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let v_max = if v_max <= 0.0 { 1.0 } else { v_max * 1.1 };
    let x = |t: f64| left + (t / t_max) * (width - left - right);
    let y = |v: f64| top + (1.0 - v / v_max) * (height - top - bottom);
    for fault in faults {
        if let Some(start) = fault.started_s {
            let end = fault.ended_s.unwrap_or(t_max);
            let _ = write!(
                svg,
                "<rect x='{:.1}' y='{top}' width='{:.1}' height='{:.1}' fill='#ffcdd2' opacity='0.6'><title>{}</title></rect>\
                 <text x='{:.1}' y='{:.1}' font-size='11' fill='#b71c1c'>{}</text>",
                x(start),
                (x(end) - x(start)).max(1.0),
                height - top - bottom,
                escape(&fault.name),
                x(start) + 3.0,
                top + 12.0,
                escape(&fault.name)
            );
        }
    }
    // Axes: 0 and the maximum, and a tick every tenth of the run.
    let _ = write!(
        svg,
        "<line x1='{left}' y1='{b}' x2='{r}' y2='{b}' stroke='#999'/><line x1='{left}' y1='{top}' x2='{left}' y2='{b}' stroke='#999'/>\
         <text x='{tx}' y='{ty0}' font-size='11' text-anchor='end'>0</text><text x='{tx}' y='{ty1}' font-size='11' text-anchor='end'>{vmax}</text>",
        b = height - bottom,
        r = width - right,
        tx = left - 4.0,
        ty0 = height - bottom,
        ty1 = top + 10.0,
        vmax = short(v_max)
    );
    for i in 0..=10 {
        let t = t_max * f64::from(i) / 10.0;
        let _ = write!(
            svg,
            "<text x='{:.1}' y='{}' font-size='11' text-anchor='middle'>{:.0}s</text>",
            x(t),
            height - 6.0,
            t
        );
    }
    if plot.series.is_empty() {
        let _ = write!(svg, "<text x='{:.1}' y='{:.1}' fill='#666'>no data</text>", left + 20.0, top + 40.0);
    }
    for (i, series) in plot.series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let path: Vec<String> = series.points.iter().map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v))).collect();
        let _ = write!(
            svg,
            "<polyline fill='none' stroke='{colour}' stroke-width='1.5' points='{}'><title>{}</title></polyline>\
             <text x='{:.1}' y='{:.1}' font-size='11' fill='{colour}' text-anchor='end'>{}</text>",
            path.join(" "),
            escape(&series.labels),
            width - right - 4.0,
            top + 12.0 + 13.0 * i as f64,
            escape(&series.labels)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn short(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\'', "&#39;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_self_contained_and_shades_fault_windows() {
        let report = Report {
            title: "T <1>".into(),
            question: "Q".into(),
            file: "f.toml".into(),
            started_at: "a".into(),
            finished_at: "b".into(),
            outcome: Outcome::Failed,
            reasons: vec!["expectation x: never held".into()],
            timeline_origin_s: 5.0,
            faults: vec![FaultRecord {
                name: "slow".into(),
                target: "proxy p".into(),
                what: "latency".into(),
                started_s: Some(10.0),
                ended_s: Some(20.0),
                effect: "12 faults injected".into(),
                acted: true,
            }],
            hypotheses: vec![],
            expectations: vec![],
            load: None,
            plots: vec![PlotRecord {
                title: "p99".into(),
                unit: "s".into(),
                query: "q".into(),
                series: vec![Series { labels: "{}".into(), points: vec![(0.0, 0.1), (30.0, 2.0)] }],
                error: None,
            }],
            cleanup: vec![],
        };
        let page = report.html();
        assert!(page.contains("T &lt;1&gt;"));
        assert!(page.contains("<rect") && page.contains("<polyline"));
        assert!(!page.contains("<script") && !page.contains("http://") && !page.contains("https://"));
    }
}
