//! Black-box tests of inventory against a real Postgres and RabbitMQ.
mod events;
mod helpers;
mod reservations;
mod stock;
