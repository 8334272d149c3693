//! [`Chassis`]: what every sandbox does before its own logic, once: count and number the
//! request, inject the faults [`SandboxOptions`] ask for (a rate window, an error rate, the
//! first requests throttled), say how long to wait, and log the answer.

use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{SandboxCounters, SandboxOptions};

/// A fault a sandbox answers with instead of its own answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429, without `Retry-After` (as UKG Pro's gateway): the rate window is full, or the
    /// request is one of the first ones throttled.
    Throttled,
    /// A server error from the error rate: 503 or 502 (alternating), as a gateway answers.
    Unavailable(u16),
}

impl Fault {
    /// The HTTP status to answer with.
    pub fn status(self) -> u16 {
        match self {
            Fault::Throttled => 429,
            Fault::Unavailable(status) => status,
        }
    }
}

/// The shared part of a sandbox: counters, request log, latency and injected faults.
///
/// ```
/// use connector_core::sandbox::{Chassis, Fault, SandboxOptions};
///
/// let mut options = SandboxOptions::default();
/// options.rate_limit_per_minute = Some(2);
/// let chassis = Chassis::new(&options);
/// assert_eq!(chassis.admit(), Ok(1));
/// assert_eq!(chassis.admit(), Ok(2));
/// assert_eq!(chassis.admit(), Err(Fault::Throttled));
/// assert_eq!(chassis.counters().requests(), 3);
/// ```
#[derive(Debug)]
pub struct Chassis {
    latency: Duration,
    rate_limit: Option<u32>,
    error_rate: f64,
    seed: u64,
    throttle_first: u64,
    window: Mutex<(Instant, u32)>,
    counters: SandboxCounters,
}

impl Chassis {
    /// The chassis `options` describe (latency, rate limit, error rate and its seed).
    pub fn new(options: &SandboxOptions) -> Self {
        Chassis {
            latency: options.latency,
            rate_limit: options.rate_limit_per_minute,
            error_rate: options.error_rate,
            seed: options.seed,
            throttle_first: 0,
            window: Mutex::new((Instant::now(), 0)),
            counters: SandboxCounters::default(),
        }
    }

    /// The first `requests` requests are answered 429 (a test of backing off).
    pub fn throttle_first(mut self, requests: u64) -> Self {
        self.throttle_first = requests;
        self
    }

    /// The live counters (for the [`SandboxHandle`](super::SandboxHandle)).
    pub fn counters(&self) -> &SandboxCounters {
        &self.counters
    }

    /// How long to wait before answering.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// Counts a request: its number (from 1), or the fault to answer it with. The error rate
    /// is a deterministic share of the requests, by seed and number, so a run can be repeated.
    pub fn admit(&self) -> Result<u64, Fault> {
        let n = self
            .counters
            .requests
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        if n <= self.throttle_first || self.over_rate() {
            return Err(Fault::Throttled);
        }
        if self.error_rate > 0.0 && dice(self.seed, n) < self.error_rate {
            return Err(Fault::Unavailable(if n.is_multiple_of(2) {
                503
            } else {
                502
            }));
        }
        Ok(n)
    }

    /// Logs an answered request (see [`SandboxCounters::answered`]).
    pub fn answered(&self, method: &str, path_and_query: &str, status: u16) {
        self.counters.answered(method, path_and_query, status);
    }

    /// Whether the current minute's window is full (counting this request).
    fn over_rate(&self) -> bool {
        let Some(limit) = self.rate_limit else {
            return false;
        };
        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if window.0.elapsed() >= Duration::from_secs(60) {
            *window = (Instant::now(), 0);
        }
        window.1 = window.1.saturating_add(1);
        window.1 > limit
    }
}

/// A number in [0, 1) from `seed` and the request number (splitmix64).
fn dice(seed: u64, sequence: u64) -> f64 {
    let mut x = seed ^ sequence.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(error_rate: f64) -> SandboxOptions {
        SandboxOptions {
            error_rate,
            ..SandboxOptions::default()
        }
    }

    #[test]
    fn the_error_rate_is_a_repeatable_share_of_502s_and_503s() {
        let faults = |seed: u64| {
            let chassis = Chassis::new(&SandboxOptions {
                seed,
                ..options(0.3)
            });
            (0..2000).map(|_| chassis.admit().err()).collect::<Vec<_>>()
        };
        let run = faults(7);
        assert_eq!(run, faults(7), "same seed, same faults");
        assert_ne!(run, faults(8), "another seed, other faults");
        let failed: Vec<u16> = run.iter().flatten().map(|f| f.status()).collect();
        assert!(
            (500..700).contains(&failed.len()),
            "{} of 2000",
            failed.len()
        );
        assert!(failed.contains(&502) && failed.contains(&503));
        assert!(failed.iter().all(|s| *s == 502 || *s == 503));
        let none = Chassis::new(&options(0.0));
        assert!((0..500).all(|_| none.admit().is_ok()));
        let all = Chassis::new(&options(1.0));
        assert!((0..500).all(|_| all.admit().is_err()));
    }

    #[test]
    fn the_first_requests_can_be_throttled_and_are_numbered() {
        let chassis = Chassis::new(&options(0.0)).throttle_first(2);
        assert_eq!(chassis.admit(), Err(Fault::Throttled));
        assert_eq!(chassis.admit(), Err(Fault::Throttled));
        assert_eq!(chassis.admit(), Ok(3));
        assert_eq!(chassis.counters().requests(), 3);
        assert_eq!(Fault::Throttled.status(), 429);
    }
}
