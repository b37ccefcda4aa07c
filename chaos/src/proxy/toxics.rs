//! TCP toxics, Toxiproxy's semantics: what a toxic does to the data flowing
//! through one direction of one connection.
//!
//! Toxicity is rolled once per connection and toxic: a toxic with toxicity
//! 0.3 affects about 30 % of connections, fully.

use std::collections::HashMap;
use std::time::Duration;

use rand::Rng;

use super::model::{Stream, Toxic};

/// The toxics acting on one direction of one connection, right now.
#[derive(Debug, Default)]
pub struct Active {
    /// (name, latency ms, jitter ms)
    pub latency: Vec<(String, u64, u64)>,
    /// (name, KB/s)
    pub bandwidth: Option<(String, u64)>,
    /// (name, average size, variation, delay µs)
    pub slicer: Option<(String, u64, u64, u64)>,
    /// (name, bytes)
    pub limit_data: Option<(String, u64)>,
    /// (name, ms; 0 = hold forever)
    pub timeout: Option<(String, u64)>,
    /// (name, ms)
    pub reset_peer: Option<(String, u64)>,
    /// (name, ms)
    pub slow_close: Option<(String, u64)>,
}

/// Per-connection toxicity rolls, kept while a toxic keeps its toxicity.
#[derive(Default)]
pub struct Rolls(HashMap<String, (u64, bool)>);

impl Rolls {
    fn applies(&mut self, toxic: &Toxic) -> bool {
        let key = toxic.toxicity.to_bits();
        let entry = self.0.entry(toxic.name.clone()).or_insert_with(|| (key, roll(toxic.toxicity)));
        if entry.0 != key {
            *entry = (key, roll(toxic.toxicity));
        }
        entry.1
    }
}

fn roll(toxicity: f64) -> bool {
    toxicity >= 1.0 || (toxicity > 0.0 && rand::thread_rng().gen_bool(toxicity))
}

pub fn active(toxics: &[Toxic], stream: Stream, rolls: &mut Rolls) -> Active {
    let mut active = Active::default();
    for toxic in toxics.iter().filter(|t| t.stream == stream) {
        if !rolls.applies(toxic) {
            continue;
        }
        let name = toxic.name.clone();
        match toxic.kind.as_str() {
            "latency" => active.latency.push((name, toxic.number("latency"), toxic.number("jitter"))),
            "bandwidth" => active.bandwidth = Some((name, toxic.number("rate"))),
            "slicer" => {
                active.slicer =
                    Some((name, toxic.number("average_size"), toxic.number("size_variation"), toxic.number("delay")))
            }
            "limit_data" => active.limit_data = Some((name, toxic.number("bytes"))),
            "timeout" => active.timeout = Some((name, toxic.number("timeout"))),
            "reset_peer" => active.reset_peer = Some((name, toxic.number("timeout"))),
            "slow_close" => active.slow_close = Some((name, toxic.number("delay"))),
            _ => {}
        }
    }
    active
}

/// Latency plus a uniform jitter in [-jitter, +jitter].
pub fn delay(latency_ms: u64, jitter_ms: u64) -> Duration {
    let jitter = if jitter_ms > 0 { rand::thread_rng().gen_range(-(jitter_ms as i64)..=jitter_ms as i64) } else { 0 };
    Duration::from_millis((latency_ms as i64 + jitter).max(0) as u64)
}

/// Toxiproxy's kilobyte, in its bandwidth rate: 1000 bytes.
const KB: f64 = 1000.0;

/// How long `bytes` take at `rate_kb` KB/s.
pub fn transfer_time(bytes: usize, rate_kb: u64) -> Duration {
    if rate_kb == 0 {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(bytes as f64 / (rate_kb as f64 * KB))
}

/// How many bytes `rate_kb` KB/s carries in `time`.
pub fn bytes_in(time: Duration, rate_kb: u64) -> usize {
    (time.as_secs_f64() * rate_kb as f64 * KB) as usize
}

/// The size of the next slice of `left` bytes: `average ± variation`, at
/// least 1 byte, at most what is left (all of it when `average` is 0).
pub fn slice(left: usize, average: u64, variation: u64) -> usize {
    if average == 0 {
        return left;
    }
    let low = average.saturating_sub(variation).max(1);
    let high = (average + variation).max(low);
    (rand::thread_rng().gen_range(low..=high) as usize).min(left)
}

impl Active {
    /// No toxic acts on this direction of this connection.
    pub fn is_empty(&self) -> bool {
        self.latency.is_empty()
            && self.bandwidth.is_none()
            && self.slicer.is_none()
            && self.limit_data.is_none()
            && self.timeout.is_none()
            && self.reset_peer.is_none()
            && self.slow_close.is_none()
    }

    /// Whether anything here decides when bytes leave (latency, slicer,
    /// bandwidth): without, bytes are written as soon as they are read.
    pub fn shapes(&self) -> bool {
        !self.latency.is_empty() || self.slicer.is_some() || self.bandwidth.is_some()
    }

    /// The delay of one chunk: every latency toxic's, each with its jitter.
    pub fn latency_delay(&self) -> Duration {
        self.latency.iter().map(|(_, latency, jitter)| delay(*latency, *jitter)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_stay_in_bounds_and_never_exceed_what_is_left() {
        for _ in 0..100 {
            assert!((5..=15).contains(&slice(1000, 10, 5)));
        }
        assert_eq!(slice(3, 10, 0), 3);
        assert_eq!(slice(1000, 0, 0), 1000, "an average of 0 does not slice");
    }

    #[test]
    fn bandwidth_is_toxiproxys_kilobytes_of_1000_bytes_per_second() {
        assert_eq!(transfer_time(10_000, 10), Duration::from_secs(1));
        assert_eq!(bytes_in(Duration::from_millis(100), 10), 1000);
    }

    #[test]
    fn jitter_stays_within_its_range() {
        for _ in 0..100 {
            let d = delay(100, 20).as_millis();
            assert!((80..=120).contains(&d), "{d}");
        }
    }
}
