//! When a variant goes out: scheduled, due, missed or expired at a given moment.

use crate::announcement::FrontMatter;
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// No `publish_at`: never goes out.
    Unscheduled,
    /// `publish_at` is in the future.
    Scheduled(Timestamp),
    /// `publish_at` has passed, within `max_delay`.
    Due,
    /// More than `max_delay` late: never sent automatically (a stale "event tomorrow"
    /// post is worse than none).
    Missed,
    /// `expires_at` has passed.
    Expired,
}

pub fn timing(front: &FrontMatter, now: Timestamp, max_delay: SignedDuration) -> Timing {
    if front.expires_at.is_some_and(|e| e <= now) {
        return Timing::Expired;
    }
    match front.publish_at {
        None => Timing::Unscheduled,
        Some(p) if p > now => Timing::Scheduled(p),
        Some(p) if now.duration_since(p) > max_delay => Timing::Missed,
        Some(_) => Timing::Due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn front(publish: &str, expires: Option<&str>) -> FrontMatter {
        FrontMatter {
            publish_at: Some(publish.parse().unwrap()),
            expires_at: expires.map(|e| e.parse().unwrap()),
            ..FrontMatter::default()
        }
    }

    #[test]
    fn the_four_timings() {
        let day = SignedDuration::from_hours(24);
        let f = front("2026-06-30T07:00:00Z", Some("2026-07-10T00:00:00Z"));
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert!(matches!(
            timing(&f, at("2026-06-30T06:59:59Z"), day),
            Timing::Scheduled(_)
        ));
        assert_eq!(timing(&f, at("2026-06-30T07:00:00Z"), day), Timing::Due);
        assert_eq!(timing(&f, at("2026-07-01T07:00:00Z"), day), Timing::Due);
        assert_eq!(timing(&f, at("2026-07-01T07:00:01Z"), day), Timing::Missed);
        assert_eq!(timing(&f, at("2026-07-10T00:00:00Z"), day), Timing::Expired);
    }
}
