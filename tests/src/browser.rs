//! A real browser for the storefront's tests: headless Chromium driven over
//! WebDriver by chromedriver (both Debian packages; `scripts/test.sh`
//! installs them). One browser per test, stopped with it: chromedriver
//! leads a process group of its own, and the browsers it starts go with it.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// Where screenshots go: CI keeps this folder.
pub fn screenshots_dir() -> PathBuf {
    crate::repository().join("reports/screenshots")
}

pub struct Browser {
    pub client: Client,
    /// chromedriver, reaped by tokio once its group is stopped.
    _driver: tokio::process::Child,
    _group: process_groups::Group,
}

impl Browser {
    /// Chromium at a phone's width when `phone`, a laptop's otherwise.
    pub async fn start(phone: bool) -> Self {
        let (driver, group, url) = start_chromedriver().await;
        let size = if phone { "--window-size=390,844" } else { "--window-size=1280,900" };
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                // --no-sandbox: the tests may run as root (CI), where
                // Chromium's sandbox refuses to start.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", size],
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else { unreachable!("an object literal") };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
            .expect("chromedriver starts a headless Chromium");
        Self { client, _driver: driver, _group: group }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The text of the first element matching `css`, waited for.
    pub async fn text(&self, css: &str) -> String {
        let element = self.wait_for(css).await;
        element.text().await.unwrap_or_else(|e| panic!("text of {css}: {e}"))
    }

    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css:?} on the page: {e}"))
    }

    /// Waits until the first element matching `css` reads `expected` (a page
    /// that reloads itself, such as an order following its saga).
    pub async fn wait_for_text(&self, css: &str, expected: &str, within: Duration) {
        platform::test_util::eventually(&format!("{css} reads {expected:?}"), within, || async {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.is_ok_and(|text| text == expected),
                Err(_) => false,
            }
        })
        .await;
    }

    /// Types `text` into the form field labelled `label` (found by the
    /// label's text, as a person or a screen reader finds it).
    pub async fn fill(&self, label: &str, text: &str) {
        let label_element = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&format!("//label[normalize-space()={label:?}]")))
            .await
            .unwrap_or_else(|e| panic!("no label {label:?}: {e}"));
        let id = label_element.attr("for").await.unwrap().unwrap_or_else(|| panic!("label {label:?} has no for"));
        let field = self.wait_for(&format!("#{id}")).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Clicks the button with this text or accessible name (`aria-label`).
    pub async fn press(&self, button: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&format!("//button[normalize-space()={button:?} or @aria-label={button:?}]")))
            .await
            .unwrap_or_else(|e| panic!("no button {button:?}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {button:?}: {e}"));
    }

    /// axe-core's audit of the page as it is now: the violations of impact
    /// `serious` or `critical`, as "rule (impact): nodes" lines.
    pub async fn serious_accessibility_violations(&self) -> Vec<String> {
        self.client.execute(axe_source(), vec![]).await.expect("axe-core loads into the page");
        let audit = "const done = arguments[arguments.length - 1];\
            axe.run(document)\
              .then(r => done({ passes: r.passes.length, violations: r.violations.map(v => ({ id: v.id,\
                 impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')) })) }))\
              .catch(e => done({ passes: 0, violations: [{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }] }));";
        let audit = self.client.execute_async(audit, vec![]).await.expect("axe-core runs");
        // An audit that checked nothing would pass anything.
        assert!(audit["passes"].as_u64().unwrap_or(0) > 0, "axe-core checked no rule: {audit}");
        audit["violations"]
            .as_array()
            .expect("a list of violations")
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| format!("{} ({}): {} at {}", v["id"], v["impact"], v["help"], v["nodes"]))
            .collect()
    }

    /// Signs up through the storefront at `base` (its form, as a person
    /// fills it in), with [`crate::PASSWORD`]; ends logged in. A screenshot
    /// of the filled form when `screenshot` names one.
    pub async fn sign_up(&self, base: &str, email: &str, name: &str, screenshot: Option<&str>) {
        self.goto(&format!("{base}/signup")).await;
        self.fill("E-mail address", email).await;
        self.fill("Your name", name).await;
        self.fill("Password (at least 12 characters)", crate::PASSWORD).await;
        if let Some(screenshot) = screenshot {
            self.screenshot(screenshot).await;
        }
        self.press("Create the account").await;
        self.wait_for("form[action='/logout']").await;
    }

    /// Logs in through the storefront's form at `base` as a person does;
    /// ends on the page the form leads to, logged in.
    pub async fn log_in(&self, base: &str, email: &str, password: &str) {
        self.goto(&format!("{base}/login")).await;
        self.fill("E-mail address", email).await;
        self.fill("Password", password).await;
        self.press("Log in").await;
        self.wait_for("form[action='/logout']").await;
    }

    /// Writes the page as it looks now to `reports/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir).expect("the screenshots folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("the screenshot written");
    }

    /// Ends the WebDriver session (the browser quits), then chromedriver.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// axe-core (Deque's accessibility engine, MPL-2.0) as PyPI's
/// `axe-playwright-python` ships it: `scripts/test.sh` installs that package
/// (without Playwright), and this reads its `axe.min.js`.
fn axe_source() -> &'static str {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(|| {
        let find = "import importlib.util, os; \
            spec = importlib.util.find_spec('axe_playwright_python'); \
            print(os.path.join(os.path.dirname(spec.origin), 'axe.min.js'))";
        let output = std::process::Command::new("python3").args(["-c", find]).output().expect("python3 runs");
        let path = String::from_utf8(output.stdout).expect("a path").trim().to_owned();
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("axe-core's axe.min.js at {path:?}: {e} (pip install --no-deps axe-playwright-python; scripts/test.sh does)")
        })
    })
}

/// chromedriver on a free port, answering: (the child, its group, its URL).
/// The port is free when chosen but may be taken before chromedriver binds
/// it (another test's container, say): then chromedriver exits, and it is
/// started again on another port. Its log goes to `reports/chromedriver/`.
async fn start_chromedriver() -> (tokio::process::Child, process_groups::Group, String) {
    let logs = crate::repository().join("reports/chromedriver");
    std::fs::create_dir_all(&logs).expect("the chromedriver log folder");
    for _attempt in 0..3 {
        let port = free_port();
        let log = logs.join(format!("{port}.log"));
        let mut command = tokio::process::Command::new("chromedriver");
        command
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        process_groups::isolate(&mut command);
        let mut driver =
            command.spawn().expect("chromedriver runs (Debian's chromium-driver package; scripts/test.sh installs it)");
        let group = process_groups::Group::led_by(driver.id().expect("a running child has a pid"));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if reqwest::get(format!("{url}/status")).await.is_ok_and(|r| r.status().is_success()) {
                return (driver, group, url);
            }
            if let Ok(Some(status)) = driver.try_wait() {
                eprintln!("chromedriver on port {port} exited ({status}), see {}; trying another port", log.display());
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chromedriver did not answer in 60 s (log: {})",
                log.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    panic!("chromedriver did not start on three ports (logs: {})", logs.display());
}

/// A port nobody listens on now (the OS picks it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}
