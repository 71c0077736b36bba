//! Health, metrics and the static files compiled into the binary.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::ops::AppState;
use crate::web::errors::WebError;

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.store.health() {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok", "storage": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"status": "unavailable", "storage": "error"}))
        }
    }
}

/// Liveness: the process answers HTTP. Reads nothing, so a storage hiccup
/// does not get a healthy process restarted; `/healthz` is the readiness check.
pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

pub async fn metrics(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, WebError> {
    if let Some(token) = &state.config.metrics.token {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let same: bool =
            subtle::ConstantTimeEq::ct_eq(presented.as_bytes(), token.as_bytes()).into();
        if !same {
            return Ok(HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""))
                .content_type("text/plain")
                .body("/metrics needs the bearer token of metrics.token_file\n"));
        }
    }
    let actors = state.teams.running() as f64;
    let credentials = state.gateway.credential_count() as f64;
    // Counting the outbox reads its keys: off the async threads.
    let store = state.store.clone();
    let backup_age = state.backups.last().map_or(-1.0, |at| {
        (state.clock.now().as_millis() - at.as_millis()).max(0) as f64 / 1e3
    });
    let flushed = state.store.flush_stats();
    let tasks = web::block(move || store.task_count())
        .await
        .map_err(WebError::internal)? as f64;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(
            &[
                ("agora_team_actors", "Team actors running.", actors),
                (
                    "agora_provisioning_tasks",
                    "Provisioning tasks not yet carried out (due, retrying, waiting or failed).",
                    tasks,
                ),
                (
                    "agora_gateway_credentials",
                    "Credentials the embedded gateway checks.",
                    credentials,
                ),
                (
                    "agora_deliveries_due",
                    "Emails and webhook calls waiting to be sent.",
                    state.store.deliveries_due() as f64,
                ),
                (
                    "agora_backup_age_seconds",
                    "Seconds since this server last wrote a backup (-1: none since it started).",
                    backup_age,
                ),
            ],
            &[
                (
                    "agora_store_flushes_total",
                    "Flushes of the database (each makes the writes before it durable).",
                    flushed.flushes as f64,
                ),
                (
                    "agora_store_flush_answers_total",
                    "Answers released by those flushes: a change is answered only once flushed.",
                    flushed.answers as f64,
                ),
                (
                    "agora_store_flush_seconds_total",
                    "Time spent flushing the database.",
                    flushed.micros as f64 / 1e6,
                ),
            ],
        )))
}

#[derive(rust_embed::Embed)]
#[folder = "static/"]
struct Static;

pub async fn static_file(path: web::Path<String>) -> Result<HttpResponse, WebError> {
    let file = Static::get(&path).ok_or(WebError::NotFound)?;
    let mime = mime_guess::from_path(path.as_str()).first_or_octet_stream();
    Ok(HttpResponse::Ok()
        .content_type(mime.as_ref())
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(file.data.into_owned()))
}
