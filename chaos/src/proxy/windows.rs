//! Which faults are in place now, for the dashboards' shaded windows.
//!
//! The proxy sees its own toxics (`chaos_proxy_active_toxics`), but not a
//! stopped, partitioned or squeezed container, nor a surge of load. The
//! experiment runner announces every fault it puts in place here, under the
//! experiment's name for it, and takes it away when the fault ends:
//! `chaos_fault_active{fault, kind, target}` is 1 while it lasts. Every
//! dashboard's "Fault windows" annotation reads it.
//!
//! ```text
//! PUT    /faults/{name}   {"kind": "partition", "target": "container payments"}
//! DELETE /faults/{name}
//! GET    /faults          {"payments partitioned": {"kind": ..., "target": ...}}
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use serde::{Deserialize, Serialize};

/// A fault in place: what it does, and to what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// The toxic type or the action: latency, disable, kill, partition, squeeze, surge …
    pub kind: String,
    /// What it acts on: "proxy orders-payments", "container payments", "gateway".
    pub target: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WindowLabels {
    pub fault: String,
    pub kind: String,
    pub target: String,
}

#[derive(Clone, Default)]
pub struct FaultWindows {
    open: Arc<Mutex<BTreeMap<String, Window>>>,
    /// 1 while the fault lasts, 0 after (so a window ends with a value, not
    /// with a series that just stops).
    pub gauge: Family<WindowLabels, Gauge>,
}

impl FaultWindows {
    /// Opens (or re-opens) the window of fault `name`.
    pub fn open(&self, name: &str, window: Window) {
        let mut open = self.open.lock().expect("poisoned");
        if let Some(previous) = open.insert(name.to_owned(), window.clone()) {
            self.gauge.get_or_create(&labels(name, &previous)).set(0);
        }
        self.gauge.get_or_create(&labels(name, &window)).set(1);
    }

    /// Closes it; `false` when no such fault was in place.
    pub fn close(&self, name: &str) -> bool {
        let removed = self.open.lock().expect("poisoned").remove(name);
        if let Some(window) = &removed {
            self.gauge.get_or_create(&labels(name, window)).set(0);
        }
        removed.is_some()
    }

    pub fn list(&self) -> BTreeMap<String, Window> {
        self.open.lock().expect("poisoned").clone()
    }
}

fn labels(name: &str, window: &Window) -> WindowLabels {
    WindowLabels { fault: name.to_owned(), kind: window.kind.clone(), target: window.target.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(windows: &FaultWindows, fault: &str, kind: &str) -> i64 {
        let labels = WindowLabels { fault: fault.into(), kind: kind.into(), target: "container payments".into() };
        windows.gauge.get_or_create(&labels).get()
    }

    #[test]
    fn a_window_is_1_while_open_and_0_once_closed() {
        let windows = FaultWindows::default();
        let window = Window { kind: "partition".into(), target: "container payments".into() };
        windows.open("cut", window.clone());
        assert_eq!(value(&windows, "cut", "partition"), 1);
        assert_eq!(windows.list(), BTreeMap::from([("cut".to_owned(), window)]));
        assert!(windows.close("cut"));
        assert_eq!(value(&windows, "cut", "partition"), 0);
        assert!(!windows.close("cut"), "closed already");
        assert!(windows.list().is_empty());
    }

    #[test]
    fn reopening_under_another_kind_closes_the_old_series() {
        let windows = FaultWindows::default();
        windows.open("f", Window { kind: "stop".into(), target: "container payments".into() });
        windows.open("f", Window { kind: "kill".into(), target: "container payments".into() });
        assert_eq!((value(&windows, "f", "stop"), value(&windows, "f", "kill")), (0, 1));
    }
}
