//! The load simulator: goose scenarios that drive the shop through its
//! gateway the way its users would, named profiles (test plans with
//! thresholds), and the data set-up they need; live metrics so that many
//! workers make one run, and the judge that evaluates it from Prometheus.
//!
//! It runs as its own process (`shop-load`): goose installs its own logger,
//! which must not meet a tracing subscriber in the same process.

pub mod judge;
pub mod live;
pub mod open_loop;
pub mod plan;
pub mod profiles;
pub mod report;
pub mod scenarios;
pub mod session;
pub mod setup;
pub mod traffic;
