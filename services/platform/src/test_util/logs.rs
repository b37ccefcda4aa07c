//! The logs of the code under test: shown on demand, or captured to assert on.

/// Logs of the code under test, shown only when `TEST_LOG` is set.
pub fn init_test_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        let settings = crate::config::TelemetrySettings::logs_only("debug,sqlx=warn,hyper=info");
        std::mem::forget(crate::telemetry::init_telemetry("test", &settings));
    }
}

/// Log output captured in memory (a `MakeWriter` for the JSON log layer).
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("poisoned")).into_owned()
    }

    /// Every line so far, parsed.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        let bytes = self.0.lock().expect("poisoned").clone();
        String::from_utf8_lossy(&bytes).lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLogs {
    type Writer = CapturedLogs;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
