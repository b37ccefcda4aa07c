//! The orders service: the checkout saga, event-sourced orders, a read model.
pub mod clients;
pub mod configuration;
pub mod domain;
pub mod event_store;
pub mod metrics;
pub mod projection;
pub mod recorder;
pub mod routes;
pub mod saga;
pub mod startup;
pub mod state;
pub mod store;
