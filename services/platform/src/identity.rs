//! Who is calling. The gateway verifies the caller's access token and passes
//! the identity downstream in two headers; services trust them because only
//! the gateway is reachable from outside (it strips these headers from
//! client requests, so a client cannot forge them).

use std::fmt;
use std::str::FromStr;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;

pub const USER_ID_HEADER: HeaderName = HeaderName::from_static("x-user-id");
pub const USER_ROLE_HEADER: HeaderName = HeaderName::from_static("x-user-role");

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "customer" => Ok(Role::Customer),
            "admin" => Ok(Role::Admin),
            other => Err(format!("unknown role {other:?}")),
        }
    }
}

/// An authenticated caller, as established by the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// 403 unless the caller is an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() { Ok(()) } else { Err(ApiError::forbidden("admin role required")) }
    }

    /// True when the caller may act on `user_id`'s resources.
    pub fn may_access(&self, user_id: Uuid) -> bool {
        self.is_admin() || self.user_id == user_id
    }

    /// Writes the identity headers, for calls made on the caller's behalf.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        let id = HeaderValue::try_from(self.user_id.to_string()).expect("a uuid is a valid header value");
        headers.insert(USER_ID_HEADER, id);
        headers.insert(USER_ROLE_HEADER, HeaderValue::from_static(self.role.as_str()));
    }

    /// Reads the identity headers; `None` when absent, `Err` when malformed.
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<Self>, ApiError> {
        let Some(id) = headers.get(&USER_ID_HEADER) else {
            return Ok(None);
        };
        let malformed = || ApiError::unauthorized("malformed identity");
        let user_id = id.to_str().ok().and_then(|s| s.parse().ok()).ok_or_else(malformed)?;
        let role = headers
            .get(&USER_ROLE_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.parse().ok())
            .ok_or_else(malformed)?;
        Ok(Some(Self { user_id, role }))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::from_headers(&parts.headers)?.ok_or_else(|| ApiError::unauthorized("missing credentials"))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Self::from_headers(&parts.headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_round_trips_through_headers() {
        let caller = Caller { user_id: Uuid::new_v4(), role: Role::Admin };
        let mut headers = HeaderMap::new();
        caller.write_headers(&mut headers);
        assert_eq!(Caller::from_headers(&headers).unwrap(), Some(caller));
    }

    #[test]
    fn malformed_identity_is_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(USER_ID_HEADER, HeaderValue::from_static("not-a-uuid"));
        headers.insert(USER_ROLE_HEADER, HeaderValue::from_static("admin"));
        assert!(Caller::from_headers(&headers).is_err());
    }
}
