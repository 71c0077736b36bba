//! Credential lifetimes: what a provider allows per plan (overridable per
//! resource), what a consumer chooses within it, what happens at the
//! instant of expiry, and when the reminders before it fall due.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::FieldError;
use crate::clock::Timestamp;

pub const DAY: Duration = Duration::from_secs(86_400);

/// What happens to a credential when its lifetime ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AtExpiry {
    /// Refused from then on and suspended on the data plane; a renewal
    /// brings it back with a new secret.
    #[default]
    Suspend,
    /// Removed from the data plane and deleted.
    Deprovision,
}

impl AtExpiry {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "" | "suspend" => Some(AtExpiry::Suspend),
            "deprovision" => Some(AtExpiry::Deprovision),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AtExpiry::Suspend => "suspend",
            AtExpiry::Deprovision => "deprovision",
        }
    }
}

/// How long credentials under a plan (or a resource) may live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExpiryPolicy {
    /// The longest lifetime a consumer may choose, in days; `None`: no limit.
    #[serde(default)]
    pub max_days: Option<u32>,
    /// The lifetime when the consumer chooses none; `None`: never expires
    /// (only allowed without a maximum).
    #[serde(default)]
    pub default_days: Option<u32>,
    #[serde(default)]
    pub at_expiry: AtExpiry,
}

/// A lifetime chosen for one credential: until when, and what happens then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lifetime {
    pub days: Option<u32>,
    pub at_expiry: AtExpiry,
}

impl Lifetime {
    pub const NONE: Lifetime = Lifetime {
        days: None,
        at_expiry: AtExpiry::Suspend,
    };

    /// The instant a lifetime starting at `start` ends.
    pub fn ends(self, start: Timestamp) -> Option<Timestamp> {
        self.days.map(|d| start.plus(DAY * d))
    }
}

fn days_field(raw: &str, field: &'static str) -> Result<Option<u32>, FieldError> {
    let raw = raw.trim().replace(['_', ','], "");
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<u32>() {
        Ok(n) if (1..=ExpiryPolicy::MAX_DAYS).contains(&n) => Ok(Some(n)),
        _ => Err(FieldError::new(
            field,
            format!(
                "Give a whole number of days from 1 to {}, or leave it empty.",
                ExpiryPolicy::MAX_DAYS
            ),
        )),
    }
}

impl ExpiryPolicy {
    /// Ten years: beyond that a lifetime means nothing.
    pub const MAX_DAYS: u32 = 3_650;

    /// Reads the form's three fields. An empty default with a maximum
    /// means the maximum; a default above the maximum is refused.
    pub fn parse(
        max_days: &str,
        default_days: &str,
        at_expiry: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let max = days_field(max_days, "max_days").map_err(|e| errors.push(e));
        let default = days_field(default_days, "default_days").map_err(|e| errors.push(e));
        let at = AtExpiry::parse(at_expiry).ok_or_else(|| {
            errors.push(FieldError::new(
                "at_expiry",
                "Choose what happens at expiry: suspend or deprovision.",
            ))
        });
        let (Ok(max_days), Ok(default_days), Ok(at_expiry)) = (max, default, at) else {
            return Err(errors);
        };
        if let (Some(m), Some(d)) = (max_days, default_days)
            && d > m
        {
            return Err(vec![FieldError::new(
                "default_days",
                format!("The default lifetime cannot be longer than the maximum ({m} days)."),
            )]);
        }
        Ok(Self {
            max_days,
            default_days: default_days.or(max_days),
            at_expiry,
        })
    }

    /// Whether credentials under it never expire unless a consumer asks.
    pub fn is_open(&self) -> bool {
        self.max_days.is_none() && self.default_days.is_none()
    }

    /// The lifetime for a consumer's choice (`""`: the default).
    pub fn lifetime(&self, chosen: &str) -> Result<Lifetime, FieldError> {
        let days = match days_field(chosen, "lifetime_days")? {
            None => self.default_days,
            Some(d) => match self.max_days {
                Some(m) if d > m => {
                    return Err(FieldError::new(
                        "lifetime_days",
                        format!("Credentials of this resource live at most {m} days."),
                    ));
                }
                _ => Some(d),
            },
        };
        Ok(Lifetime {
            days,
            at_expiry: self.at_expiry,
        })
    }
}

impl fmt::Display for ExpiryPolicy {
    /// "At most 90 days (30 by default), then suspended."
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let then = match self.at_expiry {
            AtExpiry::Suspend => "then suspended",
            AtExpiry::Deprovision => "then removed",
        };
        match (self.max_days, self.default_days) {
            (None, None) => f.write_str("No expiry unless the consumer sets one"),
            (Some(m), Some(d)) if m == d => write!(f, "{m} days, {then}"),
            (Some(m), Some(d)) => write!(f, "At most {m} days ({d} by default), {then}"),
            (Some(m), None) => write!(f, "At most {m} days, {then}"),
            (None, Some(d)) => write!(f, "{d} days by default, {then}"),
        }
    }
}

