//! The JSON API, `/api/v1`: what a consumer and a provider do in the pages,
//! as resources, for scripts and CI. Bearer tokens only; errors as
//! `application/problem+json`; lists by cursor; `Idempotency-Key` on
//! creates. The OpenAPI 3.1 document is generated from these handlers and
//! served at `/api/v1/openapi.json`.

pub mod access;
pub mod applications;
pub mod auth;
pub mod catalog;
pub mod credentials;
pub mod doc;
pub mod incidents;
pub mod once;
pub mod page;
pub mod problem;
pub mod subscriptions;
pub mod tap;
pub mod teams;
pub mod usage;
pub mod views;
pub mod webhooks;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde::de::DeserializeOwned;

use auth::Bearer;
pub use doc::document;
use problem::{ApiError, ApiResult};

/// The largest JSON body a call may send.
pub const MAX_BODY: usize = 64 * 1024;

pub(crate) fn ok<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok().json(body)
}

pub(crate) fn created<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Created().json(body)
}

/// A 201 that names the new object's path: the create's path and its id.
pub(crate) fn located(
    req: &actix_web::HttpRequest,
    id: &str,
    mut res: HttpResponse,
) -> HttpResponse {
    let at = format!("{}/{id}", req.path().trim_end_matches('/'));
    if let Ok(v) = header::HeaderValue::from_str(&at) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// An answer holding a secret: no cache keeps it.
pub(crate) fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// A JSON body read strictly: what does not parse is a 400 saying why.
pub(crate) fn json<T: DeserializeOwned>(body: &web::Bytes) -> ApiResult<T> {
    if body.len() > MAX_BODY {
        return Err(ApiError::TooLarge(MAX_BODY));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("The body is not the JSON this call takes: {e}")))
}

/// A JSON body a call may leave out: nothing, or `null`, reads as the default.
pub(crate) fn optional_json<T: DeserializeOwned + Default>(body: &web::Bytes) -> ApiResult<T> {
    let text = body.trim_ascii();
    if text.is_empty() || text == b"null" {
        return Ok(T::default());
    }
    json(body)
}

/// Refuses a change through a read-only token where no team says so.
pub(crate) fn writes(bearer: &Bearer) -> ApiResult<()> {
    if bearer.0.scope.writes() {
        Ok(())
    } else {
        Err(crate::ops::OpError::Forbidden(
            "This token can read but not change anything.".to_owned(),
        )
        .into())
    }
}

async fn openapi_json(state: web::Data<crate::ops::AppState>) -> HttpResponse {
    HttpResponse::Ok().json(doc::served(&state.public_url))
}

fn path_error(err: actix_web::error::PathError, _: &actix_web::HttpRequest) -> actix_web::Error {
    let _ = err;
    ApiError::Op(crate::ops::OpError::NotFound).into()
}

