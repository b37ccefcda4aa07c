//! One attempt: pick an instance, send, bounded by the attempt timeout.
//! An instance that refuses, times out or answers 502/503/504 is ejected
//! from rotation for a while (see `upstream`); the retry layer above decides
//! whether to try again (and so reach another instance).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::{Call, CallError};
use crate::upstream::UpstreamPool;

/// hyper's pooled HTTP/1 client, used directly: reqwest, which this stack
/// used before, parsed every URL twice (into a `Url`, then an `http::Uri`)
/// and cloned its client per call, for features (TLS, redirects, cookies,
/// proxies) that calls between services do not use.
pub(super) type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// The connection pool for one dependency: connections opened within
/// `connect_timeout`, kept 30 s when idle, Nagle off (small requests).
pub(super) fn http_client(connect_timeout: Duration) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(connect_timeout));
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_timer(TokioTimer::new())
        .build(connector)
}

#[derive(Clone)]
pub struct Attempt {
    pub(super) name: &'static str,
    pub(super) pool: Arc<UpstreamPool>,
    pub(super) http: HttpClient,
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
        let uri: http::Uri = url.parse().map_err(|e| CallError::Unavailable {
            dependency: self.name,
            reason: format!("{url:?} is not a URL: {e}"),
        })?;
        let mut request = http::Request::new(Full::new(call.body.clone().unwrap_or_default()));
        *request.method_mut() = call.method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = call.headers.clone();
        // The attempt's time covers the answer's body too, as it did with reqwest.
        let deadline = tokio::time::Instant::now() + self.timeout;
        match tokio::time::timeout_at(deadline, self.http.request(request)).await {
            Ok(Ok(response)) => {
                if matches!(response.status().as_u16(), 502..=504) {
                    self.pool.eject(&instance);
                } else {
                    self.pool.restore(&instance);
                }
                let (head, body) = response.into_parts();
                let body = BoundedBody { inner: body, deadline: Box::pin(tokio::time::sleep_until(deadline)) };
                Ok(http::Response::from_parts(head, reqwest::Body::wrap(body)).into())
            }
            Ok(Err(error)) => {
                self.pool.eject(&instance);
                let reason = crate::error::with_causes(&error);
                Err(if error.is_connect() {
                    // Refused or unreachable: the request never left.
                    CallError::Unavailable { dependency: self.name, reason }
                } else {
                    CallError::Interrupted { dependency: self.name, reason }
                })
            }
            Err(_) => {
                self.pool.eject(&instance);
                Err(CallError::Timeout { dependency: self.name, timeout: self.timeout })
            }
        }
    }
}

/// An answer's body that fails once the attempt's time is up: an instance
/// that sends its head and then stalls must not hold the caller forever.
struct BoundedBody<B> {
    inner: B,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl<B> Body for BoundedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                Poll::Ready(Some(Err("the answer's body did not arrive within the attempt's time".into())))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
