//! The overall timeout (`<DEP>_TIMEOUT_MS`): the call ends by then, whatever
//! the layers below are doing (retries and their back-off included). When it
//! fires, the inner future is dropped: an attempt in flight is abandoned and
//! the breaker counts it as a failure.

use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;

use super::{Call, CallError};

#[derive(Clone, Copy)]
pub struct DeadlineLayer {
    dependency: &'static str,
    timeout: Duration,
}

impl DeadlineLayer {
    pub fn new(dependency: &'static str, timeout: Duration) -> Self {
        Self { dependency, timeout }
    }
}

impl<S> tower::Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline { inner, layer: *self }
    }
}

#[derive(Clone)]
pub struct Deadline<S> {
    inner: S,
    layer: DeadlineLayer,
}

impl<S> tower::Service<Call> for Deadline<S>
where
    S: tower::Service<Call, Response = reqwest::Response, Error = CallError>,
    S::Future: Send + 'static,
{
    type Response = reqwest::Response;
    type Error = CallError;
    type Future = BoxFuture<'static, Result<reqwest::Response, CallError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let DeadlineLayer { dependency, timeout } = self.layer;
        let future = self.inner.call(call);
        Box::pin(async move {
            tokio::time::timeout(timeout, future).await.unwrap_or(Err(CallError::Timeout { dependency, timeout }))
        })
    }
}
