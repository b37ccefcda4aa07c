//! The payments service: charges and refunds, exactly once.
pub mod configuration;
pub mod domain;
pub mod idempotency;
pub mod metrics;
pub mod provider;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
