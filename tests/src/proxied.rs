//! The control room's test bench: chaos-proxy (in this process) with one
//! proxy, `gateway`, in front of the shop's gateway, and a storefront that
//! reaches the gateway only through it, visited ten times a second. Faults
//! on that proxy are what the room switches and what its experiments break.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use platform::test_util::{Served, serve};
use serde_json::json;

use crate::Shop;

pub struct ProxiedStorefront {
    /// chaos-proxy's control API (`/proxies`, `/metrics`).
    pub control_url: String,
    /// The storefront behind the proxy.
    pub storefront: Served,
    visiting: Arc<AtomicBool>,
    traffic: tokio::task::JoinHandle<()>,
}

impl ProxiedStorefront {
    pub async fn start(shop: &Shop) -> Self {
        let (proxies, control_api) = chaos::proxy::control_api();
        let control = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let control_url = format!("http://{}", control.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(control, control_api).await });
        let gateway = shop.gateway.address.trim_start_matches("http://").to_owned();
        let proxy = proxies
            .create(
                serde_json::from_value(json!({ "name": "gateway", "listen": "127.0.0.1:0", "upstream": gateway }))
                    .unwrap(),
            )
            .await
            .unwrap();
        let settings = web::configuration::Settings::for_tests(&format!("http://{}", proxy.listen));
        let storefront = serve(web::startup::build(settings).await);
        let visiting = Arc::new(AtomicBool::new(true));
        let traffic = tokio::spawn({
            let (client, visiting) = (storefront.client(), visiting.clone());
            async move {
                while visiting.load(Ordering::Relaxed) {
                    let _ = client.get("/").await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
        Self { control_url, storefront, visiting, traffic }
    }

    /// `host:port` of the control API, as Prometheus scrapes it.
    pub fn control_address(&self) -> String {
        self.control_url.trim_start_matches("http://").to_owned()
    }

    /// Stops the visits (and checks they ran without a panic).
    pub async fn stop(self) {
        self.visiting.store(false, Ordering::Relaxed);
        self.traffic.await.unwrap();
    }
}
