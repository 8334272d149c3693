//! Retry with exponential backoff and full jitter, adaptive concurrency (halve on 429, grow
//! back on success) and an optional request budget per minute: the resilience every provider
//! gets through [`HttpClient`](crate::http::HttpClient).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, ErrorKind};

/// When and how long to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: never retry). Default 10, which with the
    /// growing waits outlasts a one-minute quota window; the total-time cap is the real bound.
    pub max_attempts: u32,
    /// Base of the exponential backoff: retry `n` waits a random time in
    /// `[0, min(max_wait, base × 2^n)]` (full jitter). Default 1 s, so the first wait after a
    /// 429 without `Retry-After` is about one second on average, as UKG recommends.
    pub base: Duration,
    /// Cap on one wait. Default 30 s.
    pub max_wait: Duration,
    /// Cap on the time spent retrying one operation (waits included). Default 5 minutes.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            base: Duration::from_secs(1),
            max_wait: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait before retry number `retry` (1-based) of `error`, or `None` to give up.
    /// `started` is when the first attempt began.
    pub fn wait(&self, retry: u32, error: &Error, started: Instant) -> Option<Duration> {
        self.wait_for(error.is_retryable(), retry, error, started)
    }

    /// [`wait`](Self::wait) with the verdict on whether `error` may be retried given (a
    /// provider's [`ErrorPolicy`](super::ErrorPolicy) may decide otherwise than the SDK).
    pub fn wait_for(
        &self,
        retryable: bool,
        retry: u32,
        error: &Error,
        started: Instant,
    ) -> Option<Duration> {
        if !retryable || retry >= self.max_attempts {
            return None;
        }
        let wait = match error.kind() {
            // The server said how long: honour it (within the total cap).
            ErrorKind::RateLimited {
                retry_after: Some(after),
            } => *after,
            _ => {
                let ceiling = self
                    .base
                    .saturating_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX))
                    .min(self.max_wait);
                ceiling.mul_f64(jitter())
            }
        };
        // Checked: a `Retry-After` near the u64 maximum must give up, not overflow.
        let until = started.elapsed().checked_add(wait)?;
        (until <= self.max_elapsed).then_some(wait)
    }
}

/// A number in [0, 1): not cryptographic, only to spread retries apart.
fn jitter() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut x = nanos ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Requests in flight, adapted to the server: halved on every 429, grown back by one after
/// each round of successes (additive increase, multiplicative decrease), between 1 and the
/// configured maximum.
#[derive(Debug)]
pub struct Concurrency {
    semaphore: Arc<Semaphore>,
    state: Mutex<Aimd>,
    max: usize,
}

#[derive(Debug)]
struct Aimd {
    /// The current limit.
    limit: usize,
    /// Permits still to take out of circulation as they are returned.
    debt: usize,
    /// Successes since the limit last changed.
    successes: usize,
}

/// A slot in flight; returned (or retired, if the limit shrank) when dropped.
#[derive(Debug)]
pub struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    owner: Arc<Concurrency>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            let mut state = self.owner.lock();
            if state.debt > 0 {
                state.debt -= 1;
                permit.forget();
            }
        }
    }
}

