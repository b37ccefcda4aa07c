//! A real Prometheus for tests: on the host network (so it scrapes servers
//! listening on 127.0.0.1 in the test process), scraping every second.
//!
//! The image is `TESTBED_PROMETHEUS_IMAGE`, else the official
//! `prom/prometheus:v2.53.0` if it is here or can be pulled, else the
//! locally built `testbed/prometheus:2` (deploy/images/).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use testcontainers_modules::testcontainers::core::{Mount, WaitFor};
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::{ContainerAsync, GenericImage, ImageExt};

pub fn prometheus_image() -> String {
    if let Ok(image) = std::env::var("TESTBED_PROMETHEUS_IMAGE") {
        return image;
    }
    let official = "prom/prometheus:v2.53.0";
    let present = |image: &str| {
        Command::new("docker").args(["image", "inspect", image]).output().is_ok_and(|o| o.status.success())
    };
    let pulled = || Command::new("docker").args(["pull", "-q", official]).output().is_ok_and(|o| o.status.success());
    if present(official) || pulled() { official.to_owned() } else { "testbed/prometheus:2".to_owned() }
}

/// A running Prometheus; stopped and removed when dropped.
pub struct TestPrometheus {
    /// `http://127.0.0.1:<port>`
    pub base: String,
    _container: ContainerAsync<GenericImage>,
}

impl TestPrometheus {
    /// Scrapes `targets` (job name, `host:port` or `host:port/path`) every second; loads the
    /// rule files of `rules` when given.
    pub async fn start(targets: &[(String, String)], rules: Option<&Path>) -> Self {
        let port = super::port_for_a_server();
        let dir = std::env::temp_dir().join(format!("testbed-prometheus-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let scrape: String = targets
            .iter()
            .map(|(job, address)| match address.split_once('/') {
                // `host:port/path`: scraped at that path instead of /metrics.
                Some((host, path)) => format!(
                    "      - targets: ['{host}']\n        labels: {{ job: {job}, __metrics_path__: '/{path}' }}\n"
                ),
                None => format!("      - targets: ['{address}']\n        labels: {{ job: {job} }}\n"),
            })
            .collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - /etc/prometheus/rules/*.yml\nscrape_configs:\n  - job_name: test\n    static_configs:\n{scrape}"
        );
        std::fs::write(dir.join("prometheus.yml"), config).unwrap();
        let rules: PathBuf = match rules {
            Some(rules) => rules.to_path_buf(),
            None => {
                let empty = dir.join("rules");
                std::fs::create_dir_all(&empty).unwrap();
                empty
            }
        };
        let image = prometheus_image();
        let (name, tag) = image.rsplit_once(':').unwrap();
        let container = GenericImage::new(name, tag)
            .with_wait_for(WaitFor::message_on_stderr("Server is ready to receive web requests."))
            .with_network("host")
            .with_mount(Mount::bind_mount(
                dir.join("prometheus.yml").display().to_string(),
                "/etc/prometheus/prometheus.yml",
            ))
            .with_mount(Mount::bind_mount(rules.display().to_string(), "/etc/prometheus/rules"))
            .with_cmd([
                "--config.file=/etc/prometheus/prometheus.yml".to_owned(),
                "--storage.tsdb.path=/prometheus".to_owned(),
                format!("--web.listen-address=127.0.0.1:{port}"),
                "--enable-feature=exemplar-storage".to_owned(),
            ])
            .with_startup_timeout(Duration::from_secs(60))
            .start()
            .await
            .expect("Prometheus starts");
        Self { base: format!("http://127.0.0.1:{port}"), _container: container }
    }

    /// The result of an instant query (panics on an error answer).
    pub async fn query(&self, expr: &str) -> serde_json::Value {
        let response = reqwest::Client::new()
            .get(format!("{}/api/v1/query", self.base))
            .query(&[("query", expr)])
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], "success", "{expr}: {body}");
        body["data"]["result"].clone()
    }

    pub async fn has_series(&self, expr: &str) -> bool {
        self.query(expr).await.as_array().is_some_and(|r| !r.is_empty())
    }
}
