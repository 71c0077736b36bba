//! Access requests over the API: the team's (list, request, read) and the
//! provider's decisions on requests to its resources.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Bearer;
use super::page::{AccessList, Page};
use super::problem::{ApiResult, Problem};
use super::subscriptions::ReasonBody;

use super::views::AccessView;
use super::{created, json, located, ok, once};
use crate::domain::ids::{AccessId, ProductId, ResourceId, TeamId};
use crate::ops::access::{self, AccessInput, Decision};
use crate::ops::{AppState, OpError, catalog};

/// An access request: which application, for which resource, through which subscription, with the values of the resource's fields.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"product": "01KDVDNA00ZT90V4RXTAXW1F9K", "resource": "01KDVDNA00ZT90V4RXTAXW1F9N", "application": "01KDVDNA00ZT90V4RXTAXW1F7E", "subscription": "01KDVDNA00ZT90V4RXTAXW1F9Q", "name": "", "values": {"region": "eu"}}))]
#[serde(deny_unknown_fields)]
pub struct AccessBody {
    pub product: String,
    pub resource: String,
    /// One of the team's applications.
    pub application: String,
    /// An active subscription of the team whose plan includes the resource.
    pub subscription: String,
    /// Empty: "<application> – <resource>".
    #[serde(default)]
    pub name: String,
    /// The values of the fields the resource asks for, by field name.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

/// List a team's access requests
///
/// Each request of one of the team's applications for one resource, in every state.
#[utoipa::path(get, operation_id = "listAccessRequests", path = "/api/v1/teams/{team}/access-requests", tag = "access",
    params(("team" = String, Path, description = "The team's id"), Page),
    responses(
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query or body that does not parse"),(status = 200, body = AccessList), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<TeamId>,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    let all = access::list(&state, &c)?
        .iter()
        .map(AccessView::from)
        .collect();
    Ok(ok(&AccessList::new(page.of(all, |a| a.id.clone())?)))
}

/// Request access to a resource
///
/// Asks for access for one of the team's applications to a resource its subscription includes, with the values of the resource's fields. A resource with automatic approval is approved at once.
#[utoipa::path(post, operation_id = "requestAccess", path = "/api/v1/teams/{team}/access-requests", tag = "access",
    params(("team" = String, Path, description = "The team's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried request with the same key answers with the first one's access request")),
    request_body = AccessBody,
    responses((status = 201, body = AccessView, description = "Requested; approved at once when the resource approves automatically"),
        (status = 200, body = AccessView, description = "Replayed"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn request(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: Bearer,
    path: web::Path<TeamId>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    let b: AccessBody = json(&body)?;
    let (Ok(product), Ok(resource)) = (
        b.product.parse::<ProductId>(),
        b.resource.parse::<ResourceId>(),
    ) else {
        return Err(OpError::NotFound.into());
    };
    let input = AccessInput {
        application: b.application.parse().ok(),
        subscription: b.subscription.parse().ok(),
        name: b.name,
        values: b.values,
    };
    once::create(
        &state,
        &req,
        &bearer,
        &body,
        || async {
            let p = catalog::visible(&state, &[c.team_id()], false, product)?;
            let r = catalog::resource(&state, &p, resource)?;
            let a = access::request(&state, &c, &p, &r, &input).await?;
            Ok((
                a.id.to_string(),
                located(&req, &a.id.to_string(), created(&AccessView::from(&a))),
            ))
        },
        |id| {
            let id = id.parse().map_err(|_| OpError::NotFound)?;
            Ok(ok(&AccessView::from(&access::team_access(
                &state,
                c.team_id(),
                id,
            )?)))
        },
    )
    .await
}

/// Read an access request
///
/// One of the team's access requests.
#[utoipa::path(get, operation_id = "getAccessRequest", path = "/api/v1/teams/{team}/access-requests/{access}", tag = "access",
    params(("team" = String, Path, description = "The team's id"), ("access" = String, Path, description = "The access request's id")),
    responses((status = 200, body = AccessView), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, AccessId)>,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    Ok(ok(&AccessView::from(&access::team_access(
        &state,
        c.team_id(),
        id,
    )?)))
}

/// List access requests to a provider's resources
///
/// Every access request for the provider team's resources.
#[utoipa::path(get, operation_id = "listProvidedAccessRequests", path = "/api/v1/teams/{team}/provided/access-requests", tag = "provider",
    params(("team" = String, Path, description = "The provider team's id"), Page),
    responses(
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query or body that does not parse"),(status = 200, body = AccessList, description = "Access requests to the team's resources"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn provided(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<TeamId>,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    let all = access::of_provider(&state, &c)?
        .iter()
        .map(AccessView::from)
        .collect();
    Ok(ok(&AccessList::new(page.of(all, |a| a.id.clone())?)))
}

/// Decide on an access request
///
/// `approve` or `reject` a pending access request. Rejecting needs a reason, which the consumer team sees.
#[utoipa::path(post, operation_id = "decideAccessRequest", path = "/api/v1/teams/{team}/provided/access-requests/{access}/{decision}", tag = "provider",
    params(("team" = String, Path, description = "The provider team's id"), ("access" = String, Path, description = "The access request's id"),
        ("decision" = super::views::Decision, Path, description = "The decision")),
    request_body(content = Option<ReasonBody>, description = "A reason, needed to reject"),
    responses((status = 200, body = AccessView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn decide(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, AccessId, String)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (team, id, decision) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    let reason = super::subscriptions::reason_of(&body)?;
    let decision = match decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject(reason),
        _ => return Err(OpError::NotFound.into()),
    };
    let a = access::provided_access(&state, &c, id)?;
    let a = access::decide(&state, &c, &a, decision).await?;
    Ok(ok(&AccessView::from(&a)))
}
