//! Making load traffic recognisable: a user agent and an `x-load-test`
//! header the gateway counts separately (`gateway_requests_total{origin}`),
//! and a fresh W3C `traceparent` on every request, so that each transaction
//! is the root of its own trace and a slow one can be found in Jaeger.

use rand::RngCore;

pub const LOAD_TEST_HEADER: &str = "x-load-test";

pub fn user_agent(profile: &str) -> String {
    format!("testbed-load/{} (profile={profile})", env!("CARGO_PKG_VERSION"))
}

/// A sampled `traceparent` with random ids.
pub fn traceparent() -> String {
    let mut rng = rand::thread_rng();
    let mut trace = [0u8; 16];
    let mut span = [0u8; 8];
    rng.fill_bytes(&mut trace);
    rng.fill_bytes(&mut span);
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    format!("00-{}-{}-01", hex(&trace), hex(&span))
}

#[cfg(test)]
mod tests {
    #[test]
    fn traceparents_follow_the_w3c_format() {
        let value = super::traceparent();
        let parts: Vec<&str> = value.split('-').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!((parts[0], parts[1].len(), parts[2].len(), parts[3]), ("00", 32, 16, "01"));
        assert_ne!(super::traceparent(), value);
    }
}
