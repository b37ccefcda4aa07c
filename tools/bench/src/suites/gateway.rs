//! Gateway vs nginx on the same upstream route, a catalog product read:
//! direct, through nginx (keep-alive upstream, `tools/bench/nginx.conf`),
//! through the gateway routing only (no token, tracing off, cache off), and
//! through the gateway with everything a request meets in production: JWT
//! verification, the per-client rate limiter, tracing at 100 % exported to a
//! live OTLP receiver, JSON logs.

use std::time::Duration;

use auth::keys::{SigningKeys, generate_ed25519_pem};
use platform::Role;
use secrecy::ExposeSecret;
use serde_json::json;

use super::{Plan, Side, alternate_watching, compare, cpu_per_request, summarise};
use crate::otlp::CountingReceiver;
use crate::procs::{CpuOf, Process, free_port};
use crate::report::Table;

/// Catalog on a fresh database with one product; returns it and the product's path.
pub async fn catalog_with_a_product(name: &str, telemetry: &[(&str, String)]) -> anyhow::Result<(Process, String)> {
    let database = platform::test_util::fresh_database("bench_catalog").await;
    let mut env = vec![("DATABASE_URL", database.url.expose_secret().to_owned())];
    env.extend(telemetry.iter().cloned());
    let mut catalog = Process::service(name, "catalog", &env)?;
    catalog.wait_ready("/ready", Duration::from_secs(30)).await?;
    let product_path = seed(&catalog.url).await?;
    Ok((catalog, product_path))
}

/// A category and a product, written as an admin straight to catalog.
pub async fn seed(catalog: &str) -> anyhow::Result<String> {
    let http = reqwest::Client::new();
    let admin = |request: reqwest::RequestBuilder| {
        request.header("x-user-id", uuid::Uuid::now_v7().to_string()).header("x-user-role", "admin")
    };
    let category = json!({ "slug": "bench", "name": "Bench" });
    let _ = admin(http.post(format!("{catalog}/api/v1/categories"))).json(&category).send().await?;
    let product = json!({ "sku": format!("BENCH-{}", free_port()), "name": "Enamel mug", "price_cents": 1250, "currency": "EUR", "category": "bench" });
    let created: serde_json::Value = admin(http.post(format!("{catalog}/api/v1/products")))
        .json(&product)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(format!("/api/v1/products/{}", created["id"]))
}

