//! Black-box tests of the users API against a real Postgres.
mod helpers;
mod profiles;
mod shutdown;
