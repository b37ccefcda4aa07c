//! The storefront: the shop's pages, rendered on the server from the
//! gateway's public API (the same API every other client uses).
pub mod cart;
pub mod configuration;
pub mod control;
pub mod csrf;
pub mod desk;
pub mod domain;
pub mod pages;
pub mod routes;
pub mod shop;
pub mod startup;
pub mod visitor;