impl Concurrency {
    /// At most `max` in flight (at least 1).
    pub fn new(max: usize) -> Arc<Self> {
        let max = max.max(1);
        Arc::new(Concurrency {
            semaphore: Arc::new(Semaphore::new(max)),
            state: Mutex::new(Aimd {
                limit: max,
                debt: 0,
                successes: 0,
            }),
            max,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Aimd> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a slot.
    pub async fn acquire(self: &Arc<Self>) -> Slot {
        let permit = self.semaphore.clone().acquire_owned().await.ok();
        Slot {
            permit,
            owner: self.clone(),
        }
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// The server throttled: halve the limit.
    pub fn on_throttled(&self) {
        let mut state = self.lock();
        let target = (state.limit / 2).max(1);
        let cut = state.limit - target;
        if cut > 0 {
            state.limit = target;
            state.successes = 0;
            let forgotten = self.semaphore.forget_permits(cut);
            state.debt += cut - forgotten;
            tracing::warn!(limit = target, "throttled: fewer requests in flight");
        }
    }

    /// A request succeeded: after a round of `limit` successes, allow one more in flight.
    pub fn on_success(&self) {
        let mut state = self.lock();
        if state.limit >= self.max {
            return;
        }
        state.successes += 1;
        if state.successes >= state.limit {
            state.successes = 0;
            state.limit += 1;
            if state.debt > 0 {
                state.debt -= 1;
            } else {
                self.semaphore.add_permits(1);
            }
            tracing::debug!(limit = state.limit, "recovering: more requests in flight");
        }
    }
}

/// Spaces request starts to stay within a budget per minute.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    /// At most `per_minute` request starts per minute.
    pub fn new(per_minute: u32) -> Self {
        Pacer {
            interval: Duration::from_secs(60) / per_minute.max(1),
            next: Mutex::new(None),
        }
    }

    /// Waits for this request's turn.
    pub async fn wait_turn(&self) {
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + self.interval);
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NetworkKind;

    fn err(kind: ErrorKind) -> Error {
        Error::new("t", kind, "x")
    }

    #[test]
    fn a_retry_after_near_the_maximum_gives_up_instead_of_overflowing() {
        let policy = RetryPolicy::default();
        for after in [Duration::MAX, Duration::from_secs(u64::MAX)] {
            let error = Error::new(
                "t",
                ErrorKind::RateLimited {
                    retry_after: Some(after),
                },
                "429",
            );
            assert_eq!(policy.wait(1, &error, Instant::now()), None);
        }
    }

    #[test]
    fn only_retryable_errors_are_retried() {
        let p = RetryPolicy::default();
        let now = Instant::now();
        for kind in [
            ErrorKind::Authentication,
            ErrorKind::Permission {
                permission: "p".into(),
            },
            ErrorKind::NotFound,
            ErrorKind::Protocol,
            ErrorKind::Remote { status: 500 },
            ErrorKind::Network(NetworkKind::Dns),
            ErrorKind::Network(NetworkKind::Tls),
        ] {
            assert_eq!(p.wait(1, &err(kind.clone()), now), None, "{kind:?}");
        }
        for kind in [
            ErrorKind::RateLimited { retry_after: None },
            ErrorKind::Remote { status: 502 },
            ErrorKind::Remote { status: 503 },
            ErrorKind::Remote { status: 504 },
            ErrorKind::Network(NetworkKind::Connect),
            ErrorKind::Network(NetworkKind::Timeout),
            ErrorKind::Network(NetworkKind::Other),
        ] {
            assert!(p.wait(1, &err(kind.clone()), now).is_some(), "{kind:?}");
        }
    }

    #[test]
    fn full_jitter_within_the_exponential_ceiling() {
        let p = RetryPolicy::default();
        let now = Instant::now();
        let e = err(ErrorKind::RateLimited { retry_after: None });
        let first: Vec<Duration> = (0..200).map(|_| p.wait(1, &e, now).unwrap()).collect();
        assert!(first.iter().all(|w| *w <= Duration::from_secs(2)));
        let mean = first.iter().sum::<Duration>() / 200;
        assert!(
            (Duration::from_millis(700)..Duration::from_millis(1300)).contains(&mean),
            "{mean:?}"
        );
        for retry in 1..7 {
            let w = p.wait(retry, &e, now).unwrap();
            assert!(w <= Duration::from_secs(30).min(Duration::from_secs(1 << retry)));
        }
    }

    #[test]
    fn retry_after_is_honoured_and_caps_apply() {
        let p = RetryPolicy::default();
        let now = Instant::now();
        let e = err(ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
        });
        assert_eq!(p.wait(1, &e, now), Some(Duration::from_secs(7)));
        assert_eq!(p.wait(10, &e, now), None, "attempt cap");
        let tight = RetryPolicy {
            max_elapsed: Duration::from_secs(5),
            ..p
        };
        assert_eq!(tight.wait(1, &e, now), None, "total time cap");
        assert_eq!(
            RetryPolicy::none().wait(1, &err(ErrorKind::Remote { status: 503 }), now),
            None
        );
    }

    #[tokio::test]
    async fn concurrency_halves_on_throttle_and_recovers() {
        let c = Concurrency::new(8);
        let held: Vec<Slot> = futures_util::future::join_all((0..8).map(|_| c.acquire())).await;
        c.on_throttled();
        assert_eq!(c.limit(), 4);
        drop(held);
        // Only 4 slots are available now.
        let slots: Vec<Slot> = futures_util::future::join_all((0..4).map(|_| c.acquire())).await;
        let fifth = tokio::time::timeout(Duration::from_millis(50), c.acquire()).await;
        assert!(fifth.is_err(), "the limit was not enforced");
        drop(slots);
        c.on_throttled();
        c.on_throttled();
        c.on_throttled();
        assert_eq!(c.limit(), 1, "never below one");
        for _ in 0..1 + 2 + 3 {
            c.on_success();
        }
        assert_eq!(c.limit(), 4, "one more per round of successes");
        for _ in 0..100 {
            c.on_success();
        }
        assert_eq!(c.limit(), 8, "back to the maximum, not beyond");
        let all: Vec<Slot> = futures_util::future::join_all((0..8).map(|_| c.acquire())).await;
        assert_eq!(all.len(), 8);
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_requests() {
        let p = Pacer::new(60);
        let start = tokio::time::Instant::now();
        for _ in 0..3 {
            p.wait_turn().await;
        }
        assert_eq!(
            start.elapsed().as_secs(),
            2,
            "three starts at one per second"
        );
    }
}
