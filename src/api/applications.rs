//! Applications over the API: list, create, read, edit, archive, delete.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Bearer;
use super::page::{ApplicationList, Page};
use super::problem::{ApiResult, Problem};
use super::views::ApplicationView;
use super::{created, json, located, ok, once};
use crate::domain::ids::{ApplicationId, TeamId};
use crate::ops::AppState;
use crate::ops::applications::{self, AppInput};

/// An application's name and description.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Checkout", "description": "The web shop's checkout service"}))]
#[serde(deny_unknown_fields)]
pub struct ApplicationBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

impl From<ApplicationBody> for AppInput {
    fn from(b: ApplicationBody) -> Self {
        AppInput {
            name: b.name,
            description: b.description,
        }
    }
}

/// List a team's applications
///
/// The team's applications, archived ones included.
#[utoipa::path(get, operation_id = "listApplications", path = "/api/v1/teams/{team}/applications", tag = "applications",
    params(("team" = String, Path, description = "The team's id"), Page),
    responses(
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query or body that does not parse"),(status = 200, body = ApplicationList), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<TeamId>,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    let all = applications::list(&state, &c)?
        .iter()
        .map(ApplicationView::from)
        .collect();
    Ok(ok(&ApplicationList::new(page.of(all, |a| a.id.clone())?)))
}

/// Create an application
///
/// An application holds the team's access requests and credentials for one piece of software.
#[utoipa::path(post, operation_id = "createApplication", path = "/api/v1/teams/{team}/applications", tag = "applications",
    params(("team" = String, Path, description = "The team's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried create with the same key answers with the first one's application")),
    request_body = ApplicationBody,
    responses((status = 201, body = ApplicationView), (status = 200, body = ApplicationView, description = "Replayed"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: Bearer,
    path: web::Path<TeamId>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    let input: AppInput = json::<ApplicationBody>(&body)?.into();
    once::create(
        &state,
        &req,
        &bearer,
        &body,
        || async {
            let a = applications::save(&state, &c, None, &input).await?;
            Ok((
                a.id.to_string(),
                located(&req, &a.id.to_string(), created(&ApplicationView::from(&a))),
            ))
        },
        |id| {
            let id = id.parse().map_err(|_| crate::ops::OpError::NotFound)?;
            Ok(ok(&ApplicationView::from(&applications::team_app(
                &state,
                c.team_id(),
                id,
            )?)))
        },
    )
    .await
}

/// Read an application
///
/// One of the team's applications.
#[utoipa::path(get, operation_id = "getApplication", path = "/api/v1/teams/{team}/applications/{application}", tag = "applications",
    params(("team" = String, Path, description = "The team's id"), ("application" = String, Path, description = "The application's id")),
    responses((status = 200, body = ApplicationView), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, ApplicationId)>,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    Ok(ok(&ApplicationView::from(&applications::team_app(
        &state,
        c.team_id(),
        id,
    )?)))
}

/// Change an application
///
/// Replaces the application's name and description.
#[utoipa::path(put, operation_id = "updateApplication", path = "/api/v1/teams/{team}/applications/{application}", tag = "applications",
    params(("team" = String, Path, description = "The team's id"), ("application" = String, Path, description = "The application's id")),
    request_body = ApplicationBody,
    responses((status = 200, body = ApplicationView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, ApplicationId)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    let input: AppInput = json::<ApplicationBody>(&body)?.into();
    let a = applications::save(&state, &c, Some(id), &input).await?;
    Ok(ok(&ApplicationView::from(&a)))
}

/// Archive an application
///
/// Revokes the application's access everywhere and deletes its credentials; an archived application can then be deleted.
#[utoipa::path(post, operation_id = "archiveApplication", path = "/api/v1/teams/{team}/applications/{application}/archive", tag = "applications",
    params(("team" = String, Path, description = "The team's id"), ("application" = String, Path, description = "The application's id")),
    responses((status = 200, body = ApplicationView, description = "Archived: its access is revoked everywhere"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn archive(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, ApplicationId)>,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    let a = applications::team_app(&state, c.team_id(), id)?;
    applications::archive(&state, &c, &a).await?;
    Ok(ok(&ApplicationView::from(&applications::team_app(
        &state,
        c.team_id(),
        id,
    )?)))
}

/// Delete an application
///
/// Removes an archived application.
#[utoipa::path(delete, operation_id = "deleteApplication", path = "/api/v1/teams/{team}/applications/{application}", tag = "applications",
    params(("team" = String, Path, description = "The team's id"), ("application" = String, Path, description = "The application's id")),
    responses((status = 204, description = "Deleted (it must be archived first)"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, ApplicationId)>,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    let a = applications::team_app(&state, c.team_id(), id)?;
    applications::delete(&state, &c, &a).await?;
    Ok(HttpResponse::NoContent().finish())
}
