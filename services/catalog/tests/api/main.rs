//! Black-box tests of the catalog API against a real Postgres.
mod categories;
mod health;
mod helpers;
mod products;
mod products_v2;
mod recommendations;
