//! Chaos for the testbed.
//!
//! - `proxy`: a TCP proxy whose connections can be slowed, throttled, cut,
//!   reset or truncated at run time (Toxiproxy's toxics and its HTTP API, so
//!   Toxiproxy clients work), plus HTTP-aware faults for HTTP upstreams
//!   (injected statuses, per-request latency, aborted responses), matched by
//!   method and path prefix.
//! - `runner`: experiments as files (`experiments/*.toml`) — a hypothesis,
//!   load, a timeline of faults, expected observations — run against a live
//!   stack, with a report and an exit status that says whether the
//!   hypothesis held.

pub mod desk;
pub mod proxy;
pub mod runner;
