//! Wiring: database, keys, users client, admin bootstrap, routes, server.

use std::sync::Arc;

use platform::Role;
use platform::server::{HttpServer, Service};
use sqlx::PgPool;
use uuid::Uuid;

use crate::configuration::Settings;
use crate::keys::{SigningKeys, generate_ed25519_pem};
use crate::passwords::{HashCost, hash_password};
use crate::state::AppState;
use crate::{routes, store};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The service, wired and bound to its port: `run_until_stopped` serves it.
pub async fn build(settings: Settings) -> anyhow::Result<HttpServer> {
    let pem = match &settings.tokens.signing_key_pem {
        Some(pem) => pem.clone(),
        None => {
            tracing::warn!("AUTH_SIGNING_KEY_PEM not set: signing with a key generated for this process only");
            generate_ed25519_pem()
        }
    };
    let keys = Arc::new(SigningKeys::from_pem(&pem)?);
    let (mut service, pool) = Service::with_own_database("auth", settings.base, &MIGRATOR).await?;
    let users = service.client(settings.users.clone()).await;
    let dummy_hash = hash_password("not-a-real-password".to_owned().into(), settings.password_cost).await?;

    if let Some((email, password)) = &settings.bootstrap_admin {
        ensure_admin(&pool, email.as_str(), password.clone(), settings.password_cost).await?;
    }

    let state = AppState {
        pool: pool.clone(),
        keys,
        users: users.clone(),
        tokens: settings.tokens,
        password_cost: settings.password_cost,
        dummy_hash: Arc::new(dummy_hash),
    };
    let server = service
        // Registration needs users; login, refresh and verify do not.
        .check_ready(users.readiness_check().optional())
        .bind(routes::router(state))
        .await?;
    Ok(server)
}

/// Creates the configured admin once; later starts leave it as it is.
/// The admin has no profile in users: it is an operator account.
async fn ensure_admin(
    pool: &PgPool,
    email: &str,
    password: secrecy::SecretString,
    cost: HashCost,
) -> anyhow::Result<()> {
    if store::email_exists(pool, email).await? {
        return Ok(());
    }
    let hash = hash_password(password, cost).await?;
    let mut conn = pool.acquire().await?;
    match store::insert_credentials(&mut conn, Uuid::new_v4(), email, &hash, Role::Admin).await {
        Ok(()) => tracing::info!(email, "bootstrap admin created"),
        // Another instance created it at the same moment.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
