//! Telling what runs beside the HTTP server that the service is stopping.
//!
//! On SIGTERM the server flips one [`StopSignal`]: `/ready` answers 503 at
//! once, consumers stop taking deliveries (what they prefetched goes back to
//! the queue), the outbox relay stops between batches; the server keeps
//! answering for the shutdown delay, refuses new connections after it,
//! drains in-flight requests within the grace period, then waits for the
//! background tasks and closes the pool (`server.rs`).

use tokio::sync::watch;

/// Says "stop" once; every [`Stopping`] made from it hears it.
#[derive(Debug)]
pub struct StopSignal(watch::Sender<bool>);

impl Default for StopSignal {
    fn default() -> Self {
        Self(watch::channel(false).0)
    }
}

impl StopSignal {
    pub fn new() -> Self {
        Self::default()
    }

    /// A listener for this signal, one per background task.
    pub fn stopping(&self) -> Stopping {
        Stopping(self.0.subscribe())
    }

    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

/// Whether the service is stopping.
#[derive(Debug, Clone)]
pub struct Stopping(watch::Receiver<bool>);

impl Stopping {
    /// Never stops: for work that lasts as long as the process.
    pub fn never() -> Self {
        // The sender is dropped at once: nobody can ever say stop.
        Self(watch::channel(false).1)
    }

    pub fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once the service is stopping; never, if it cannot be stopped.
    pub async fn wait(&mut self) {
        if self.0.wait_for(|stopping| *stopping).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn every_listener_hears_the_one_stop() {
        let signal = StopSignal::new();
        let (mut first, mut second) = (signal.stopping(), signal.stopping());
        assert!(!first.is_stopping());
        assert!(tokio::time::timeout(Duration::from_secs(3600), first.wait()).await.is_err(), "not before stop");
        signal.stop();
        first.wait().await;
        second.wait().await;
        assert!(first.is_stopping() && second.is_stopping());
    }

    #[tokio::test(start_paused = true)]
    async fn never_never_stops() {
        let mut never = Stopping::never();
        assert!(tokio::time::timeout(Duration::from_secs(3600), never.wait()).await.is_err());
        assert!(!never.is_stopping());
    }
}
