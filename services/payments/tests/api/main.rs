//! Black-box tests of payments: the provider stubbed with wiremock to shape
//! its answers and faults, and once against the provider simulator.
mod charges;
mod helpers;
mod refunds;
mod simulator;
