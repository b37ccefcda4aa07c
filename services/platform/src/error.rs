//! The one error type every handler returns, and its JSON body:
//! `{"error":{"code":"not_found","message":"product 42 does not exist"}}`.
//!
//! Causes of 5xx answers are logged in full (with their chain) where they are
//! turned into a response; clients only ever see an opaque message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Wire shape of every error answer.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: clients branch on this, never on `message`.
    pub code: String,
    pub message: String,
}

/// An error that knows its HTTP meaning.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("{dependency} is unavailable")]
    DependencyUnavailable { dependency: String },
    #[error("service overloaded")]
    Overloaded,
    #[error("request took too long")]
    Timeout,
    /// An extractor refused the request (bad JSON, bad query, too large ...).
    #[error("{message}")]
    Rejected { status: StatusCode, code: &'static str, message: String },
    /// Anything we did not expect. Logged in full, answered as an opaque 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unprocessable { code, message: message.into() }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::Unauthorized(message.into())
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }
    pub fn unavailable(dependency: impl Into<String>) -> Self {
        Self::DependencyUnavailable { dependency: dependency.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::DependencyUnavailable { .. } | Self::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            Self::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Rejected { status, .. } => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Conflict { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::Rejected { code, .. } => code,
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::DependencyUnavailable { .. } => "dependency_unavailable",
            Self::Overloaded => "overloaded",
            Self::Timeout => "timeout",
            Self::Internal(_) => "internal",
        }
    }
}

/// An error with its causes, outermost first ("client error (Connect):
/// tcp connect error: Connection refused"): many errors' own message only
/// names the stage that failed.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        text.push_str(": ");
        text.push_str(&error.to_string());
        cause = error.source();
    }
    text
}

/// Builds an error response from parts; used where no `ApiError` exists
/// (rejections of extractors, responses of layers).
pub fn error_response(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = ErrorBody { error: ErrorDetail { code: code.to_owned(), message: message.into() } };
    (status, axum::Json(body)).into_response()
}

/// A stable code for a bare status, for answers that did not come from us.
pub fn code_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::BAD_GATEWAY => "bad_gateway",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        StatusCode::GATEWAY_TIMEOUT => "timeout",
        s if s.is_client_error() => "client_error",
        _ => "internal",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            Self::Internal(cause) => {
                // `{:#}` prints the whole cause chain on one line.
                tracing::error!(error = %format!("{cause:#}"), "request failed");
                "internal error".to_owned()
            }
            other => {
                if status.is_server_error() {
                    tracing::warn!(error = %other, "request failed");
                }
                other.to_string()
            }
        };
        let mut response = error_response(status, self.code(), message);
        let retry_after = match self {
            Self::TooManyRequests { retry_after_secs } => Some(retry_after_secs.max(1)),
            // Shedding is momentary, and so is a full pool or an open
            // breaker: tell well-behaved clients to come back soon.
            Self::Overloaded | Self::DependencyUnavailable { .. } => Some(1),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut => Self::unavailable("database"),
            // What the client sent, refused by Postgres itself: a NUL in a
            // text (22021) or a number beyond its column (22003). A safety
            // net under the domain types' own rules, found by fuzzing.
            sqlx::Error::Database(db) if db.code().as_deref() == Some("22021") => {
                Self::unprocessable("invalid_text", "text must not contain NUL characters")
            }
            sqlx::Error::Database(db) if db.code().as_deref() == Some("22003") => {
                Self::unprocessable("out_of_range", "a number is beyond what can be stored")
            }
            other => Self::Internal(anyhow::Error::new(other).context("database query failed")),
        }
    }
}

/// Maps Postgres constraint violations to the answer they mean, so that a
/// handler never matches on error strings.
pub trait DbResultExt<T> {
    /// A unique violation becomes 409 with `code`/`message`.
    fn on_unique_violation(self, code: &'static str, message: &str) -> Result<T, ApiError>;
}

impl<T> DbResultExt<T> for Result<T, sqlx::Error> {
    fn on_unique_violation(self, code: &'static str, message: &str) -> Result<T, ApiError> {
        self.map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => ApiError::conflict(code, message),
            _ => ApiError::from(error),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> ErrorBody {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn internal_errors_hide_their_cause() {
        let response = ApiError::from(anyhow::anyhow!("password=hunter2 leaked")).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_of(response).await;
        assert_eq!(body.error.code, "internal");
        assert!(!body.error.message.contains("hunter2"));
    }

    #[tokio::test]
    async fn rate_limited_answers_carry_retry_after() {
        let response = ApiError::TooManyRequests { retry_after_secs: 3 }.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "3");
        assert_eq!(body_of(response).await.error.code, "rate_limited");
    }

    #[tokio::test]
    async fn a_dependency_that_is_down_for_now_is_a_retryable_503() {
        let response = ApiError::unavailable("database").into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(body_of(response).await.error.code, "dependency_unavailable");
    }
}
