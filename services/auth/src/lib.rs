//! The auth service: credentials, access and refresh tokens.
pub mod configuration;
pub mod domain;
pub mod keys;
pub mod passwords;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
