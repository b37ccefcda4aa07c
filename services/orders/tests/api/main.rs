//! Orders with the real catalog, inventory and payments (and the payment
//! provider simulator) beside it, on real Postgres and RabbitMQ.
mod checkout;
mod concurrency;
mod crash;
mod event_sourcing;
mod helpers;
mod manage;
mod replicas;
mod surprises;
mod v2;
mod validation;
