//! The notifications service: e-mails about orders.
pub mod configuration;
pub mod consumer;
pub mod email;
pub mod metrics;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
