//! Resumes sagas nobody is running: after a crash or restart, or when a
//! step's retry is due. Runs at start-up and then periodically.

use std::sync::Arc;
use std::time::Duration;

use super::SagaRunner;

pub fn spawn_recovery(runner: Arc<SagaRunner>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match crate::store::due_sagas(runner.pool(), 50).await {
                Ok(due) => {
                    for order_id in due {
                        tracing::info!(%order_id, "resuming saga");
                        let runner = runner.clone();
                        tokio::spawn(async move { runner.run(order_id).await });
                    }
                }
                Err(error) => tracing::warn!(error = %error, "looking for pending sagas failed"),
            }
            tokio::time::sleep(every).await;
        }
    })
}
