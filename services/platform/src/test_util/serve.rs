//! Running a built service in the background of a test.

use std::net::SocketAddr;

use tokio::sync::oneshot;

use super::TestClient;
use crate::server::HttpServer;

/// Runs a built server in the background for the rest of the test.
pub fn serve_in_background<F>(server: F)
where
    F: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(error) = server.await {
            panic!("server under test failed: {error:#}");
        }
    });
}

/// A service under test, served in the background for the rest of the test
/// (also once this is dropped), or until [`Served::stop`].
pub struct Served {
    pub address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

/// Serves a built service in the background; panics when it did not build.
pub fn serve(app: anyhow::Result<HttpServer>) -> Served {
    let app = app.unwrap_or_else(|error| panic!("the service under test did not build: {error:#}"));
    let address = app.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    serve_in_background(app.run_until(async move {
        // A dropped `Served` means "for the rest of the test".
        if stopped.await.is_err() {
            std::future::pending::<()>().await;
        }
    }));
    Served { address, stop: Some(stop) }
}

impl Served {
    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn client(&self) -> TestClient {
        TestClient::new(self.address)
    }

    /// Stops serving (as a crash would: mid-whatever).
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
