//! Usage: how many calls the gateway decided for each credential, per
//! secret version and per time bucket, allowed or refused and why.
//!
//! Calls are counted in minute buckets; the same counts add up into hour
//! and day buckets, so a chart of a day reads 24 buckets and a chart of a
//! month 30. Each granularity is kept for its own time (48 hours of
//! minutes, 90 days of hours, two years of days by default).

use std::time::Duration;

use crate::clock::Timestamp;
use crate::domain::ids::{ApplicationId, CredentialId, ResourceId, TeamId};

/// What the gateway decided for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Allowed,
    /// A key or token the credential does not hold: a wrong or retired secret.
    UnknownKey,
    Suspended,
    Expired,
    /// The credential's application has no access to the resource called.
    NoAccess,
    /// The path is under no resource the gateway serves.
    WrongResource,
    /// The plan's quota is spent.
    QuotaSpent,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::Allowed,
        Outcome::UnknownKey,
        Outcome::Suspended,
        Outcome::Expired,
        Outcome::NoAccess,
        Outcome::WrongResource,
        Outcome::QuotaSpent,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// The word the API, the CSV and the metrics use.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::UnknownKey => "unknown_key",
            Outcome::Suspended => "suspended",
            Outcome::Expired => "expired",
            Outcome::NoAccess => "no_access",
            Outcome::WrongResource => "wrong_resource",
            Outcome::QuotaSpent => "quota_spent",
        }
    }

    /// What the pages call it.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Allowed => "Allowed",
            Outcome::UnknownKey => "Unknown or retired secret",
            Outcome::Suspended => "Suspended",
            Outcome::Expired => "Expired",
            Outcome::NoAccess => "No access",
            Outcome::WrongResource => "Unknown resource",
            Outcome::QuotaSpent => "Quota spent",
        }
    }
}

/// Calls counted in one bucket, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts(pub [u64; 7]);

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a = a.saturating_add(b);
        }
    }

    pub fn get(&self, o: Outcome) -> u64 {
        self.0[o.index()]
    }

    pub fn bump(&mut self, o: Outcome) {
        self.0[o.index()] = self.0[o.index()].saturating_add(1);
    }

    pub fn allowed(&self) -> u64 {
        self.get(Outcome::Allowed)
    }

    pub fn refused(&self) -> u64 {
        self.0[1..].iter().sum()
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }
}

/// The size of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Granularity {
    Minute,
    Hour,
    Day,
}

impl Granularity {
    pub const ALL: [Granularity; 3] = [Granularity::Minute, Granularity::Hour, Granularity::Day];

    pub fn millis(self) -> i64 {
        match self {
            Granularity::Minute => 60_000,
            Granularity::Hour => 3_600_000,
            Granularity::Day => 86_400_000,
        }
    }

    pub fn duration(self) -> Duration {
        Duration::from_millis(self.millis() as u64)
    }

    /// The start of the bucket `at` falls in (buckets are aligned to UTC).
    pub fn start(self, at: Timestamp) -> Timestamp {
        let ms = at.as_millis();
        Timestamp::from_millis(ms - ms.rem_euclid(self.millis()))
    }

    pub fn code(self) -> u8 {
        match self {
            Granularity::Minute => b'm',
            Granularity::Hour => b'h',
            Granularity::Day => b'd',
        }
    }
}

/// Who a count is for: the credential, and where it sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Meter {
    pub team: TeamId,
    pub application: ApplicationId,
    pub credential: CredentialId,
    pub resource: ResourceId,
    pub secret_version: u32,
}

/// One minute of one credential's calls with one secret version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub meter: Meter,
    pub minute: Timestamp,
    pub counts: Counts,
}

/// How long each granularity is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub minutes: Duration,
    pub hours: Duration,
    pub days: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            minutes: Duration::from_secs(48 * 3_600),
            hours: Duration::from_secs(90 * 86_400),
            days: Duration::from_secs(730 * 86_400),
        }
    }
}

impl Retention {
    pub fn of(&self, g: Granularity) -> Duration {
        match g {
            Granularity::Minute => self.minutes,
            Granularity::Hour => self.hours,
            Granularity::Day => self.days,
        }
    }

    /// The first bucket start still kept at `now`.
    pub fn cutoff(&self, g: Granularity, now: Timestamp) -> Timestamp {
        let keep = i64::try_from(self.of(g).as_millis()).unwrap_or(i64::MAX);
        g.start(Timestamp::from_millis(now.as_millis().saturating_sub(keep)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_start_on_utc_boundaries() {
        let t = Timestamp::from_millis(1_767_225_600_000 + 3_723_456); // 01:02:03.456
        assert_eq!(
            Granularity::Minute.start(t).as_millis(),
            1_767_225_600_000 + 3_720_000
        );
        assert_eq!(
            Granularity::Hour.start(t).as_millis(),
            1_767_225_600_000 + 3_600_000
        );
        assert_eq!(Granularity::Day.start(t).as_millis(), 1_767_225_600_000);
    }

    #[test]
    fn counts_split_allowed_and_refused() {
        let mut c = Counts::default();
        c.bump(Outcome::Allowed);
        c.bump(Outcome::Allowed);
        c.bump(Outcome::QuotaSpent);
        assert_eq!((c.allowed(), c.refused(), c.total()), (2, 1, 3));
        let mut d = c;
        d.add(&c);
        assert_eq!(d.get(Outcome::QuotaSpent), 2);
    }
}
