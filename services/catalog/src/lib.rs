//! The catalog service: products and categories.
pub mod configuration;
pub mod domain;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
