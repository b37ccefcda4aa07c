//! Summaries of measurements, shared by `bench` (tools/bench) and `chaos-bench` so
//! that a median or a p99 means the same in every table the project prints.

use serde::Serialize;

/// Median and range of a few repeated measurements (runs of a benchmark).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// The spread of `values`; of nothing, NaN throughout (a side that was
    /// not measured prints as such rather than as zero).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let mut values: Vec<f64> = values.into_iter().collect();
        values.sort_by(f64::total_cmp);
        let Some((&min, &max)) = values.first().zip(values.last()) else {
            return Self { median: f64::NAN, min: f64::NAN, max: f64::NAN };
        };
        Self { median: median_of_sorted(&values), min, max }
    }

    /// `median (min–max)` with this many decimals.
    pub fn show(&self, decimals: usize) -> String {
        format!("{:.d$} ({:.d$}–{:.d$})", self.median, self.min, self.max, d = decimals)
    }
}

/// The middle value; of an even count, the mean of the two middle ones.
fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 }
}

/// The `p` percentile (0 < p ≤ 1) of values sorted ascending, by the
/// nearest-rank definition: the smallest value with at least `p` of all
/// values at or below it (p99 of 1000 latencies is the 990th); None of nothing.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(Spread::of([4.0, 1.0, 3.0, 2.0]), Spread { median: 2.5, min: 1.0, max: 4.0 });
        assert_eq!(Spread::of([3.0, 1.0, 2.0]).median, 2.0);
    }

    #[test]
    fn nothing_measured_is_not_a_number() {
        assert!(Spread::of([]).median.is_nan());
        assert_eq!(percentile::<u32>(&[], 0.5), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<u32> = (1..=1000).collect();
        assert_eq!(percentile(&values, 0.99), Some(990));
        assert_eq!(percentile(&values, 0.50), Some(500));
        assert_eq!(percentile(&values, 1.0), Some(1000));
        assert_eq!(percentile(&[7, 9], 0.5), Some(7));
        assert_eq!(percentile(&[7, 9], 0.51), Some(9));
        assert_eq!(percentile(&[7], 0.01), Some(7));
    }
}
