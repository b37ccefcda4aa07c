//! The gateway: the shop's single public entry point.
pub mod cache;
pub mod configuration;
pub mod identity;
pub mod jwks;
pub mod metrics;
pub mod proxy;
pub mod rate_limit;
pub mod routes;
pub mod startup;
pub mod versioning;
