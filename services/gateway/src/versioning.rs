//! API versions at the edge: by URL (`/api/v1/…`, `/api/v2/…`) and by
//! header (`Api-Version: 2` on the unversioned `/api/…`).
//!
//! v2 changed products, recommendations, orders and the dashboard (money as
//! a decimal string with its currency, cursor pagination). Every other
//! resource is the same in both versions: a v2 request for it is served by
//! its v1 route, so that a client can move to v2 as a whole. v1 answers of
//! the changed resources carry `Deprecation`, `Sunset` and a `Link` to
//! their successor; every answer says which version served it.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use platform::ApiError;
use prometheus_client::encoding::EncodeLabelSet;
use tower::ServiceExt;

use crate::metrics::GatewayMetrics;

pub const API_VERSION: HeaderName = HeaderName::from_static("api-version");
const DEPRECATION: HeaderName = HeaderName::from_static("deprecation");
const SUNSET: HeaderName = HeaderName::from_static("sunset");

/// When v1 of the changed resources was deprecated (RFC 9745: `@` and a
/// Unix time): 2026-12-01T00:00:00Z.
const DEPRECATED_SINCE: &str = "@1796083200";
/// When those v1 routes stop answering (RFC 8594, an HTTP date).
const SUNSET_AT: &str = "Tue, 01 Jun 2027 00:00:00 GMT";

/// The versions this gateway serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiVersion {
    V1,
    V2,
}

impl ApiVersion {
    pub fn number(self) -> &'static str {
        match self {
            Self::V1 => "1",
            Self::V2 => "2",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "1" => Some(Self::V1),
            "2" => Some(Self::V2),
            _ => None,
        }
    }
}

/// How a request chose its version, for the migration panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelectedBy {
    /// `/api/v1/…` or `/api/v2/…`
    Path,
    /// `Api-Version` on `/api/…`
    Header,
    /// `/api/…` without the header: v1, the version clients had before v2.
    Default,
}

