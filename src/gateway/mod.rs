//! The embedded data plane's public endpoints: `/gateway/authorize` for a
//! reverse proxy's forward-auth (nginx `auth_request`, Traefik `forwardAuth`,
//! Caddy `forward_auth`, Envoy `ext_authz`) and `POST /oauth/token` (OAuth 2.0
//! client credentials). They are machine endpoints: no session, no CSRF, no
//! page; they answer from the in-memory [`Gateway`] index.

mod entry;
pub mod index;
pub mod usage;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde::Deserialize;

pub use index::Gateway;
use index::{Presented, Refusal, Target};

use crate::config::{GatewayConfig, ProxyKind};
use crate::domain::ids::ResourceId;
use crate::domain::path::CanonicalPath;
use std::sync::Arc;

/// What the endpoints answer from: the index and the gateway's settings.
/// Registered as its own app data, so the gateway needs nothing of the portal.
pub struct Endpoints {
    pub gateway: Arc<Gateway>,
    pub config: GatewayConfig,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/gateway/authorize", web::route().to(authorize))
        // Envoy's ext_authz appends the original path to the service's prefix.
        .route("/gateway/authorize/{path:.*}", web::route().to(authorize))
        .route("/oauth/token", web::post().to(token));
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn presented(h: &HeaderMap) -> Option<Presented<'_>> {
    if let Some(key) = header(h, "x-api-key") {
        return Some(Presented::ApiKey(key));
    }
    let auth = header(h, "authorization")?;
    let (scheme, value) = auth.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let value = value.trim();
    Some(
        if value.starts_with(crate::domain::key_format::API_KEY_PREFIX) {
            Presented::ApiKey(value)
        } else {
            Presented::Token(value)
        },
    )
}

/// The one value of a header, or `None`; a header sent twice is refused,
/// since a proxy that appended instead of overwriting leaves two.
fn single<'a>(h: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, Refusal> {
    let mut values = h.get_all(name);
    let first = values.next();
    if values.next().is_some() {
        return Err(Refusal::BadRequest(
            "a header that must be single was sent twice",
        ));
    }
    match first {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|v| Some(v.trim()))
            .map_err(|_| Refusal::Forbidden("path refused: unencoded byte")),
    }
}

/// Which resource the call is for, from what the configured proxy set: the
/// resource header only where the deployment says its proxy sets it, and
/// otherwise the original URI from that proxy's one header, read the
/// canonical way. Every other header a client might add is ignored.
fn target(gateway: &GatewayConfig, req: &HttpRequest) -> Result<Target, Refusal> {
    let h = req.headers();
    if gateway.resource_header {
        let id = single(h, "x-agora-resource")?
            .ok_or(Refusal::BadRequest("the proxy sent no X-Agora-Resource"))?;
        return id
            .parse::<ResourceId>()
            .map(Target::Resource)
            .map_err(|_| Refusal::Forbidden("unknown resource"));
    }
    let uri = match gateway.proxy.uri_header() {
        Some(name) => single(h, name)?.ok_or(Refusal::BadRequest(match gateway.proxy {
            ProxyKind::Nginx => "the proxy sent no X-Original-URI",
            _ => "the proxy sent no X-Forwarded-Uri",
        }))?,
        // Envoy's ext_authz appends the original path (with its query) to
        // the service's prefix; the query is on the request's URI.
        None => req
            .uri()
            .path_and_query()
            .map_or("", |p| p.as_str())
            .strip_prefix("/gateway/authorize")
            .unwrap_or(""),
    };
    CanonicalPath::parse(uri)
        .map(Target::Path)
        .map_err(|why| Refusal::Forbidden(why.reason()))
}

fn refusal(refusal: Refusal) -> HttpResponse {
    match refusal {
        Refusal::Unauthenticated(why) => HttpResponse::Unauthorized()
            .insert_header((
                header::WWW_AUTHENTICATE,
                format!(
                    "Bearer realm=\"agora\", error=\"invalid_token\", error_description=\"{why}\""
                ),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(why),
        Refusal::Forbidden(why) => HttpResponse::Forbidden()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(why),
        Refusal::BadRequest(why) => HttpResponse::BadRequest()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(why),
        Refusal::QuotaSpent(wait) => HttpResponse::TooManyRequests()
            .insert_header((header::RETRY_AFTER, wait.to_string()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("quota spent"),
    }
}

/// Forward-auth: 200 with who is calling, or 400 / 401 / 403 / 429.
pub async fn authorize(state: web::Data<Endpoints>, req: HttpRequest) -> HttpResponse {
    let target = match target(&state.config, &req) {
        Ok(t) => t,
        Err(r) => return refusal(r),
    };
    match state.gateway.authorize(presented(req.headers()), target) {
        Ok(who) => HttpResponse::Ok()
            .insert_header(("X-Agora-Team", who.team.to_string()))
            .insert_header(("X-Agora-Application", who.application.to_string()))
            .insert_header(("X-Agora-Credential", who.key_id.to_string()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        Err(r) => refusal(r),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str, basic: bool) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    if basic {
        res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"agora\""));
    }
    res.json(serde_json::json!({ "error": error, "error_description": description }))
}

/// Client credentials from HTTP Basic (form-urlencoded parts, RFC 6749 §2.3.1).
fn basic(h: &HeaderMap) -> Option<(String, String)> {
    let value = header(h, "authorization")?;
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    let decode = |s: &str| {
        serde_html_form::from_str::<Vec<(String, String)>>(&format!("v={s}"))
            .ok()?
            .pop()
            .map(|(_, v)| v)
    };
    Some((decode(id)?, decode(secret)?))
}

/// `POST /oauth/token` with `grant_type=client_credentials`.
pub async fn token(
    state: web::Data<Endpoints>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Ok(form) = serde_html_form::from_bytes::<TokenForm>(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body is not a form",
            false,
        );
    };
    let from_basic = basic(req.headers());
    let used_basic = from_basic.is_some();
    let (id, secret) = match (from_basic, form.client_id, form.client_secret) {
        (Some(pair), None, None) => pair,
        (None, Some(id), Some(secret)) => (id, secret),
        (Some(_), _, _) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "use one client authentication method",
                false,
            );
        }
        _ => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication is required",
                true,
            );
        }
    };
    if form.grant_type != "client_credentials" {
        let (status, error) = if form.grant_type.is_empty() {
            (StatusCode::BAD_REQUEST, "invalid_request")
        } else {
            (StatusCode::BAD_REQUEST, "unsupported_grant_type")
        };
        return oauth_error(
            status,
            error,
            "only grant_type=client_credentials is supported",
            false,
        );
    }
    match state
        .gateway
        .issue_token(&id, &secret, state.config.token_ttl)
    {
        Some((token, expires_in)) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(serde_json::json!({
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": expires_in,
            })),
        None => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client, wrong secret, or a suspended or deleted credential",
            used_basic,
        ),
    }
}
