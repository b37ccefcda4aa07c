//! A latency histogram whose buckets every worker shares, so that the sum
//! over workers is a histogram of the whole run and a percentile read from
//! it (`histogram_quantile` over `sum by (le)`) is as exact as one read from
//! a single process.
//!
//! Bucket bounds grow by 2^(1/16) (the bounds of a Prometheus native
//! histogram of schema 4) from 2^-12 s (244 µs) to 2^6 s (64 s): a
//! percentile read from them lies in the same bucket as the exact sample,
//! so it is off by at most [`RELATIVE_ERROR`] (4.4 %), usually far less.
//! Classic buckets, because they are what every Prometheus scrapes.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Buckets per doubling of the latency.
const PER_OCTAVE: i32 = 16;
/// The first bound is 2^(LOWEST_OCTAVE) seconds.
const LOWEST_OCTAVE: i32 = -12;
/// The last finite bound is 2^(HIGHEST_OCTAVE) seconds.
const HIGHEST_OCTAVE: i32 = 6;
/// Finite bounds; one more bucket (+Inf) holds the rest.
pub const BOUNDS: usize = ((HIGHEST_OCTAVE - LOWEST_OCTAVE) * PER_OCTAVE) as usize + 1;
/// The most a percentile read from the buckets can differ from the exact
/// one, relative to it: the ratio of two neighbouring bounds, less one.
pub const RELATIVE_ERROR: f64 = 0.044_273_782_427_413_84; // 2^(1/16) - 1

/// The upper bound of bucket `index`, in seconds.
pub fn bound(index: usize) -> f64 {
    2f64.powf(f64::from(LOWEST_OCTAVE) + index as f64 / f64::from(PER_OCTAVE))
}

/// The bucket a latency of `seconds` falls in: the first whose bound is at
/// least `seconds` (`BOUNDS` for +Inf).
pub fn bucket_of(seconds: f64) -> usize {
    if seconds.is_nan() || seconds <= bound(0) {
        return 0; // also NaN and negatives: a clock that went backwards
    }
    let position = (seconds.log2() - f64::from(LOWEST_OCTAVE)) * f64::from(PER_OCTAVE);
    let mut index = (position.ceil() as usize).min(BOUNDS);
    // log2 rounds: settle on the exact bucket by comparing with the bounds.
    while index < BOUNDS && bound(index) < seconds {
        index += 1;
    }
    while index > 0 && bound(index - 1) >= seconds {
        index -= 1;
    }
    index
}

/// Counts per bucket, lock-free: many users record into one at once.
pub struct LatencyHistogram {
    buckets: Box<[AtomicU64]>,
    /// Sum of every latency, in microseconds (an integer adds atomically).
    sum_micros: AtomicU64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self { buckets: (0..=BOUNDS).map(|_| AtomicU64::new(0)).collect(), sum_micros: AtomicU64::new(0) }
    }
}

impl LatencyHistogram {
    pub fn record(&self, seconds: f64) {
        self.buckets[bucket_of(seconds)].fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add((seconds.max(0.0) * 1e6).round() as u64, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// Writes the `_bucket`, `_sum` and `_count` lines of `name` with `labels`
    /// (`key="value",…` already escaped, without braces).
    pub fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0u64;
        for (index, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            if index < BOUNDS {
                let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{}\"}} {cumulative}", bound(index));
            } else {
                let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {cumulative}");
            }
        }
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_span_a_quarter_millisecond_to_a_minute_in_steps_of_the_stated_error() {
        assert_eq!(bound(0), 1.0 / 4096.0);
        assert!((bound(BOUNDS - 1) - 64.0).abs() < 1e-9);
        for index in 1..BOUNDS {
            let ratio = bound(index) / bound(index - 1);
            assert!((ratio - 1.0 - RELATIVE_ERROR).abs() < 1e-12, "{index}: {ratio}");
        }
    }

    #[test]
    fn a_latency_lands_in_the_first_bucket_whose_bound_holds_it() {
        for seconds in [0.0, 1e-6, 0.000_244, 0.001, 0.0123, 0.5, 1.0, 2.0, 63.9, 64.0] {
            let index = bucket_of(seconds);
            assert!(bound(index) >= seconds, "{seconds}");
            assert!(index == 0 || bound(index - 1) < seconds, "{seconds}");
        }
        // A bound itself belongs to its own bucket (Prometheus's `le`).
        assert_eq!(bucket_of(bound(100)), 100);
        assert_eq!(bucket_of(65.0), BOUNDS);
        assert_eq!(bucket_of(f64::NAN), 0);
        assert_eq!(bucket_of(-1.0), 0);
    }

    #[test]
    fn the_exposition_is_cumulative_and_ends_with_the_count() {
        let histogram = LatencyHistogram::default();
        for seconds in [0.001, 0.001, 0.2, 100.0] {
            histogram.record(seconds);
        }
        let mut out = String::new();
        histogram.write(&mut out, "latency_seconds", r#"request="GET a""#);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), BOUNDS + 3);
        let value = |line: &str| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap();
        let counts: Vec<f64> = lines[..=BOUNDS].iter().map(|l| value(l)).collect();
        assert!(counts.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(counts[bucket_of(0.001)], 2.0);
        assert_eq!(counts[BOUNDS - 1], 3.0);
        assert!(lines[BOUNDS].starts_with(r#"latency_seconds_bucket{request="GET a",le="+Inf"} 4"#));
        assert_eq!(lines[BOUNDS + 1], r#"latency_seconds_sum{request="GET a"} 100.202"#);
        assert_eq!(lines[BOUNDS + 2], r#"latency_seconds_count{request="GET a"} 4"#);
        assert_eq!(histogram.count(), 4);
    }
}
