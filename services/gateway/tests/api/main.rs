//! The gateway in front of the real auth, users and catalog services, all
//! running in-process on 127.0.0.1 with their own databases.
mod cache;
mod dashboard;
mod helpers;
mod load_balancing;
mod rate_limit;
mod routing;
mod tokens;
mod versions;
