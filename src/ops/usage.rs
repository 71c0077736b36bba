//! Usage: writing what the gateway counted, removing what is past its
//! keeping time, and reading it back for the pages and the API.

use std::time::Duration;

use crate::clock::Timestamp;
use crate::domain::usage::{Counts, Granularity, Retention};
use crate::ops::AppState;
use crate::store::StoreError;

/// One write at a time: a slow disk makes the next run wait, not overlap.
static WRITING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The retention the settings ask for.
pub fn retention(state: &AppState) -> Retention {
    let u = &state.config.usage;
    Retention {
        minutes: u.keep_minutes,
        hours: u.keep_hours,
        days: u.keep_days,
    }
}

/// Writes the calls counted since the last write, and the credentials'
/// last-used times, then flushes: once this returns, a crash loses none of
/// it. A failed write puts the counts back for the next one. Answers how
/// many minute samples were written.
pub async fn write(state: &std::sync::Arc<AppState>) -> Result<usize, StoreError> {
    let _one = WRITING.lock().await;
    let samples = state.gateway.usage.take();
    let last_used = state.gateway.take_last_used();
    if samples.is_empty() && last_used.is_empty() {
        return Ok(0);
    }
    for sample in &samples {
        for o in crate::domain::usage::Outcome::ALL {
            let n = sample.counts.get(o);
            if n > 0 {
                state
                    .metrics
                    .calls(crate::config::EMBEDDED_DATAPLANE, o.as_str(), n);
            }
        }
    }
    let s = state.clone();
    let n = samples.len();
    let written = actix_web::rt::task::spawn_blocking(move || {
        let r = s
            .store
            .add_usage(&samples)
            .and_then(|()| s.store.record_last_used(&last_used));
        match r {
            Ok(()) => Ok(()),
            Err(e) => {
                s.gateway.usage.restore(samples);
                Err(e)
            }
        }
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("the usage write stopped: {e}")))?;
    written?;
    state.store.flush().await?;
    Ok(n)
}

/// Removes buckets past their keeping time.
pub fn sweep(state: &AppState, now: Timestamp) -> Result<usize, StoreError> {
    state.store.sweep_usage(&retention(state), now)
}

/// A series of buckets: each bucket's start and its counts, oldest first,
/// every bucket present (empty ones as zero).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub granularity: Granularity,
    pub points: Vec<(Timestamp, Counts)>,
}

impl Series {
    /// `count` buckets of `g` ending with the one `now` falls in.
    pub fn empty(g: Granularity, now: Timestamp, count: usize) -> Self {
        let last = g.start(now);
        let first = last.as_millis() - g.millis() * (count as i64 - 1);
        Series {
            granularity: g,
            points: (0..count as i64)
                .map(|i| {
                    (
                        Timestamp::from_millis(first + i * g.millis()),
                        Counts::default(),
                    )
                })
                .collect(),
        }
    }

    pub fn from(&self) -> Timestamp {
        self.points
            .first()
            .map_or(Timestamp::from_millis(0), |p| p.0)
    }

    pub fn to(&self) -> Timestamp {
        self.points
            .last()
            .map_or(Timestamp::from_millis(0), |p| p.0)
            .plus(self.granularity.duration())
    }

    /// Adds `counts` to the bucket starting at `bucket`, if it is in range.
    pub fn add(&mut self, bucket: Timestamp, counts: &Counts) {
        if let Some(p) = self.points.iter_mut().find(|p| p.0 == bucket) {
            p.1.add(counts);
        }
    }

    pub fn total(&self) -> Counts {
        let mut t = Counts::default();
        for (_, c) in &self.points {
            t.add(c);
        }
        t
    }
}

/// The last 24 hours by hour, and the last 30 days by day.
pub fn windows(now: Timestamp) -> [Series; 2] {
    [
        Series::empty(Granularity::Hour, now, 24),
        Series::empty(Granularity::Day, now, 30),
    ]
}

