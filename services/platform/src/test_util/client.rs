//! Talking to a service under test as its callers do: identities, a
//! client, the JSON error shape.

/// Callers for tests, as the gateway would pass them.
pub fn customer() -> crate::Caller {
    crate::Caller { user_id: uuid::Uuid::new_v4(), role: crate::Role::Customer }
}

pub fn admin() -> crate::Caller {
    crate::Caller { user_id: uuid::Uuid::new_v4(), role: crate::Role::Admin }
}

/// Adds a caller's identity headers to a request.
pub trait WithCaller {
    fn with_caller(self, caller: &crate::Caller) -> Self;
}

impl WithCaller for reqwest::RequestBuilder {
    fn with_caller(self, caller: &crate::Caller) -> Self {
        let mut headers = axum::http::HeaderMap::new();
        caller.write_headers(&mut headers);
        self.headers(headers)
    }
}

/// Status and error code of an answer in the JSON error shape; panics (with
/// the body) when the answer is not in that shape.
pub async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body: crate::error::ErrorBody =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not the JSON error shape ({e}): {status} {text}"));
    (status, body.error.code)
}

/// A client for black-box tests of one running service.
#[derive(Clone)]
pub struct TestClient {
    pub address: String,
    pub http: reqwest::Client,
}

impl TestClient {
    pub fn new(address: std::net::SocketAddr) -> Self {
        Self { address: format!("http://{address}"), http: reqwest::Client::new() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A request as `caller`, or anonymous with `None`.
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        caller: Option<&crate::Caller>,
    ) -> reqwest::RequestBuilder {
        let request = self.http.request(method, self.url(path));
        match caller {
            Some(caller) => request.with_caller(caller),
            None => request,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path, None).send().await.expect("request")
    }

    /// GET that must answer 200 with JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        let status = response.status();
        let text = response.text().await.expect("body");
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str(&text).expect("json")
    }

    pub async fn get_as(&self, caller: &crate::Caller, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path, Some(caller)).send().await.expect("request")
    }

    pub async fn post(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.request(reqwest::Method::POST, path, None).json(body).send().await.expect("request")
    }

    pub async fn post_as(&self, caller: &crate::Caller, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.request(reqwest::Method::POST, path, Some(caller)).json(body).send().await.expect("request")
    }

    pub async fn put_as(
        &self,
        caller: Option<&crate::Caller>,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.request(reqwest::Method::PUT, path, caller).json(body).send().await.expect("request")
    }

    pub async fn patch_as(&self, caller: &crate::Caller, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.request(reqwest::Method::PATCH, path, Some(caller)).json(body).send().await.expect("request")
    }

    pub async fn delete_as(&self, caller: &crate::Caller, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::DELETE, path, Some(caller)).send().await.expect("request")
    }
}