impl SelectedBy {
    fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Header => "header",
            Self::Default => "default",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VersionLabels {
    /// 1 or 2
    pub version: &'static str,
    /// path, header or default (no header on `/api/…`: v1)
    pub selected_by: &'static str,
}

/// Resources whose wire shape changed in v2: they have a v2 route of their
/// own and their v1 route is deprecated.
const CHANGED_IN_V2: [&str; 4] = ["products", "recommendations", "orders", "dashboard"];
/// Resources v2 took over unchanged: served by their v1 routes.
pub const SAME_IN_V2: [&str; 5] = ["auth", "users", "categories", "inventory", "notifications"];

/// The version a request was served as, when it was routed here (a v2
/// request for an unchanged resource travels on a v1 path).
#[derive(Debug, Clone, Copy)]
struct Served {
    version: ApiVersion,
    selected_by: SelectedBy,
}

fn resource_of(rest: &str) -> &str {
    rest.split(['/', '?']).next().unwrap_or_default()
}

/// Routes a request for `/api/{rest}` as `version`: to the versioned path
/// that serves it, through `routes` (identity, rate limit and all).
async fn dispatch(
    routes: Router,
    mut request: Request,
    version: ApiVersion,
    selected_by: SelectedBy,
    rest: &str,
) -> Response {
    let resource = resource_of(rest);
    let unchanged = SAME_IN_V2.contains(&resource);
    if !unchanged && !CHANGED_IN_V2.contains(&resource) {
        return ApiError::not_found(format!("no resource /api/{resource}")).into_response();
    }
    // What v2 took over unchanged travels on its v1 route.
    let path_version = if unchanged { ApiVersion::V1 } else { version };
    let query = request.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
    let Ok(uri) = format!("/api/v{}/{rest}{query}", path_version.number()).parse::<Uri>() else {
        return ApiError::bad_request("invalid_path", "the path is not a valid URI").into_response();
    };
    *request.uri_mut() = uri;
    request.extensions_mut().insert(Served { version, selected_by });
    match routes.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// `/api/{*rest}`: the version from `Api-Version` (v1 without it). Also
/// catches `/api/v3/…` and unknown resources, which get a 404 that says so.
pub async fn negotiate(State(routes): State<Router>, request: Request) -> Response {
    let rest = request.uri().path().trim_start_matches("/api/").to_owned();
    if let Some(number) = resource_of(&rest).strip_prefix('v')
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
    {
        let message = match ApiVersion::parse(number) {
            Some(_) => format!("no route {}", request.uri().path()),
            None => format!("API version {number} does not exist: use v1 or v2"),
        };
        return ApiError::not_found(message).into_response();
    }
    let (version, selected_by) = match request.headers().get(API_VERSION) {
        None => (ApiVersion::V1, SelectedBy::Default),
        Some(value) => match value.to_str().ok().and_then(ApiVersion::parse) {
            Some(version) => (version, SelectedBy::Header),
            None => return unsupported(value).into_response(),
        },
    };
    dispatch(routes, request, version, selected_by, &rest).await
}

/// `/api/v2/{*rest}` that no v2 route matched: a resource v2 took over
/// unchanged, or none.
pub async fn carry_over(State(routes): State<Router>, request: Request) -> Response {
    let rest = request.uri().path().trim_start_matches("/api/v2/").to_owned();
    dispatch(routes, request, ApiVersion::V2, SelectedBy::Path, &rest).await
}

fn unsupported(value: &HeaderValue) -> ApiError {
    ApiError::bad_request(
        "unsupported_api_version",
        format!("Api-Version {:?} is not served: use 1 or 2", String::from_utf8_lossy(value.as_bytes())),
    )
}

/// Around every versioned route: refuses a header that contradicts the
/// path, counts the request by version, and marks the answer.
pub async fn mark_version(State(metrics): State<GatewayMetrics>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let served = match request.extensions().get::<Served>() {
        Some(served) => *served,
        None if path.starts_with("/api/v1/") => Served { version: ApiVersion::V1, selected_by: SelectedBy::Path },
        None if path.starts_with("/api/v2/") => Served { version: ApiVersion::V2, selected_by: SelectedBy::Path },
        // Not a versioned route (the JWKS document).
        None => return next.run(request).await,
    };
    if let Some(value) = request.headers().get(API_VERSION)
        && ApiVersion::parse(value.to_str().unwrap_or_default()) != Some(served.version)
    {
        return ApiError::bad_request(
            "api_version_conflict",
            format!(
                "the path asks for v{} but Api-Version says {:?}",
                served.version.number(),
                String::from_utf8_lossy(value.as_bytes())
            ),
        )
        .into_response();
    }
    let rest = path.splitn(4, '/').nth(3).unwrap_or_default().to_owned();
    metrics
        .api_requests
        .get_or_create(&VersionLabels { version: served.version.number(), selected_by: served.selected_by.as_str() })
        .inc();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(API_VERSION, HeaderValue::from_static(served.version.number()));
    if served.version == ApiVersion::V1 && CHANGED_IN_V2.contains(&resource_of(&rest)) {
        headers.insert(DEPRECATION, HeaderValue::from_static(DEPRECATED_SINCE));
        headers.insert(SUNSET, HeaderValue::from_static(SUNSET_AT));
        if let Ok(link) = HeaderValue::try_from(format!("</api/v2/{rest}>; rel=\"successor-version\"")) {
            headers.append(axum::http::header::LINK, link);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_from_their_number_only() {
        assert_eq!(ApiVersion::parse("2"), Some(ApiVersion::V2));
        assert_eq!(ApiVersion::parse(" 1 "), Some(ApiVersion::V1));
        for bad in ["", "3", "v2", "2.0", "latest"] {
            assert_eq!(ApiVersion::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_resource_is_either_changed_or_carried_over() {
        for resource in CHANGED_IN_V2 {
            assert!(!SAME_IN_V2.contains(&resource), "{resource}");
        }
        assert_eq!(resource_of("products/42/recommendations"), "products");
        assert_eq!(resource_of("orders?limit=2"), "orders");
    }
}
