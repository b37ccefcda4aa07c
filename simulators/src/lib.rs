//! Simulated third parties. They live outside `services/` because they are
//! not part of the shop: they stand in for a payment provider and an e-mail
//! API so the shop can run (and fail) without the internet.
//!
//! Both keep their state in memory, honour `Idempotency-Key`, and take their
//! behaviour (latency, decline/failure rates) from the environment and, at
//! run time, from `PUT /admin/behaviour`.

pub mod behaviour;
pub mod email;
pub mod idempotency;
pub mod payments;
pub mod settings;
