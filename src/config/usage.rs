//! `[usage]`: how often the gateway's counts are written, and how long
//! each size of bucket is kept.

use std::time::Duration;

use super::ConfigError;
use super::source::Sources;
use super::values::whole_seconds;

pub(super) const KEYS: &[&str] = &["flush_interval", "keep_minutes", "keep_hours", "keep_days"];

#[derive(Debug, Clone)]
pub struct UsageConfig {
    /// How often counted calls are written (whole seconds): a crash loses
    /// at most this much of the count.
    pub flush_interval: Duration,
    /// How long minute, hour and day buckets are kept.
    pub keep_minutes: Duration,
    pub keep_hours: Duration,
    pub keep_days: Duration,
}

pub(super) fn parse(s: &mut Sources) -> Result<UsageConfig, ConfigError> {
    let c = UsageConfig {
        flush_interval: s.parse("usage", "flush_interval", "10s", whole_seconds)?,
        keep_minutes: s.duration("usage", "keep_minutes", "48h", true)?,
        keep_hours: s.duration("usage", "keep_hours", "90d", true)?,
        keep_days: s.duration("usage", "keep_days", "730d", true)?,
    };
    if c.keep_minutes > c.keep_hours || c.keep_hours > c.keep_days {
        return Err(ConfigError::new(
            "usage: keep_minutes ≤ keep_hours ≤ keep_days, since each size of bucket adds up the one before",
        ));
    }
    Ok(c)
}

impl UsageConfig {
    /// The `[usage]` table of `agora check-config`.
    pub fn describe(&self) -> String {
        let d = super::format_duration;
        format!(
            "\n[usage]\nflush_interval = \"{}\"\nkeep_minutes = \"{}\"\nkeep_hours = \"{}\"\nkeep_days = \"{}\"\n",
            d(self.flush_interval),
            d(self.keep_minutes),
            d(self.keep_hours),
            d(self.keep_days)
        )
    }
}
