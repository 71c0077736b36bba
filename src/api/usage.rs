//! Usage over the API: the figures the credential page charts.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Bearer;
use super::ok;
use super::problem::ApiResult;
use crate::domain::ids::{CredentialId, TeamId};
use crate::domain::usage::{Counts, Outcome};
use crate::ops::usage::{self, Series};
use crate::ops::{AppState, credentials};

/// Refused calls by reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefusedView {
    /// A wrong or retired secret, or a deleted credential.
    pub unknown_key: u64,
    pub suspended: u64,
    pub expired: u64,
    /// A resource the credential's access does not cover.
    pub no_access: u64,
    /// A path under no resource the gateway serves.
    pub wrong_resource: u64,
    /// The plan's quota was spent.
    pub quota_spent: u64,
}

/// Calls in one bucket.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"start": "2026-01-01T10:00:00.000Z", "allowed": 112, "refused": 3, "refused_by": {"unknown_key": 0, "suspended": 0, "expired": 0, "no_access": 0, "wrong_resource": 1, "quota_spent": 2}}))]
pub struct UsagePoint {
    /// The bucket's start, in UTC.
    #[schema(format = DateTime)]
    pub start: String,
    pub allowed: u64,
    pub refused: u64,
    pub refused_by: RefusedView,
}

impl UsagePoint {
    fn of(start: crate::clock::Timestamp, c: &Counts) -> Self {
        Self {
            start: start.rfc3339(),
            allowed: c.allowed(),
            refused: c.refused(),
            refused_by: RefusedView {
                unknown_key: c.get(Outcome::UnknownKey),
                suspended: c.get(Outcome::Suspended),
                expired: c.get(Outcome::Expired),
                no_access: c.get(Outcome::NoAccess),
                wrong_resource: c.get(Outcome::WrongResource),
                quota_spent: c.get(Outcome::QuotaSpent),
            },
        }
    }
}

fn points(s: &Series) -> Vec<UsagePoint> {
    s.points
        .iter()
        .map(|(t, c)| UsagePoint::of(*t, c))
        .collect()
}

/// One secret version's recent calls.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionUsageView {
    pub version: u32,
    /// Whether this is the credential's current secret (otherwise: the
    /// previous one, in or after a renewal's grace).
    pub current: bool,
    /// The last hour (its `start`: an hour ago).
    pub last_hour: UsagePoint,
    /// The last 24 hours.
    pub last_day: UsagePoint,
    /// The start of the last minute it was allowed a call, within the last day.
    #[schema(format = DateTime)]
    pub last_used: Option<String>,
}

/// A credential's calls as the gateway decided them.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialUsageView {
    pub credential: String,
    /// Always `UTC`: every time here is in UTC.
    pub time_zone: String,
    /// The last 24 hours, by hour, oldest first.
    pub hourly: Vec<UsagePoint>,
    /// The last 30 days, by day, oldest first.
    pub daily: Vec<UsagePoint>,
    /// Each secret version used in the last day, newest first.
    pub versions: Vec<VersionUsageView>,
    /// When it was last allowed a call; absent: never.
    #[schema(format = DateTime)]
    pub last_used: Option<String>,
}

/// Read a credential's usage
///
/// Calls the embedded gateway decided for the credential: allowed and refused by reason, per hour for the last day and per day for the last 30, and per secret version (after a renewal, the previous secret's calls show whether clients still use it). Counts are written every `[usage] flush_interval` (10 seconds by default).
#[utoipa::path(get, operation_id = "getCredentialUsage", path = "/api/v1/teams/{team}/credentials/{credential}/usage", tag = "credentials",
    params(("team" = String, Path, description = "The team's id"), ("credential" = String, Path, description = "The credential's id")),
    responses((status = 200, body = CredentialUsageView)),
    security(("bearer" = [])))]
pub async fn credential(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, CredentialId)>,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let caller = bearer.caller(&state, team)?;
    let c = credentials::team_credential(&state, caller.team_id(), id)?;
    let u = usage::of_credential(&state, &c)?;
    let now = state.clock.now();
    let ago = |secs: i64| crate::clock::Timestamp::from_millis(now.as_millis() - secs * 1_000);
    let versions = u
        .versions
        .iter()
        .map(|v| VersionUsageView {
            version: v.version,
            current: v.version == c.secret_version,
            last_hour: UsagePoint::of(ago(3_600), &v.last_hour),
            last_day: UsagePoint::of(ago(86_400), &v.last_day),
            last_used: v.last_used.map(|t| t.rfc3339()),
        })
        .collect();
    Ok(ok(&CredentialUsageView {
        credential: c.id.to_string(),
        time_zone: "UTC".to_owned(),
        hourly: points(&u.hourly),
        daily: points(&u.daily),
        versions,
        last_used: u.last_used.map(|t| t.rfc3339()),
    }))
}
