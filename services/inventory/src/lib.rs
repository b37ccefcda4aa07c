//! The inventory service: stock and reservations.
pub mod configuration;
pub mod consumer;
pub mod domain;
pub mod expiry;
pub mod metrics;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