/// The next reminder of a lifetime from `start` to `expires`: the largest
/// offset (in days) below `reminded` (the smallest one already sent) whose
/// instant falls after the lifetime began. Offsets whose instant has passed
/// by `now` fold into the most urgent of them, so a server that was down
/// sends one reminder, not five.
pub fn next_reminder(
    offsets: &[u32],
    start: Timestamp,
    expires: Timestamp,
    reminded: Option<u32>,
    now: Timestamp,
) -> Option<(u32, Timestamp)> {
    let mut due: Vec<(u32, Timestamp)> = offsets
        .iter()
        .copied()
        .filter(|o| reminded.is_none_or(|r| *o < r))
        .map(|o| {
            (
                o,
                Timestamp::from_millis(expires.as_millis() - (DAY * o).as_millis() as i64),
            )
        })
        .filter(|(_, at)| *at > start && *at < expires)
        .collect();
    due.sort_by_key(|(o, _)| std::cmp::Reverse(*o));
    let passed = due.iter().rposition(|(_, at)| *at <= now);
    match passed {
        Some(i) => Some(due[i]),
        None => due.first().copied(),
    }
}

/// "in 12 days", "in 5 hours", "2 days ago".
pub fn countdown(now: Timestamp, at: Timestamp) -> String {
    let ms = at.as_millis() - now.as_millis();
    let secs = ms.unsigned_abs() / 1000;
    let (d, h, m) = (secs / 86_400, secs / 3_600, secs / 60);
    let (n, unit) = if d > 0 {
        (d, "day")
    } else if h > 0 {
        (h, "hour")
    } else if m > 0 {
        (m, "minute")
    } else {
        (secs, "second")
    };
    let amount = if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    };
    if ms >= 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: i64) -> Timestamp {
        Timestamp::from_millis(n * 86_400_000)
    }

    #[test]
    fn a_policy_reads_its_form_and_refuses_what_does_not_fit() {
        let p = ExpiryPolicy::parse("90", "", "deprovision").unwrap();
        assert_eq!(
            (p.max_days, p.default_days, p.at_expiry),
            (Some(90), Some(90), AtExpiry::Deprovision)
        );
        assert!(ExpiryPolicy::parse("", "", "").unwrap().is_open());
        let e = ExpiryPolicy::parse("30", "60", "suspend").unwrap_err();
        assert_eq!(e[0].field, "default_days");
        let e = ExpiryPolicy::parse("0", "x", "later").unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["max_days", "default_days", "at_expiry"]);
        assert!(ExpiryPolicy::parse("3651", "", "").is_err());
    }

    #[test]
    fn a_consumer_chooses_within_the_maximum() {
        let p = ExpiryPolicy::parse("90", "30", "suspend").unwrap();
        assert_eq!(p.lifetime("").unwrap().days, Some(30));
        assert_eq!(p.lifetime("90").unwrap().days, Some(90));
        assert_eq!(p.lifetime("91").unwrap_err().field, "lifetime_days");
        let open = ExpiryPolicy::default();
        assert_eq!(open.lifetime("").unwrap().days, None);
        assert_eq!(open.lifetime("400").unwrap().days, Some(400));
        assert_eq!(
            Lifetime {
                days: Some(2),
                ..Lifetime::NONE
            }
            .ends(day(1)),
            Some(day(3))
        );
    }

    #[test]
    fn reminders_fall_once_per_offset_and_fold_when_late() {
        let offsets = [30, 14, 7, 3, 1];
        let (start, expires) = (day(0), day(60));
        // First the 30-day one, at day 30.
        assert_eq!(
            next_reminder(&offsets, start, expires, None, day(1)),
            Some((30, day(30)))
        );
        // After it, the 14-day one.
        assert_eq!(
            next_reminder(&offsets, start, expires, Some(30), day(30)),
            Some((14, day(46)))
        );
        // Down from day 29 to day 58: one reminder, the 3-day one.
        assert_eq!(
            next_reminder(&offsets, start, expires, None, day(58)),
            Some((3, day(57)))
        );
        assert_eq!(
            next_reminder(&offsets, start, expires, Some(1), day(59)),
            None
        );
        // A ten-day lifetime never hears of 30 or 14 days.
        assert_eq!(
            next_reminder(&offsets, day(50), expires, None, day(50)),
            Some((7, day(53)))
        );
    }

    #[test]
    fn countdowns_read_as_people_say_them() {
        assert_eq!(countdown(day(0), day(12)), "in 12 days");
        assert_eq!(countdown(day(2), day(0)), "2 days ago");
        assert_eq!(
            countdown(day(0), Timestamp::from_millis(5 * 3_600_000 + 1)),
            "in 5 hours"
        );
    }
}