fn query_error(
    err: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::BadRequest(format!("The query is not what this call takes: {err}")).into()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(problem::bounded))
            .wrap(actix_web::middleware::from_fn(tap::listen))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(web::PayloadConfig::new(MAX_BODY))
            .route("/openapi.json", web::get().to(openapi_json))
            // Tried in order: the credentials, most used by scripts, first.
            .route(
                "/teams/{team}/credentials",
                web::get().to(credentials::list),
            )
            .route(
                "/teams/{team}/credentials",
                web::post().to(credentials::create),
            )
            .route(
                "/teams/{team}/credentials/{credential}",
                web::get().to(credentials::get),
            )
            .route(
                "/teams/{team}/credentials/{credential}/usage",
                web::get().to(usage::credential),
            )
            .route(
                "/teams/{team}/credentials/{credential}/reveal",
                web::post().to(credentials::reveal),
            )
            .route(
                "/teams/{team}/credentials/{credential}/{action}",
                web::post().to(credentials::act),
            )
            .route("/teams", web::get().to(teams::list))
            .route("/teams/{team}/webhooks", web::get().to(webhooks::list))
            .route("/teams/{team}/webhooks", web::post().to(webhooks::register))
            .route(
                "/teams/{team}/webhooks/{endpoint}",
                web::get().to(webhooks::get),
            )
            .route(
                "/teams/{team}/webhooks/{endpoint}",
                web::put().to(webhooks::change),
            )
            .route(
                "/teams/{team}/webhooks/{endpoint}",
                web::delete().to(webhooks::remove),
            )
            .route(
                "/teams/{team}/webhooks/{endpoint}/test",
                web::post().to(webhooks::test),
            )
            .route(
                "/teams/{team}/webhooks/{endpoint}/deliveries",
                web::get().to(webhooks::deliveries),
            )
            .route(
                "/teams/{team}/webhooks/{endpoint}/deliveries/{delivery}/redeliver",
                web::post().to(webhooks::redeliver),
            )
            .route("/teams/{team}", web::get().to(teams::get))
            .route("/teams/{team}/members", web::get().to(teams::members))
            .route("/teams/{team}/audit", web::get().to(teams::audit))
            .route("/notifications", web::get().to(teams::notifications))
            .route("/notifications/email", web::get().to(teams::email_topics))
            .route(
                "/notifications/email",
                web::put().to(teams::set_email_topics),
            )
            .route(
                "/notifications/{notification}/read",
                web::post().to(teams::read),
            )
            .route("/products", web::get().to(catalog::marketplace))
            .route("/products/{product}", web::get().to(catalog::product))
            .route("/teams/{team}/products", web::get().to(catalog::own))
            .route(
                "/teams/{team}/products",
                web::post().to(catalog::create_product),
            )
            .route(
                "/teams/{team}/products/{product}",
                web::put().to(catalog::update_product),
            )
            .route(
                "/teams/{team}/products/{product}/resources",
                web::post().to(catalog::create_resource),
            )
            .route(
                "/teams/{team}/products/{product}/resources/{resource}",
                web::put().to(catalog::update_resource),
            )
            .route(
                "/teams/{team}/products/{product}/plans",
                web::post().to(catalog::create_plan),
            )
            .route(
                "/teams/{team}/products/{product}/plans/{plan}",
                web::put().to(catalog::update_plan),
            )
            .route(
                "/teams/{team}/products/{product}/{publishing}",
                web::post().to(catalog::publishing),
            )
            .route(
                "/teams/{team}/subscriptions",
                web::get().to(subscriptions::list),
            )
            .route(
                "/teams/{team}/subscriptions",
                web::post().to(subscriptions::subscribe),
            )
            .route(
                "/teams/{team}/subscriptions/{subscription}",
                web::get().to(subscriptions::get),
            )
            .route(
                "/teams/{team}/subscriptions/{subscription}/cancel",
                web::post().to(subscriptions::cancel),
            )
            .route(
                "/teams/{team}/provided/subscriptions",
                web::get().to(subscriptions::provided),
            )
            .route(
                "/teams/{team}/provided/subscriptions/{subscription}/{decision}",
                web::post().to(subscriptions::decide),
            )
            .route(
                "/teams/{team}/applications",
                web::get().to(applications::list),
            )
            .route(
                "/teams/{team}/applications",
                web::post().to(applications::create),
            )
            .route(
                "/teams/{team}/applications/{application}",
                web::get().to(applications::get),
            )
            .route(
                "/teams/{team}/applications/{application}",
                web::put().to(applications::update),
            )
            .route(
                "/teams/{team}/applications/{application}",
                web::delete().to(applications::delete),
            )
            .route(
                "/teams/{team}/applications/{application}/archive",
                web::post().to(applications::archive),
            )
            .route(
                "/teams/{team}/applications/{application}/suspend-credentials",
                web::post().to(incidents::suspend_application),
            )
            .route(
                "/teams/{team}/products/{product}/consumers/{consumer}/suspend-credentials",
                web::post().to(incidents::suspend_consumer),
            )
            .route("/teams/{team}/access-requests", web::get().to(access::list))
            .route(
                "/teams/{team}/access-requests",
                web::post().to(access::request),
            )
            .route(
                "/teams/{team}/access-requests/{access}",
                web::get().to(access::get),
            )
            .route(
                "/teams/{team}/provided/access-requests",
                web::get().to(access::provided),
            )
            .route(
                "/teams/{team}/provided/access-requests/{access}/{decision}",
                web::post().to(access::decide),
            )
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::Op(crate::ops::OpError::NotFound))
            })),
    );
}
