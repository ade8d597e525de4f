//! Instantaneous rates: INFO's `instantaneous_ops_per_sec` and
//! `instantaneous_input_kbps`/`_output_kbps`, computed as Redis computes
//! them.
//!
//! A rate is the slope of a counter that only grows (commands processed,
//! bytes read). Redis does not time every event; its cron reads the
//! counter every 100 ms (`trackInstantaneousMetric`), turns the difference
//! from the previous reading into a per-second figure, keeps the last 16
//! such samples in a ring, and reports their mean
//! (`getInstantaneousMetric`). The figure thus covers the last 1.6
//! seconds, smooths bursts, and costs the counted path nothing: the
//! sampler reads counters that exist anyway.
//!
//! [`Rate`] is that ring. One thread samples it (convoy's active-expiry
//! thread, at most every [`SAMPLE_PERIOD`]); INFO reads it. Both take its
//! small lock, ten times a second at most for the sampler: far from any
//! command's path.

use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// Samples kept: Redis's `STATS_METRIC_SAMPLES`.
const SAMPLES: usize = 16;

/// How often a rate is sampled: Redis's `run_with_period(100)` in
/// `serverCron`. (Like Redis, a server whose cron runs less often, `hz`
/// below 10, samples less often.)
pub const SAMPLE_PERIOD: Duration = Duration::from_millis(100);

/// A counter's rate of growth, per second, averaged over the
/// last 16 samples (Redis's `STATS_METRIC_SAMPLES`).
pub struct Rate {
    inner: Mutex<Ring>,
}

struct Ring {
    /// Per-second rates, the newest at `next - 1`.
    samples: [u64; SAMPLES],
    next: usize,
    /// The previous sample's time and counter reading.
    last_time: Instant,
    last_reading: u64,
}

impl Rate {
    /// A rate whose counter reads `reading` now.
    pub fn new(reading: u64) -> Rate {
        Rate::starting(reading, Instant::now())
    }

    /// A rate whose counter reads `reading` at `now`.
    fn starting(reading: u64, now: Instant) -> Rate {
        Rate { inner: Mutex::new(Ring::new(reading, now)) }
    }

    /// Take one sample: the counter reads `reading` at `now`. The sample is
    /// the growth since the previous one over the milliseconds between
    /// them (0 if no whole millisecond passed), as Redis computes it.
    pub fn sample(&self, reading: u64, now: Instant) {
        let mut ring = self.inner.lock();
        let ms = now.saturating_duration_since(ring.last_time).as_millis() as u64;
        let grown = reading.saturating_sub(ring.last_reading);
        let per_sec = grown.saturating_mul(1000).checked_div(ms).unwrap_or(0);
        let i = ring.next;
        ring.samples[i] = per_sec;
        ring.next = (i + 1) % SAMPLES;
        ring.last_time = now;
        ring.last_reading = reading;
    }

    /// The mean of the samples, in whole units per second (integer
    /// division, as Redis's).
    pub fn per_sec(&self) -> u64 {
        self.inner.lock().samples.iter().sum::<u64>() / SAMPLES as u64
    }

    /// Forget every sample (CONFIG RESETSTAT); the counter now reads
    /// `reading`.
    pub fn reset(&self, reading: u64) {
        *self.inner.lock() = Ring::new(reading, Instant::now());
    }
}

impl Ring {
    fn new(reading: u64, now: Instant) -> Ring {
        Ring { samples: [0; SAMPLES], next: 0, last_time: now, last_reading: reading }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A steady 1000 events per 100 ms reads as 10000 per second once the
    /// ring is full, and as its share of that before.
    #[test]
    fn mean_of_the_ring() {
        let start = Instant::now();
        let rate = Rate::starting(0, start);
        for i in 1..=8u64 {
            rate.sample(i * 1000, start + SAMPLE_PERIOD * i as u32);
        }
        assert_eq!(rate.per_sec(), 10_000 * 8 / 16);
        for i in 9..=40u64 {
            rate.sample(i * 1000, start + SAMPLE_PERIOD * i as u32);
        }
        assert_eq!(rate.per_sec(), 10_000);
        rate.reset(40_000);
        assert_eq!(rate.per_sec(), 0);
    }

    /// Two samples in the same millisecond give 0, not a division by zero.
    #[test]
    fn no_time_no_rate() {
        let now = Instant::now();
        let rate = Rate::starting(0, now);
        rate.sample(5, now);
        rate.sample(10, now);
        assert_eq!(rate.per_sec(), 0);
    }
}
