//! Subscriptions over the API: the team's (list, subscribe, read, cancel)
//! and the provider's decisions on subscriptions to its products.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Bearer;
use super::page::{Page, SubscriptionList};
use super::problem::{ApiResult, Problem};
use super::views::SubscriptionView;
use super::{created, json, located, ok, once, optional_json};
use crate::domain::ids::{PlanId, ProductId, SubscriptionId, TeamId};
use crate::ops::subscriptions::{self, Decision};
use crate::ops::{AppState, OpError, catalog};

/// The product and plan to subscribe to.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"product": "01KDVDNA00ZT90V4RXTAXW1F9K", "plan": "01KDVDNA00ZT90V4RXTAXW1F9P"}))]
#[serde(deny_unknown_fields)]
pub struct SubscribeBody {
    pub product: String,
    pub plan: String,
}

/// A reason for a decision, shown to the other team.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"reason": "The plan is retired at the end of the month."}))]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why: the other team reads it. Needed to reject or end; optional to cancel.
    #[serde(default)]
    pub reason: String,
}

pub(crate) fn reason_of(body: &web::Bytes) -> ApiResult<String> {
    Ok(optional_json::<ReasonBody>(body)?.reason)
}

/// List a team's subscriptions
///
/// The team's subscriptions to plans, in every state.
#[utoipa::path(get, operation_id = "listSubscriptions", path = "/api/v1/teams/{team}/subscriptions", tag = "subscriptions",
    params(("team" = String, Path, description = "The team's id"), Page),
    responses(
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query or body that does not parse"),(status = 200, body = SubscriptionList), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<TeamId>,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    let all = subscriptions::list(&state, &c)?
        .iter()
        .map(SubscriptionView::from)
        .collect();
    Ok(ok(&SubscriptionList::new(page.of(all, |s| s.id.clone())?)))
}

/// Subscribe to a plan
///
/// Subscribes the team to a plan of a published product. A plan with manual approval leaves the subscription `requested` until the provider decides.
#[utoipa::path(post, operation_id = "createSubscription", path = "/api/v1/teams/{team}/subscriptions", tag = "subscriptions",
    params(("team" = String, Path, description = "The team's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried subscribe with the same key answers with the first one's subscription")),
    request_body = SubscribeBody,
    responses((status = 201, body = SubscriptionView, description = "Active at once, or requested for the provider to decide"),
        (status = 200, body = SubscriptionView, description = "Replayed"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "Invalid input, or an `Idempotency-Key` sent before with another request")),
    security(("bearer" = [])))]
pub async fn subscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: Bearer,
    path: web::Path<TeamId>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    let b: SubscribeBody = json(&body)?;
    let (Ok(product), Ok(plan)) = (b.product.parse::<ProductId>(), b.plan.parse::<PlanId>()) else {
        return Err(OpError::NotFound.into());
    };
    once::create(
        &state,
        &req,
        &bearer,
        &body,
        || async {
            let p = catalog::visible(&state, &[c.team_id()], false, product)?;
            let plan = catalog::plan(&state, &p, plan)?;
            let s = subscriptions::subscribe(&state, &c, &p, &plan).await?;
            Ok((
                s.id.to_string(),
                located(
                    &req,
                    &s.id.to_string(),
                    created(&SubscriptionView::from(&s)),
                ),
            ))
        },
        |id| {
            let id = id.parse().map_err(|_| OpError::NotFound)?;
            Ok(ok(&SubscriptionView::from(
                &subscriptions::team_subscription(&state, c.team_id(), id)?,
            )))
        },
    )
    .await
}

/// Read a subscription
///
/// One of the team's subscriptions.
#[utoipa::path(get, operation_id = "getSubscription", path = "/api/v1/teams/{team}/subscriptions/{subscription}", tag = "subscriptions",
    params(("team" = String, Path, description = "The team's id"), ("subscription" = String, Path, description = "The subscription's id")),
    responses((status = 200, body = SubscriptionView), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, SubscriptionId)>,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    Ok(ok(&SubscriptionView::from(
        &subscriptions::team_subscription(&state, c.team_id(), id)?,
    )))
}

/// Cancel a subscription
///
/// Ends the subscription; the access it carried is revoked and its credentials stop working.
#[utoipa::path(post, operation_id = "cancelSubscription", path = "/api/v1/teams/{team}/subscriptions/{subscription}/cancel", tag = "subscriptions",
    params(("team" = String, Path, description = "The team's id"), ("subscription" = String, Path, description = "The subscription's id")),
    request_body(content = Option<ReasonBody>),
    responses(
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query or body that does not parse"),(status = 200, body = SubscriptionView), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn cancel(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, SubscriptionId)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    let s = subscriptions::team_subscription(&state, c.team_id(), id)?;
    let s = subscriptions::cancel(&state, &c, &s, &reason_of(&body)?).await?;
    Ok(ok(&SubscriptionView::from(&s)))
}

/// List subscriptions to a provider's products
///
/// Every subscription to the provider team's products.
#[utoipa::path(get, operation_id = "listProvidedSubscriptions", path = "/api/v1/teams/{team}/provided/subscriptions", tag = "provider",
    params(("team" = String, Path, description = "The provider team's id"), Page),
    responses(
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query or body that does not parse"),(status = 200, body = SubscriptionList, description = "Subscriptions to the team's products"),
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
    let all = subscriptions::of_provider(&state, &c)?
        .iter()
        .map(SubscriptionView::from)
        .collect();
    Ok(ok(&SubscriptionList::new(page.of(all, |s| s.id.clone())?)))
}

/// Decide on a subscription
///
/// `approve` or `reject` a requested subscription, or `end` an active one. Rejecting and ending need a reason, which the consumer team sees.
#[utoipa::path(post, operation_id = "decideSubscription", path = "/api/v1/teams/{team}/provided/subscriptions/{subscription}/{decision}", tag = "provider",
    params(("team" = String, Path, description = "The provider team's id"), ("subscription" = String, Path, description = "The subscription's id"),
        ("decision" = super::views::SubscriptionDecision, Path, description = "The decision")),
    request_body(content = Option<ReasonBody>, description = "A reason, needed to reject or end"),
    responses((status = 200, body = SubscriptionView), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn decide(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, SubscriptionId, String)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (team, id, decision) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    let reason = reason_of(&body)?;
    let decision = match decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject(reason),
        "end" => Decision::End(reason),
        _ => return Err(OpError::NotFound.into()),
    };
    let s = subscriptions::provided(&state, &c, id)?;
    let s = subscriptions::decide(&state, &c, &s, decision).await?;
    Ok(ok(&SubscriptionView::from(&s)))
}
