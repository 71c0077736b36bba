//! Teams over the API: the teams a token reaches, their members and their
//! activity; and the person's notifications.

use actix_web::{HttpResponse, web};

use super::auth::Bearer;
use super::ok;
use super::page::{AuditList, MemberList, NotificationList, Page, TeamList};
use super::problem::{ApiResult, Problem};
use super::views::{AuditView, MemberView, NotificationView, TeamView};
use crate::domain::ids::{NotificationId, TeamId};
use crate::ops::{AppState, notifications, teams, tokens};

/// List the teams this token reaches
///
/// Each team with the caller's role in it. A team token reaches its own team only.
#[utoipa::path(get, operation_id = "listTeams", path = "/api/v1/teams", tag = "teams", params(Page),
    responses(
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query or body that does not parse"),(status = 200, body = TeamList), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    bearer: Bearer,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let all = tokens::teams(&state, &bearer.0)?
        .iter()
        .map(|(t, r)| TeamView::of(t, r.as_str()))
        .collect();
    Ok(ok(&TeamList::new(page.of(all, |t| t.id.clone())?)))
}

/// Read a team
///
/// The team, with the caller's role in it.
#[utoipa::path(get, operation_id = "getTeam", path = "/api/v1/teams/{team}", tag = "teams",
    params(("team" = String, Path, description = "The team's id")),
    responses((status = 200, body = TeamView), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<TeamId>,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    Ok(ok(&TeamView::of(&c.team, c.role.as_str())))
}

/// List a team's members
///
/// Each member with their role and since when they belong to the team.
#[utoipa::path(get, operation_id = "listTeamMembers", path = "/api/v1/teams/{team}/members", tag = "teams",
    params(("team" = String, Path, description = "The team's id"), Page),
    responses(
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query or body that does not parse"),(status = 200, body = MemberList), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn members(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<TeamId>,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    let all = teams::members(&state, &c)?
        .iter()
        .map(|(m, u)| MemberView::of(m, u))
        .collect();
    Ok(ok(&MemberList::new(page.of(all, |m| m.user.clone())?)))
}

/// Read a team's audit trail
///
/// What was done in the team, by whom and when, oldest first.
#[utoipa::path(get, operation_id = "listTeamAudit", path = "/api/v1/teams/{team}/audit", tag = "teams",
    params(("team" = String, Path, description = "The team's id"), Page),
    responses(
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query or body that does not parse"),(status = 200, body = AuditList, description = "The team's activity, oldest first within the last 1,000 records"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn audit(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<TeamId>,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    let all = teams::history(&state, &c)?
        .iter()
        .map(AuditView::from)
        .collect();
    Ok(ok(&AuditList::new(page.of(all, |a| a.id.clone())?)))
}

/// List the person's notifications
///
/// The notifications of the token's person, across their teams. A service token has none.
#[utoipa::path(get, operation_id = "listNotifications", path = "/api/v1/notifications", tag = "notifications", params(Page),
    responses(
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query or body that does not parse"),(status = 200, body = NotificationList, description = "The person's latest 100 notifications"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "A service token: it has no person")),
    security(("bearer" = [])))]
pub async fn notifications(
    state: web::Data<AppState>,
    bearer: Bearer,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let user = bearer.person()?;
    let all = notifications::list(&state, user)?
        .iter()
        .map(NotificationView::from)
        .collect();
    Ok(ok(&NotificationList::new(page.of(all, |n| n.id.clone())?)))
}

/// Mark a notification read
///
/// Marks one of the person's notifications as read; marking it again changes nothing.
#[utoipa::path(post, operation_id = "markNotificationRead", path = "/api/v1/notifications/{notification}/read", tag = "notifications",
    params(("notification" = String, Path, description = "The notification's id")),
    responses((status = 404, body = Problem, content_type = "application/problem+json"), (status = 204, description = "Marked read"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn read(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<NotificationId>,
) -> ApiResult<HttpResponse> {
    let user = bearer.person()?;
    super::writes(&bearer)?;
    notifications::mark_read(&state, user, Some(*path)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Which notification topics also come to the person by email.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EmailTopics {
    /// Among credentials, access, subscriptions and approvals.
    #[schema(value_type = Vec<super::views::Topic>)]
    pub topics: Vec<String>,
    /// Whether this server sends email at all.
    pub email_on: bool,
}

/// The topics to receive by email.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailTopicsBody {
    /// Among credentials, access, subscriptions and approvals.
    #[schema(value_type = Vec<super::views::Topic>)]
    pub topics: Vec<String>,
}

/// Read the email topics
///
/// Which topics of notifications the person also receives by email, and whether email is set up on this installation.
#[utoipa::path(get, operation_id = "getEmailTopics", path = "/api/v1/notifications/email", tag = "notifications",
    responses((status = 200, body = EmailTopics), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "A service token: it has no person")),
    security(("bearer" = [])))]
pub async fn email_topics(state: web::Data<AppState>, bearer: Bearer) -> ApiResult<HttpResponse> {
    let user = bearer.person()?;
    let u = state
        .store
        .user(user)
        .map_err(crate::ops::OpError::from)?
        .ok_or(crate::ops::OpError::NotFound)?;
    Ok(ok(&EmailTopics {
        topics: u
            .email_topics
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
        email_on: crate::ops::account::mail_on(&state),
    }))
}

/// Choose the email topics
///
/// Replaces the topics the person receives by email.
#[utoipa::path(put, operation_id = "setEmailTopics", path = "/api/v1/notifications/email", tag = "notifications",
    request_body = EmailTopicsBody,
    responses((status = 200, body = EmailTopics), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn set_email_topics(
    state: web::Data<AppState>,
    bearer: Bearer,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let user = bearer.person()?;
    super::writes(&bearer)?;
    let b: EmailTopicsBody = super::json(&body)?;
    let u = state
        .store
        .user(user)
        .map_err(crate::ops::OpError::from)?
        .ok_or(crate::ops::OpError::NotFound)?;
    let topics = crate::ops::account::set_email_topics(&state, &u, &b.topics).await?;
    Ok(ok(&EmailTopics {
        topics: topics.iter().map(|t| t.as_str().to_owned()).collect(),
        email_on: crate::ops::account::mail_on(&state),
    }))
}
