//! The public API's OpenAPI 3.1 documents, one per version, and a page to
//! read them in a browser (no script, no CDN: server-rendered HTML).
//!
//! Each document is put together from the services' own (generated from
//! their handlers and types by utoipa, and registered with their routes, so
//! that nothing served goes undocumented) as the gateway exposes them: v2
//! holds the routes v2 changed and, under `/api/v2`, those it took over
//! unchanged from v1. What the gateway adds to every route is documented
//! once here: the bearer token, and the error shape of every answer that is
//! not a success (429 rate limit, 503 breaker open, 504 deadline, …).

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use platform::error::ErrorBody;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Info, OpenApi, OpenApiBuilder, Paths, ResponseBuilder, Server};
use utoipa::{PartialSchema, ToSchema};

use crate::versioning::{ApiVersion, SAME_IN_V2};

static V1: LazyLock<String> = LazyLock::new(|| serde_json::to_string(&document(ApiVersion::V1)).expect("serialises"));
static V2: LazyLock<String> = LazyLock::new(|| serde_json::to_string(&document(ApiVersion::V2)).expect("serialises"));
/// The documents do not change while the gateway runs: rendered once.
static DOCS_PAGE: LazyLock<String> = LazyLock::new(render_docs_page);

pub async fn v1() -> Response {
    json(&V1)
}

pub async fn v2() -> Response {
    json(&V2)
}

fn json(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Every service's part of the public API, both versions, as served by
/// the services themselves.
fn services() -> OpenApi {
    let mut all = OpenApiBuilder::new().build();
    for part in [
        auth::routes::openapi(),
        users::routes::openapi(),
        catalog::routes::openapi(),
        inventory::routes::openapi(),
        orders::routes::openapi(),
        notifications::routes::openapi(),
        super::dashboard::openapi(),
    ] {
        all.merge(part);
    }
    all
}

/// The document of one version of the public API.
pub fn document(version: ApiVersion) -> OpenApi {
    let all = services();
    let mut paths = Paths::new();
    for (path, item) in all.paths.paths {
        let resource = path.split('/').nth(3).unwrap_or_default();
        match version {
            ApiVersion::V1 if path.starts_with("/api/v1/") => paths.paths.insert(path, item),
            ApiVersion::V2 if path.starts_with("/api/v2/") => paths.paths.insert(path, item),
            ApiVersion::V2 if path.starts_with("/api/v1/") && SAME_IN_V2.contains(&resource) => {
                paths.paths.insert(path.replacen("/api/v1/", "/api/v2/", 1), item)
            }
            _ => None,
        };
    }
    for (path, item) in paths.paths.iter_mut() {
        for (method, operation) in operations(item) {
            // The services' handler names repeat (`list`, `detail`): the
            // document's ids come from what is unique, method and path.
            operation.operation_id = Some(operation_id(method, path));
            add_gateway_answers(operation);
        }
    }
    let mut components = all.components.unwrap_or_default();
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("An access token from POST /api/v1/auth/login"))
                .build(),
        ),
    );
    components.schemas.entry(ErrorBody::name().into_owned()).or_insert_with(ErrorBody::schema);
    let mut info = Info::new("Observability testbed shop", &format!("{}.0.0", version.number()));
    info.description = Some(description(version).to_owned());
    let mut document = OpenApiBuilder::new().info(info).paths(paths).components(Some(components)).build();
    document.servers = Some(vec![Server::new("/")]);
    document
}

fn description(version: ApiVersion) -> &'static str {
    match version {
        ApiVersion::V1 => {
            "Version 1 of the shop's public API. Products, recommendations, orders and the dashboard \
             of v1 are deprecated (see the Deprecation, Sunset and Link headers of their answers): \
             v2 shows money as a decimal string with its currency and pages with cursors. Every error \
             answer has the shape {\"error\":{\"code\",\"message\"}}."
        }
        ApiVersion::V2 => {
            "Version 2 of the shop's public API: money as {\"amount\":\"12.50\",\"currency\":\"EUR\"}, \
             lists paged with opaque cursors (next_cursor). Also selectable with the header \
             Api-Version: 2 on /api/... . Every error answer has the shape {\"error\":{\"code\",\"message\"}}."
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("patch", &mut item.patch),
        ("head", &mut item.head),
        ("options", &mut item.options),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|o| (method, o)))
}

