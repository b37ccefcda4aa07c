//! Database-per-service, as compose deploys it: a Postgres container from
//! the project's image runs deploy/postgres/init-databases.sh with the
//! environment docker-compose.observability.yml gives it; then every
//! service's credentials (its DATABASE_URL in compose) open its own
//! database and are refused by every other service's, while the
//! superuser the invariant checker audits with opens them all.

use std::collections::BTreeMap;
use std::time::Duration;

use e2e::repository;
use platform::test_util::eventually;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::{ContainerAsync, ImageExt};

/// What compose says about the databases: the server's environment, each
/// service's DATABASE_URL, and the invariant checker's URLs.
struct ComposeDatabases {
    server_env: BTreeMap<String, String>,
    services: BTreeMap<String, PgConnectOptions>,
    auditor: BTreeMap<String, PgConnectOptions>,
}

fn compose_databases() -> ComposeDatabases {
    let path = repository().join("docker-compose.observability.yml");
    let compose: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let services = compose["services"].as_mapping().expect("compose services");
    let env_of = |service: &serde_yaml::Value| -> BTreeMap<String, String> {
        service["environment"]
            .as_mapping()
            .map(|env| env.iter().filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned()))).collect())
            .unwrap_or_default()
    };
    let url = |raw: &str| raw.parse::<PgConnectOptions>().unwrap_or_else(|e| panic!("{raw}: {e}"));
    let mut databases = ComposeDatabases {
        server_env: env_of(&compose["services"]["postgres"]),
        services: BTreeMap::new(),
        auditor: BTreeMap::new(),
    };
    for (name, service) in services {
        let name = name.as_str().unwrap().to_owned();
        let env = env_of(service);
        if let Some(raw) = env.get("DATABASE_URL") {
            databases.services.insert(name.clone(), url(raw));
        }
        if name == "invariants" {
            for (key, raw) in env.iter().filter(|(k, _)| k.ends_with("_DATABASE_URL")) {
                databases.auditor.insert(key.clone(), url(raw));
            }
        }
    }
    databases
}

/// The images the test suite's Postgres may come from, in order (as in
/// platform's test_util): `TESTBED_POSTGRES_IMAGE`, else the official one,
/// then the locally built one where no registry answers.
fn postgres_images() -> Vec<String> {
    match std::env::var("TESTBED_POSTGRES_IMAGE") {
        Ok(image) if !image.is_empty() => vec![image],
        _ => vec!["postgres:15".to_owned(), "testbed/postgres:15".to_owned()],
    }
}

/// A throw-away server initialised as compose initialises its own.
async fn server_as_compose_starts_it(env: &BTreeMap<String, String>) -> ContainerAsync<Postgres> {
    let var = |key: &str| env.get(key).unwrap_or_else(|| panic!("compose sets no {key} for postgres")).clone();
    let mut errors = Vec::new();
    for image in postgres_images() {
        let (name, tag) = image.rsplit_once(':').unwrap_or((image.as_str(), "latest"));
        let started = Postgres::default()
            .with_user(&var("POSTGRES_USER"))
            .with_password(&var("POSTGRES_PASSWORD"))
            .with_db_name(&var("POSTGRES_DB"))
            .with_name(name)
            .with_tag(tag)
            .with_copy_to(
                "/docker-entrypoint-initdb.d/10-databases.sh",
                repository().join("deploy/postgres/init-databases.sh"),
            )
            .start()
            .await;
        match started {
            Ok(container) => return container,
            Err(error) => errors.push(format!("{image}: {error}")),
        }
    }
    panic!("no Postgres image starts: {errors:#?}")
}

/// Compose's URL, pointed at the test's container instead of the compose host.
fn at(options: &PgConnectOptions, host: &str, port: u16, database: &str) -> PgConnectOptions {
    options.clone().host(host).port(port).database(database).disable_statement_logging()
}

#[tokio::test]
async fn each_service_role_opens_its_own_database_only_and_the_auditor_opens_all() {
    let compose = compose_databases();
    assert!(compose.services.len() >= 7, "services with a DATABASE_URL in compose: {:?}", compose.services.keys());
    let container = server_as_compose_starts_it(&compose.server_env).await;
    let host = container.get_host().await.unwrap().to_string();
    let port = container.get_host_port_ipv4(5432).await.unwrap();

    // The server answers on TCP only once the init scripts have run.
    let superuser: PgConnectOptions = format!(
        "postgres://{}:{}@{host}:{port}/{}",
        compose.server_env["POSTGRES_USER"], compose.server_env["POSTGRES_PASSWORD"], compose.server_env["POSTGRES_DB"]
    )
    .parse()
    .unwrap();
    eventually("Postgres accepts connections after its init scripts", Duration::from_secs(60), || {
        let superuser = superuser.clone();
        async move { PgConnection::connect_with(&superuser).await.is_ok() }
    })
    .await;

    let databases: Vec<String> = compose.services.values().map(|o| o.get_database().unwrap().to_owned()).collect();
    let mut refusals = 0;
    for (service, options) in &compose.services {
        let own = options.get_database().unwrap();
        let mut connection = PgConnection::connect_with(&at(options, &host, port, own))
            .await
            .unwrap_or_else(|e| panic!("{service} cannot open its own database {own}: {e}"));
        // It can also run its migrations there.
        sqlx::raw_sql("CREATE TABLE isolation_probe (id int); DROP TABLE isolation_probe;")
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{service} cannot create tables in {own}: {e}"));
        let _ = connection.close().await;

        for other in databases.iter().filter(|d| *d != own) {
            match PgConnection::connect_with(&at(options, &host, port, other)).await {
                Ok(_) => panic!("{service}'s role opened {other}, another service's database"),
                Err(sqlx::Error::Database(error)) => {
                    assert_eq!(error.code().as_deref(), Some("42501"), "{service} -> {other}: {error}");
                    assert!(
                        error.message().contains(&format!("permission denied for database \"{other}\"")),
                        "{service} -> {other}: {error}"
                    );
                    refusals += 1;
                }
                Err(error) => panic!("{service} -> {other}: refused for the wrong reason: {error}"),
            }
        }
    }
    assert_eq!(refusals, databases.len() * (databases.len() - 1));

    // The invariant checker reads four of them as the superuser.
    assert!(compose.auditor.len() >= 4, "invariants' database URLs: {:?}", compose.auditor.keys());
    for (key, options) in &compose.auditor {
        let database = options.get_database().unwrap();
        let mut connection = PgConnection::connect_with(&at(options, &host, port, database))
            .await
            .unwrap_or_else(|e| panic!("invariants' {key} cannot open {database}: {e}"));
        sqlx::query("SELECT 1").execute(&mut connection).await.unwrap();
        let _ = connection.close().await;
    }
}
