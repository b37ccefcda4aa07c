//! The pass/fail table a run prints, the same for one process (goose's
//! verdict) and for many workers judged from Prometheus.

use serde_json::{Value, json};

/// One threshold's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub rule: String,
    pub observed: String,
    /// What was observed as a number, as goose gives it: milliseconds for a
    /// latency, a percent for `error-rate`, per second for `rps`.
    pub value: Option<f64>,
    pub passed: bool,
}

impl Row {
    pub fn to_json(&self) -> Value {
        json!({"rule": self.rule, "observed": self.observed, "value": self.value, "passed": self.passed})
    }
}

/// The table, as `shop-load` prints it after a run.
pub fn table(profile: &str, rows: &[Row]) -> String {
    let mut out = format!("\nthresholds of profile {profile}:\n");
    out.push_str(&format!("  {:<50} {:>22}  result\n", "rule", "observed"));
    for row in rows {
        let verdict = if row.passed { "PASS" } else { "FAIL" };
        out.push_str(&format!("  {:<50} {:>22}  {verdict}\n", row.rule, row.observed));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_is_a_line_with_its_verdict_in_words() {
        let rows = [
            Row { rule: "p95<2s".into(), observed: "812.0ms".into(), value: Some(812.0), passed: true },
            Row { rule: "error-rate<1%".into(), observed: "3.00%".into(), value: Some(3.0), passed: false },
        ];
        let text = table("smoke", &rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "thresholds of profile smoke:");
        assert!(lines[3].starts_with("  p95<2s") && lines[3].ends_with("812.0ms  PASS"), "{text}");
        assert!(lines[4].ends_with("3.00%  FAIL"), "{text}");
    }
}