/// Serves the JWKS the gateway fetches from auth (`/api/v1/auth/jwks`).
async fn serve_jwks(keys: &SigningKeys) -> anyhow::Result<String> {
    let jwks = keys.jwks().clone();
    let app =
        axum::Router::new().route("/api/v1/auth/jwks", axum::routing::get(move || async move { axum::Json(jwks) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

fn gateway(name: &str, catalog: &str, auth: &str, extra: &[(&str, String)]) -> anyhow::Result<Process> {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let mut env = vec![
        ("CATALOG_URL", catalog.to_owned()),
        ("AUTH_URL", auth.to_owned()),
        ("USERS_URL", closed.clone()),
        ("INVENTORY_URL", closed.clone()),
        ("ORDERS_URL", closed.clone()),
        ("NOTIFICATIONS_URL", closed),
        // Every read goes to catalog: the cache would measure itself.
        ("GATEWAY_CACHE_ENABLED", "false".to_owned()),
    ];
    env.extend(extra.iter().cloned());
    // BENCH_GATEWAY_WORKERS=n: the gateway on n tokio worker threads.
    if let Ok(workers) = std::env::var("BENCH_GATEWAY_WORKERS") {
        env.push(("TOKIO_WORKER_THREADS", workers));
    }
    Process::service(name, "gateway", &env)
}

pub async fn run(plan: &Plan) -> anyhow::Result<(Table, serde_json::Value)> {
    let (catalog, path) = catalog_with_a_product("catalog", &[]).await?;
    let keys = SigningKeys::from_pem(&generate_ed25519_pem())?;
    let (token, _) = keys.issue(uuid::Uuid::now_v7(), Role::Customer, Duration::from_secs(3600))?;
    let auth = serve_jwks(&keys).await?;
    let (receiver, otlp) = CountingReceiver::start().await?;

    let upstream_port = catalog.url.rsplit(':').next().unwrap_or_default().to_owned();
    let mut nginx = crate::nginx::start(include_str!("../../nginx.conf"), &[("{{UPSTREAM_PORT}}", upstream_port)])?;
    nginx.process.wait_ready(&path, Duration::from_secs(10)).await?;
    let unlimited =
        [("GATEWAY_RATE_LIMIT_PER_SECOND", "1000000".to_owned()), ("GATEWAY_RATE_LIMIT_BURST", "1000000".to_owned())];
    let mut routing = gateway("gateway (routing only)", &catalog.url, &auth, &unlimited)?;
    routing.wait_ready("/ready", Duration::from_secs(10)).await?;
    let everything = [
        // On, and high enough that no request of the benchmark is refused.
        ("GATEWAY_RATE_LIMIT_PER_SECOND", "100000".to_owned()),
        ("GATEWAY_RATE_LIMIT_BURST", "100000".to_owned()),
        ("OTEL_SDK_DISABLED", "false".to_owned()),
        ("OTEL_TRACES_EXPORTER", "otlp".to_owned()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp),
        ("OTEL_TRACES_SAMPLER_ARG", "1.0".to_owned()),
        ("LOG_LEVEL", "info".to_owned()),
    ];
    let mut full = gateway("gateway (auth, limit, tracing)", &catalog.url, &auth, &everything)?;
    full.wait_ready("/ready", Duration::from_secs(10)).await?;

    let sides = vec![
        Side { name: "direct".into(), url: format!("{}{path}", catalog.url), headers: vec![] },
        Side { name: "nginx".into(), url: format!("{}{path}", nginx.process.url), headers: vec![] },
        Side { name: routing.name.clone(), url: format!("{}{path}", routing.url), headers: vec![] },
        Side {
            name: full.name.clone(),
            url: format!("{}{path}", full.url),
            headers: vec![("Authorization", format!("Bearer {token}"))],
        },
    ];
    eprintln!(
        "gateway vs nginx: GET {path}, {} connections, {} × {:?} per side",
        plan.connections, plan.rounds, plan.window
    );
    // Per side, the CPU time of the proxy in the path (nginx: master and
    // workers) and of catalog behind it, per request.
    let upstream = CpuOf::Process(catalog.pid());
    let watched = vec![
        vec![upstream, upstream],
        vec![CpuOf::WithChildren(nginx.process.pid()), upstream],
        vec![CpuOf::Process(routing.pid()), upstream],
        vec![CpuOf::Process(full.pid()), upstream],
    ];
    let results = alternate_watching(plan, &sides, &watched)?;
    let summaries: Vec<_> = results.iter().map(|(runs, _)| summarise(runs)).collect();
    let title = format!(
        "Gateway vs nginx: GET a catalog product, {} connections (median of {}, range)",
        plan.connections, plan.rounds
    );
    let (mut table, comparison) = compare(&title, "path", 1, &sides, &summaries);
    let (proxy_cpu, catalog_cpu) = (cpu_per_request(plan, &results, 0), cpu_per_request(plan, &results, 1));
    let mut proxy_cells: Vec<String> = proxy_cpu.iter().map(|spread| spread.show(1)).collect();
    proxy_cells[0] = "–".to_owned();
    table.add_column("proxy CPU µs/req", proxy_cells);
    table.add_column("catalog CPU µs/req", catalog_cpu.iter().map(|spread| spread.show(1)).collect());
    let json = serde_json::json!({
        "route": path,
        "connections": plan.connections,
        "comparison": comparison,
        "cpu_us_per_request": sides.iter().zip(proxy_cpu.iter().zip(&catalog_cpu)).skip(1).map(|(side, (proxy, catalog))| serde_json::json!({
            "name": side.name, "proxy": proxy, "catalog": catalog,
        })).collect::<Vec<_>>(),
        "spans_received": receiver.spans(),
    });
    Ok((table, json))
}