/// How long ago `then` was, in words: "2 minutes ago".
pub fn ago(now: Timestamp, then: Timestamp) -> String {
    let d: Duration = now.since(then);
    let s = d.as_secs();
    match s {
        0..60 => "less than a minute ago".to_owned(),
        60..3_600 => plural(s / 60, "minute"),
        3_600..86_400 => plural(s / 3_600, "hour"),
        _ => plural(s / 86_400, "day"),
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

/// A credential's calls: by hour for a day and by day for a month, and
/// per secret version over the last hour and day.
#[derive(Debug, Clone)]
pub struct CredentialUsage {
    pub hourly: Series,
    pub daily: Series,
    /// Per secret version: calls in the last hour, in the last 24 hours,
    /// and the start of the last minute it was used (within the minutes kept).
    pub versions: Vec<VersionUsage>,
    /// When the credential was last allowed a call (any version).
    pub last_used: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionUsage {
    pub version: u32,
    pub last_hour: Counts,
    pub last_day: Counts,
    pub last_used: Option<Timestamp>,
}

/// The usage of one credential the caller's team holds.
pub fn of_credential(
    state: &AppState,
    c: &crate::domain::credential::Credential,
) -> Result<CredentialUsage, StoreError> {
    use crate::store::UsageOf;
    let now = state.clock.now();
    let of = UsageOf::Credential(c.team, c.application, c.id);
    let [mut hourly, mut daily] = windows(now);
    for r in state
        .store
        .usage(of, Granularity::Hour, hourly.from(), hourly.to())?
    {
        hourly.add(r.bucket, &r.counts);
    }
    for r in state
        .store
        .usage(of, Granularity::Day, daily.from(), daily.to())?
    {
        daily.add(r.bucket, &r.counts);
    }
    let minutes = state.store.usage(
        of,
        Granularity::Minute,
        Timestamp::from_millis(now.as_millis() - 86_400_000),
        now.plus(Granularity::Minute.duration()),
    )?;
    let hour_ago = Timestamp::from_millis(now.as_millis() - 3_600_000);
    let mut versions: Vec<VersionUsage> = Vec::new();
    for r in minutes {
        let Some((_, version)) = r.credential else {
            continue;
        };
        let at = match versions.iter().position(|v| v.version == version) {
            Some(at) => at,
            None => {
                versions.push(VersionUsage {
                    version,
                    last_hour: Counts::default(),
                    last_day: Counts::default(),
                    last_used: None,
                });
                versions.len() - 1
            }
        };
        let v = &mut versions[at];
        v.last_day.add(&r.counts);
        if r.bucket >= Granularity::Minute.start(hour_ago) {
            v.last_hour.add(&r.counts);
        }
        if r.counts.allowed() > 0 {
            v.last_used = v.last_used.max(Some(r.bucket));
        }
    }
    versions.sort_by_key(|v| std::cmp::Reverse(v.version));
    let last_used = state.store.last_used(&c.key_id)?;
    Ok(CredentialUsage {
        hourly,
        daily,
        versions,
        last_used,
    })
}

/// A credential's calls over the last 24 hours (the hour buckets that end now).
pub fn last_day(
    state: &AppState,
    c: &crate::domain::credential::Credential,
) -> Result<Counts, StoreError> {
    let now = state.clock.now();
    let day = Series::empty(Granularity::Hour, now, 24);
    let of = crate::store::UsageOf::Credential(c.team, c.application, c.id);
    let mut total = Counts::default();
    for r in state
        .store
        .usage(of, Granularity::Hour, day.from(), day.to())?
    {
        total.add(&r.counts);
    }
    Ok(total)
}

/// One credential of a team's usage page.
#[derive(Debug, Clone)]
pub struct CredentialCalls {
    pub credential: crate::domain::credential::Credential,
    pub last_day: Counts,
    pub last_month: Counts,
    pub last_used: Option<Timestamp>,
}

/// A team's usage: its calls per day, and each credential's calls.
#[derive(Debug, Clone)]
pub struct TeamUsage {
    pub daily: Series,
    /// Every live credential, most calls in the last 24 hours first.
    pub credentials: Vec<CredentialCalls>,
}

/// How long a credential must go unused to be listed as idle.
pub const IDLE: Duration = Duration::from_secs(30 * 86_400);

impl TeamUsage {
    /// Live credentials not used for [`IDLE`] (never-used ones counted from
    /// their creation), longest unused first.
    pub fn idle(&self, now: Timestamp) -> Vec<&CredentialCalls> {
        let since = Timestamp::from_millis(now.as_millis() - IDLE.as_millis() as i64);
        let mut idle: Vec<&CredentialCalls> = self
            .credentials
            .iter()
            .filter(|c| c.last_used.unwrap_or(c.credential.created_at) < since)
            .collect();
        idle.sort_by_key(|c| c.last_used.unwrap_or(c.credential.created_at));
        idle
    }
}

/// The usage of the caller's team.
pub fn of_team(
    state: &AppState,
    caller: &crate::ops::Caller,
) -> Result<TeamUsage, crate::ops::OpError> {
    use crate::domain::credential::Desired;
    use crate::store::UsageOf;
    use std::collections::HashMap;
    let now = state.clock.now();
    let team = caller.team_id();
    let of = UsageOf::Team(team);
    let [day, mut daily] = windows(now);
    let mut by_day: HashMap<crate::domain::ids::CredentialId, Counts> = HashMap::new();
    for r in state
        .store
        .usage(of, Granularity::Hour, day.from(), day.to())?
    {
        if let Some((c, _)) = r.credential {
            by_day.entry(c).or_default().add(&r.counts);
        }
    }
    let mut by_month: HashMap<crate::domain::ids::CredentialId, Counts> = HashMap::new();
    for r in state
        .store
        .usage(of, Granularity::Day, daily.from(), daily.to())?
    {
        daily.add(r.bucket, &r.counts);
        if let Some((c, _)) = r.credential {
            by_month.entry(c).or_default().add(&r.counts);
        }
    }
    let mut credentials = Vec::new();
    for c in crate::ops::credentials::list(state, caller)? {
        if c.desired == Desired::Deleted {
            continue;
        }
        let last_used = match state.gateway.last_used(&c.key_id) {
            Some(known) => known,
            None => state.store.last_used(&c.key_id)?,
        };
        credentials.push(CredentialCalls {
            last_day: by_day.get(&c.id).copied().unwrap_or_default(),
            last_month: by_month.get(&c.id).copied().unwrap_or_default(),
            last_used,
            credential: c,
        });
    }
    credentials.sort_by_key(|c| {
        (
            std::cmp::Reverse(c.last_day.total()),
            std::cmp::Reverse(c.last_month.total()),
        )
    });
    Ok(TeamUsage { daily, credentials })
}
