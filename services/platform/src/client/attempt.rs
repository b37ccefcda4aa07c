//! One attempt: pick an instance, send, bounded by the attempt timeout.
//! An instance that refuses, times out or answers 502/503/504 is ejected
//! from rotation for a while (see `upstream`); the retry layer above decides
//! whether to try again (and so reach another instance).

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;

use super::{Call, CallError};
use crate::upstream::UpstreamPool;

#[derive(Clone)]
pub struct Attempt {
    pub(super) name: &'static str,
    pub(super) pool: Arc<UpstreamPool>,
    pub(super) http: reqwest::Client,
    pub(super) timeout: Duration,
}

impl tower::Service<Call> for Attempt {
    type Response = reqwest::Response;
    type Error = CallError;
    type Future = BoxFuture<'static, Result<reqwest::Response, CallError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.send(call).await })
    }
}

impl Attempt {
    async fn send(self, call: Call) -> Result<reqwest::Response, CallError> {
        let Some(instance) = self.pool.pick() else {
            return Err(CallError::Unavailable { dependency: self.name, reason: "no instance known".into() });
        };
        tracing::Span::current().record("server.address", instance.base_url.as_str());
        let url = format!("{}{}", instance.base_url, call.path_and_query);
        let mut request =
            self.http.request(call.method.clone(), &url).headers(call.headers.clone()).timeout(self.timeout);
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }
        match request.send().await {
            Ok(response) => {
                if matches!(response.status().as_u16(), 502..=504) {
                    self.pool.eject(&instance);
                } else {
                    self.pool.restore(&instance);
                }
                Ok(response)
            }
            Err(error) => {
                self.pool.eject(&instance);
                Err(if error.is_timeout() {
                    CallError::Timeout { dependency: self.name, timeout: self.timeout }
                } else if error.is_connect() {
                    // Refused or unreachable: the request never left.
                    CallError::Unavailable { dependency: self.name, reason: error.to_string() }
                } else {
                    CallError::Interrupted { dependency: self.name, reason: error.to_string() }
                })
            }
        }
    }
}
