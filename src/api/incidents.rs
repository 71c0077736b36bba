//! Incident actions over the API: suspend every credential of an
//! application, or (a provider) every credential of one consumer team on
//! a product, with a reason.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Bearer;
use super::json;
use super::problem::{ApiResult, Problem};
use crate::domain::ids::{ApplicationId, ProductId, TeamId};
use crate::ops::AppState;
use crate::ops::incidents::{self, Suspended};

/// Why credentials are being suspended; kept in the audit trail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendBody {
    /// Kept with each credential and in the history; the team sees it.
    pub reason: String,
}

/// How many credentials are being suspended.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuspendedView {
    /// Active credentials now being suspended (deleted where their data plane cannot suspend).
    pub suspending: usize,
    /// Credentials that were not active, left as they are.
    pub left: usize,
}

fn accepted(s: Suspended) -> HttpResponse {
    HttpResponse::Accepted().json(SuspendedView {
        suspending: s.suspending,
        left: s.left,
    })
}

/// Suspend every credential of an application
///
/// For an incident: suspends all the application's active credentials at once, with a reason kept in the audit trail. They can be enabled again one by one.
#[utoipa::path(post, operation_id = "suspendApplicationCredentials", path = "/api/v1/teams/{team}/applications/{application}/suspend-credentials", tag = "applications",
    params(("team" = String, Path, description = "The team's id"), ("application" = String, Path, description = "The application's id")),
    request_body = SuspendBody,
    responses((status = 202, body = SuspendedView, description = "Each credential follows its own state machine; read them for progress"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn suspend_application(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, ApplicationId)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (team, app) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    let b: SuspendBody = json(&body)?;
    Ok(accepted(
        incidents::suspend_application(&state, &c, app, &b.reason).await?,
    ))
}

/// Suspend a consumer team's credentials for a product
///
/// For an incident on the provider's side: suspends every credential of one consumer team for the product's resources, with a reason the consumer sees.
#[utoipa::path(post, operation_id = "suspendConsumerCredentials", path = "/api/v1/teams/{team}/products/{product}/consumers/{consumer}/suspend-credentials", tag = "provider",
    params(("team" = String, Path, description = "The provider team's id"), ("product" = String, Path, description = "The product's id"),
        ("consumer" = String, Path, description = "The consumer team's id")),
    request_body = SuspendBody,
    responses((status = 202, body = SuspendedView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "Not your product, or the team holds no credential on it"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn suspend_consumer(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, ProductId, TeamId)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (team, product, consumer) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    let b: SuspendBody = json(&body)?;
    Ok(accepted(
        incidents::suspend_consumer_on_product(&state, &c, product, consumer, &b.reason).await?,
    ))
}
