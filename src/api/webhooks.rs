//! A team's webhook endpoints over the API, for its admins: register (the
//! signing secret is in the 201 answer only), list, change, remove, send a
//! test event, and each endpoint's deliveries with Redeliver.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Bearer;
use super::once;
use super::page::{DeliveryList, EndpointList, Page};
use super::problem::{ApiResult, Problem};
use super::views::{DeliveryView, EndpointView, EndpointWithSecret};
use super::{created, json, located, no_store, ok};
use crate::domain::ids::{DeliveryId, EndpointId, TeamId};
use crate::ops::AppState;
use crate::ops::webhooks::{self, EndpointInput};

/// A webhook endpoint: where events are sent and which ones.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"url": "https://hooks.example.com/agora", "events": ["credential.created", "credential.suspended"]}))]
#[serde(deny_unknown_fields)]
pub struct EndpointBody {
    /// https://…; plain http:// only where the server may call private
    /// networks (`[webhooks] allow_private_targets`).
    #[schema(format = Uri)]
    pub url: String,
    /// The event types it receives, such as `credential.suspended`.
    #[schema(value_type = Vec<super::views::EventType>)]
    pub events: Vec<String>,
    /// On a change: enable a disabled endpoint again.
    #[serde(default)]
    pub enabled: Option<bool>,
}

impl EndpointBody {
    fn input(self) -> EndpointInput {
        EndpointInput {
            url: self.url,
            events: self.events,
        }
    }
}

/// List a team's webhook endpoints
///
/// The team's endpoints and the events each receives. Signing secrets are never listed.
#[utoipa::path(get, operation_id = "listWebhooks", path = "/api/v1/teams/{team}/webhooks", tag = "webhooks",
    params(("team" = String, Path, description = "The team's id"), Page),
    responses((status = 200, body = EndpointList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "Not a team admin"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<TeamId>,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    let all = webhooks::list(&state, &c)?
        .iter()
        .map(EndpointView::from)
        .collect();
    Ok(ok(&EndpointList::new(page.of(all, |e| e.id.clone())?)))
}

/// Register a webhook endpoint
///
/// An HTTPS endpoint on a public address that receives the chosen events, signed with the secret in this answer (shown once).
#[utoipa::path(post, operation_id = "registerWebhook", path = "/api/v1/teams/{team}/webhooks", tag = "webhooks",
    params(("team" = String, Path, description = "The team's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried registration answers with the first endpoint, without its secret")),
    request_body = EndpointBody,
    responses((status = 201, body = EndpointWithSecret, description = "Registered; `secret` is in this answer only"),
        (status = 200, body = EndpointView, description = "A replay of an `Idempotency-Key`"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: Bearer,
    path: web::Path<TeamId>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let c = bearer.caller(&state, *path)?;
    let b: EndpointBody = json(&body)?;
    let input = b.input();
    once::create(
        &state,
        &req,
        &bearer,
        &body,
        || async {
            let made = webhooks::register(&state, &c, &input).await?;
            let view = EndpointWithSecret {
                endpoint: EndpointView::from(&made.endpoint),
                secret: made.secret,
            };
            let id = made.endpoint.id.to_string();
            Ok((id.clone(), located(&req, &id, no_store(created(&view)))))
        },
        |id| {
            let id = id.parse().map_err(|_| crate::ops::OpError::NotFound)?;
            Ok(ok(&EndpointView::from(&webhooks::get(&state, &c, id)?)))
        },
    )
    .await
}

/// Read a webhook endpoint
///
/// One of the team's endpoints, with its health.
#[utoipa::path(get, operation_id = "getWebhook", path = "/api/v1/teams/{team}/webhooks/{endpoint}", tag = "webhooks",
    params(("team" = String, Path, description = "The team's id"), ("endpoint" = String, Path, description = "The webhook endpoint's id")),
    responses((status = 200, body = EndpointView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, EndpointId)>,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    Ok(ok(&EndpointView::from(&webhooks::get(&state, &c, id)?)))
}

/// Change a webhook endpoint
///
/// Replaces the endpoint's URL, events, and whether it is enabled.
#[utoipa::path(put, operation_id = "updateWebhook", path = "/api/v1/teams/{team}/webhooks/{endpoint}", tag = "webhooks",
    params(("team" = String, Path, description = "The team's id"), ("endpoint" = String, Path, description = "The webhook endpoint's id")),
    request_body = EndpointBody,
    responses((status = 200, body = EndpointView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn change(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, EndpointId)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    let b: EndpointBody = json(&body)?;
    let enable = b.enabled == Some(true);
    let e = webhooks::change(&state, &c, id, &b.input(), enable).await?;
    Ok(ok(&EndpointView::from(&e)))
}

/// Remove a webhook endpoint
///
/// The endpoint receives nothing more; deliveries due to it are dropped.
#[utoipa::path(delete, operation_id = "deleteWebhook", path = "/api/v1/teams/{team}/webhooks/{endpoint}", tag = "webhooks",
    params(("team" = String, Path, description = "The team's id"), ("endpoint" = String, Path, description = "The webhook endpoint's id")),
    responses((status = 204, description = "Removed"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn remove(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, EndpointId)>,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    webhooks::remove(&state, &c, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a test event
///
/// Queues an `endpoint.test` event to the endpoint.
#[utoipa::path(post, operation_id = "testWebhook", path = "/api/v1/teams/{team}/webhooks/{endpoint}/test", tag = "webhooks",
    params(("team" = String, Path, description = "The team's id"), ("endpoint" = String, Path, description = "The webhook endpoint's id")),
    responses((status = 202, description = "An `endpoint.test` event is queued"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn test(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, EndpointId)>,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    webhooks::test(&state, &c, id).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// List an endpoint's deliveries
///
/// Each event sent or due to the endpoint, with its attempts and last answer.
#[utoipa::path(get, operation_id = "listWebhookDeliveries", path = "/api/v1/teams/{team}/webhooks/{endpoint}/deliveries", tag = "webhooks",
    params(("team" = String, Path, description = "The team's id"), ("endpoint" = String, Path, description = "The webhook endpoint's id"), Page),
    responses((status = 200, body = DeliveryList, description = "The latest 100, newest first"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn deliveries(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, EndpointId)>,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    let mut all: Vec<DeliveryView> = webhooks::deliveries(&state, &c, id)?
        .iter()
        .map(DeliveryView::from)
        .collect();
    // Cursor pages run in id order.
    all.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(ok(&DeliveryList::new(page.of(all, |d| d.id.clone())?)))
}

/// Send a delivery again
///
/// Queues a delivery again, with the same `webhook-id`, whatever its state.
#[utoipa::path(post, operation_id = "redeliverWebhook", path = "/api/v1/teams/{team}/webhooks/{endpoint}/deliveries/{delivery}/redeliver", tag = "webhooks",
    params(("team" = String, Path, description = "The team's id"), ("endpoint" = String, Path, description = "The webhook endpoint's id"), ("delivery" = String, Path, description = "The delivery's id")),
    responses((status = 202, description = "Due again now"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn redeliver(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, EndpointId, DeliveryId)>,
) -> ApiResult<HttpResponse> {
    let (team, endpoint, id) = path.into_inner();
    let c = bearer.caller(&state, team)?;
    webhooks::redeliver(&state, &c, endpoint, id).await?;
    Ok(HttpResponse::Accepted().finish())
}
