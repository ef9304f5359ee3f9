//! How fast Herald sends and how it waits before trying again: one rule set for the
//! engine's posts and for the messages of an email list.
//!
//! - **Retries** (posts and list messages alike, [`Retry`]): a transient failure is tried
//!   again within the run after [`backoff`] (exponential from `[publish] retry_base`,
//!   full jitter) or after the wait the server asked for (`Retry-After`), at most
//!   `retries_per_run` times, and never when the wait would be longer than
//!   `max_retry_wait`: then it is left for the next run.
//! - **Posts**: per channel and run at most `max_posts_per_run` posts, each at least
//!   `min_spacing` after the last one on that channel; `max_attempts` failed attempts
//!   over all runs and a part is given up (the engine applies these).
//! - **Email lists**: per list at most `rate` messages a second ([`Rate`]) over
//!   `concurrency` connections, each message within `request_timeout`. A list send is
//!   one send however many messages it holds, so `max_posts_per_run`, `min_spacing`
//!   and `max_attempts` do not apply to it: the send log decides who still gets it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How transient failures are retried within a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Retries of one post part (or one message) within a run.
    pub retries: u32,
    /// The first backoff; doubled per retry.
    pub base: Duration,
    /// A longer wait than this is left for the next run.
    pub max_wait: Duration,
}

impl Retry {
    /// How long to wait before retry number `retry` (from 1): what the server `asked`
    /// for, else [`backoff`]. `None` when it is left for the next run: past `retries`,
    /// or the wait is longer than `max_wait`.
    pub fn wait(&self, retry: u32, asked: Option<Duration>) -> Option<Duration> {
        let wait = asked.unwrap_or_else(|| backoff(self.base, retry));
        (retry <= self.retries && wait <= self.max_wait).then_some(wait)
    }
}

/// Exponential backoff with full jitter: a random wait up to `base * 2^(retry-1)`.
pub fn backoff(base: Duration, retry: u32) -> Duration {
    let ceiling = base.saturating_mul(1 << retry.saturating_sub(1).min(10));
    ceiling.mul_f64(fastrand::f64())
}

/// Evenly spaced slots, at most `per_second` of them, shared by concurrent senders.
pub struct Rate {
    period: Option<Duration>,
    next: Mutex<Instant>,
}

impl Rate {
    /// `None`: no limit.
    pub fn new(per_second: Option<f64>) -> Rate {
        Rate {
            period: per_second.map(|r| Duration::from_secs_f64(1.0 / r)),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for the next free slot.
    pub async fn wait(&self) {
        let Some(period) = self.period else { return };
        let at = {
            let mut next = self.next.lock().expect("rate lock");
            let at = (*next).max(Instant::now());
            *next = at + period;
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn backoff_stays_under_the_doubling_ceiling() {
        for (retry, ceiling) in [(1, 100), (2, 200), (3, 400), (12, 102_400), (40, 102_400)] {
            for _ in 0..200 {
                assert!(backoff(100 * MS, retry) < ceiling * MS, "retry {retry}");
            }
        }
        assert_eq!(backoff(Duration::ZERO, 3), Duration::ZERO);
    }

    #[test]
    fn a_retry_waits_unless_it_is_one_too_many_or_too_long() {
        let r = Retry {
            retries: 2,
            base: 10 * MS,
            max_wait: 50 * MS,
        };
        assert!(r.wait(1, None).is_some_and(|w| w < 10 * MS));
        assert!(r.wait(2, None).is_some_and(|w| w < 20 * MS));
        assert_eq!(r.wait(3, None), None);
        assert_eq!(r.wait(1, Some(30 * MS)), Some(30 * MS));
        assert_eq!(r.wait(1, Some(50 * MS)), Some(50 * MS));
        assert_eq!(r.wait(1, Some(51 * MS)), None);
        assert_eq!(r.wait(3, Some(MS)), None);
    }

    #[tokio::test]
    async fn a_rate_spaces_the_slots_evenly() {
        let rate = Rate::new(Some(50.0));
        let start = Instant::now();
        for n in 0..4u32 {
            rate.wait().await;
            // Never early; a slot may be late on a busy machine.
            assert!(start.elapsed() >= 20 * MS * n, "slot {n}");
        }
        let free = Rate::new(None);
        let before = Instant::now();
        for _ in 0..100 {
            free.wait().await;
        }
        assert!(before.elapsed() < 20 * MS);
    }
}
