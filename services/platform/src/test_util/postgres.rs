//! A real Postgres started by testcontainers, shared by every test of a
//! run, with a fresh database per test so tests never see each other's rows.
//!
//! The container is named `testbed-test-postgres` and marked for reuse, so
//! consecutive test binaries (and runs) share one server instead of paying
//! for a start each time. `scripts/test.sh` removes it when the suite ends;
//! `docker rm -f testbed-test-postgres` does the same by hand.
//!
//! The image is `TESTBED_POSTGRES_IMAGE` (`name:tag`), by default the official
//! `postgres:15`; where no registry answers, the locally built
//! `testbed/postgres:15` (see `deploy/images/`).

use std::time::Duration;

use secrecy::SecretString;
use sqlx::{Connection, Executor, PgConnection};
use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::{ImageExt, ReuseDirective};
use tokio::sync::OnceCell;

use super::{image_candidates, start_reused};
use crate::config::DatabaseSettings;

const CONTAINER_NAME: &str = "testbed-test-postgres";
const PASSWORD: &str = "test-only-password";

static SERVER_URL: OnceCell<String> = OnceCell::const_new();

/// `postgres://...@host:port` of the shared test server, started on first use.
pub async fn postgres_server_url() -> &'static str {
    SERVER_URL.get_or_init(start_postgres).await
}

async fn start_postgres() -> String {
    let images = image_candidates("TESTBED_POSTGRES_IMAGE", "postgres:15", "testbed/postgres:15");
    let container = start_reused(&images, |name, tag| {
        Postgres::default()
            .with_password(PASSWORD)
            .with_name(name)
            .with_tag(tag)
            .with_container_name(CONTAINER_NAME)
            .with_reuse(ReuseDirective::Always)
            .with_cmd(["-c", "fsync=off", "-c", "max_connections=600", "-c", "synchronous_commit=off"])
    })
    .await;
    let host = container.get_host().await.expect("container host").to_string();
    let port = container.get_host_port_ipv4(5432).await.expect("mapped port");
    let url = format!("postgres://postgres:{PASSWORD}@{host}:{port}");
    wait_until_accepting(&url).await;
    url
}

/// A reused container may still be starting when another process finds it.
async fn wait_until_accepting(url: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match PgConnection::connect(&format!("{url}/postgres")).await {
            Ok(connection) => {
                let _ = connection.close().await;
                return;
            }
            Err(error) if tokio::time::Instant::now() < deadline => {
                let _ = error;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("test Postgres does not accept connections: {error}"),
        }
    }
}

/// A fresh, empty database on the shared server, named after `prefix`.
pub async fn fresh_database(prefix: &str) -> DatabaseSettings {
    let server = postgres_server_url().await;
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&format!("{server}/postgres")).await.expect("connect to the test server");
    let create = format!(r#"CREATE DATABASE "{name}""#);
    admin.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(create))).await.expect("create test database");
    let _ = admin.close().await;
    DatabaseSettings {
        url: SecretString::from(format!("{server}/{name}")),
        max_connections: 5,
        acquire_timeout: Duration::from_secs(5),
    }
}
