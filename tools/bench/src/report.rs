//! Repeated measurements summarised (median and range), printed as a table
//! and written as JSON to `reports/bench/<suite>.json`.

use std::path::PathBuf;

use serde::Serialize;
pub use stats::Spread;

/// A table: a header and rows of cells, printed with aligned columns.
pub struct Table {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(title: &str, header: &[&str]) -> Self {
        Self { title: title.to_owned(), header: header.iter().map(|h| (*h).to_owned()).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// One more column: its header and a cell per row, in row order.
    pub fn add_column(&mut self, header: &str, cells: Vec<String>) {
        self.header.push(header.to_owned());
        for (row, cell) in self.rows.iter_mut().zip(cells) {
            row.push(cell);
        }
    }

    /// As a Markdown table (readable in a terminal, pasteable into docs).
    pub fn markdown(&self) -> String {
        let mut out = format!("### {}\n\n| {} |\n|", self.title, self.header.join(" | "));
        out.push_str(&" --- |".repeat(self.header.len()));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        out
    }
}

pub fn reports_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../reports/bench")
}

/// Writes `value` to `reports/bench/<suite>.json` and the table beside it.
pub fn save(suite: &str, value: &impl Serialize, table: &Table) -> anyhow::Result<PathBuf> {
    let dir = reports_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{suite}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(value)?)?;
    std::fs::write(dir.join(format!("{suite}.md")), table.markdown())?;
    Ok(path)
}

/// Machine facts printed with every run.
pub fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    serde_json::json!({
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "cpu": cpu,
        "memory_gib": (memory_gib * 10.0).round() / 10.0,
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
    })
}
