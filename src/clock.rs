//! Every time decision goes through a [`Clock`], so tests of windows, expiry and
//! throttling move time forward instead of sleeping.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    pub fn plus(self, d: Duration) -> Self {
        Self(
            self.0
                .saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }

    /// Time from `earlier` to `self`; zero when `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(self.0 - earlier.0).unwrap_or(0))
    }

    /// Big-endian bytes: keys made from timestamps sort by time.
    pub fn to_be_bytes(self) -> [u8; 8] {
        // Offsetting by i64::MIN makes negative times sort before positive ones.
        ((self.0 as u64) ^ (1 << 63)).to_be_bytes()
    }

    /// RFC 3339 in UTC with milliseconds: "2026-11-27T16:20:05.123Z".
    pub fn rfc3339(self) -> String {
        chrono::DateTime::from_timestamp_millis(self.0)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default()
    }

    /// "2026-11-27 16:20 UTC"
    pub fn display(self) -> String {
        // Every page shows many times: formatting the fields directly costs a
        // tenth of parsing a strftime pattern each time.
        use chrono::{Datelike, Timelike};
        chrono::DateTime::from_timestamp_millis(self.0)
            .map(|t| {
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                    t.year(),
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute()
                )
            })
            .unwrap_or_else(|| "—".to_owned())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.display())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

pub type SharedClock = Arc<dyn Clock>;

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(chrono::Utc::now().timestamp_millis())
    }
}

/// A clock that moves only when told to. Cloning shares the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(start.0)))
    }

    /// A fixed, readable starting point for tests: 2026-01-01 00:00 UTC.
    pub fn at_test_epoch() -> Self {
        Self::new(Timestamp(1_767_225_600_000))
    }

    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_the_calendar() {
        // From before 1970 to past 2100, on a stride that crosses leap days and month ends.
        let mut ms = -200_000_000_000i64;
        while ms < 4_200_000_000_000 {
            let expected = chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .format("%Y-%m-%d %H:%M UTC")
                .to_string();
            assert_eq!(Timestamp(ms).display(), expected);
            ms += 7_919_999_999;
        }
        assert_eq!(Timestamp(i64::MAX).display(), "—");
    }

    #[test]
    fn timestamp_bytes_sort_like_times() {
        let times = [-5_000i64, -1, 0, 1, 1_767_225_600_000];
        for pair in times.windows(2) {
            let (a, b) = (Timestamp(pair[0]), Timestamp(pair[1]));
            assert!(a.to_be_bytes() < b.to_be_bytes());
        }
    }

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = ManualClock::at_test_epoch();
        let t0 = clock.now();
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now().since(t0), Duration::from_secs(90));
        assert_eq!(t0.display(), "2026-01-01 00:00 UTC");
    }
}
