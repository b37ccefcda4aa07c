//! The control API's errors, with Toxiproxy's messages and statuses.

/// An API error, with Toxiproxy's messages and statuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub message: String,
    pub status: u16,
}

impl ApiError {
    pub(super) fn new(message: impl Into<String>, status: u16) -> Self {
        Self { message: message.into(), status }
    }
    pub fn proxy_not_found() -> Self {
        Self::new("proxy not found", 404)
    }
    pub(super) fn proxy_exists() -> Self {
        Self::new("proxy already exists", 409)
    }
    pub(super) fn missing(field: &str) -> Self {
        Self::new(format!("missing required field: {field}"), 400)
    }
    pub fn fault_not_found() -> Self {
        Self::new("fault not found", 404)
    }
    pub(super) fn toxic_not_found() -> Self {
        Self::new("toxic not found", 404)
    }
    pub(super) fn toxic_exists() -> Self {
        Self::new("toxic already exists", 409)
    }
    pub(super) fn invalid_toxic(detail: impl std::fmt::Display) -> Self {
        Self::new(format!("invalid toxic type: {detail}"), 400)
    }
    pub fn bad_body(detail: impl std::fmt::Display) -> Self {
        Self::new(format!("bad request body: {detail}"), 400)
    }
}