/// `get` `/api/v2/products/{id}/recommendations` → `get_products_id_recommendations`.
fn operation_id(method: &str, path: &str) -> String {
    let segments = path.split('/').skip(3).map(|s| s.trim_matches(['{', '}']).replace(['-', '.'], "_"));
    std::iter::once(method.to_owned()).chain(segments).collect::<Vec<_>>().join("_")
}

/// The answers the gateway itself may give on any route, documented once:
/// any status a service did not list comes with the error shape.
fn add_gateway_answers(operation: &mut Operation) {
    let error =
        || ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name(ErrorBody::name()))).build();
    let responses = &mut operation.responses.responses;
    responses.entry("default".to_owned()).or_insert_with(|| {
        ResponseBuilder::new()
            .description(
                "An error, in the project's shape: 400 bad input, 401 no or bad token, 413 body too large, \
                 429 rate limited, 503 a dependency unavailable or overloaded, 504 out of time",
            )
            .content("application/json", error())
            .build()
            .into()
    });
}

/// `/api/docs`: both documents as a readable page, one section per
/// operation, linking the JSON documents.
pub async fn docs_page() -> Html<&'static str> {
    Html(DOCS_PAGE.as_str())
}

fn render_docs_page() -> String {
    let mut page = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Shop API</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;color:#111}\
         code{background:#eee;padding:0 .2rem}h3{margin-bottom:.2rem}.m{font-weight:bold;display:inline-block;min-width:4.5rem}\
         details{margin:.3rem 0}</style></head><body><h1>Shop API</h1>\
         <p>Machine-readable: <a href=\"/api/v1/openapi.json\">v1</a>, <a href=\"/api/v2/openapi.json\">v2</a> \
         (OpenAPI 3.1). Choose a version by path (<code>/api/v2/…</code>) or with <code>Api-Version: 2</code> on <code>/api/…</code>.</p>",
    );
    for version in [ApiVersion::V2, ApiVersion::V1] {
        let document = document(version);
        page.push_str(&format!(
            "<h2>{}</h2><p>{}</p>",
            escape(&document.info.title),
            escape(&document.info.description.clone().unwrap_or_default())
        ));
        for (path, item) in &document.paths.paths {
            for (method, operation) in [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ] {
                let Some(operation) = operation else { continue };
                let summary = operation.summary.clone().or_else(|| operation.description.clone()).unwrap_or_default();
                page.push_str(&format!(
                    "<details><summary><span class=\"m\">{method}</span> <code>{}</code> {}</summary><ul>",
                    escape(path),
                    escape(&summary)
                ));
                for parameter in operation.parameters.iter().flatten() {
                    page.push_str(&format!(
                        "<li>parameter <code>{}</code>{}</li>",
                        escape(&parameter.name),
                        parameter.description.as_deref().map(|d| format!(": {}", escape(d))).unwrap_or_default()
                    ));
                }
                for (status, response) in &operation.responses.responses {
                    let description = match response {
                        utoipa::openapi::RefOr::T(response) => response.description.clone(),
                        utoipa::openapi::RefOr::Ref(reference) => reference.ref_location.clone(),
                    };
                    page.push_str(&format!("<li><b>{}</b> {}</li>", escape(status), escape(&description)));
                }
                page.push_str("</ul></details>");
            }
        }
    }
    page.push_str("</body></html>");
    page
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_carries_the_unchanged_resources_and_v1_has_no_v2_paths() {
        let v1 = document(ApiVersion::V1);
        let v2 = document(ApiVersion::V2);
        assert!(v1.paths.paths.keys().all(|p| p.starts_with("/api/v1/")));
        assert!(v2.paths.paths.keys().all(|p| p.starts_with("/api/v2/")));
        for path in ["/api/v2/products", "/api/v2/orders", "/api/v2/categories", "/api/v2/auth/login"] {
            assert!(v2.paths.paths.contains_key(path), "{path}");
        }
    }
}
