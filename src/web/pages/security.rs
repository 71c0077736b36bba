//! `POST /security/leaked-keys`: reports of exposed keys from a secret
//! scanning service (a JSON list of `token`, `type`, `url`, `source`),
//! signed with HMAC-SHA256 over the body with the configured secret in
//! `X-Agora-Signature: sha256=<hex>`. Answered with a label per report.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::ops::AppState;
use crate::ops::incidents::{self, LeakReport, MAX_REPORTS};

pub const SIGNATURE: &str = "X-Agora-Signature";

fn problem(status: actix_web::http::StatusCode, detail: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .json(serde_json::json!({ "error": detail }))
}

/// The largest body taken: 1,000 reports with room to spare.
const MAX_BODY: usize = 1 << 20;

pub async fn leaked_keys(
    state: web::Data<AppState>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    use futures_util::StreamExt;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return problem(StatusCode::BAD_REQUEST, "The body could not be read.");
        };
        if body.len() + chunk.len() > MAX_BODY {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Send at most 1 MiB per call.",
            );
        }
        body.extend_from_slice(&chunk);
    }
    let Some(secret) = &state.config.security.leaked_keys_secret else {
        return problem(
            StatusCode::NOT_FOUND,
            "Leaked-key reports are not taken here.",
        );
    };
    let mut sigs = req.headers().get_all(SIGNATURE);
    let sig = match (sigs.next().and_then(|v| v.to_str().ok()), sigs.next()) {
        (Some(s), None) => s,
        _ => {
            return problem(
                StatusCode::UNAUTHORIZED,
                "Sign the body: X-Agora-Signature: sha256=<hex HMAC-SHA256>, sent once.",
            );
        }
    };
    if !incidents::signed(&secret.0, &body, sig) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "The signature does not match the body.",
        );
    }
    let reports: Vec<LeakReport> = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "Send a JSON list of objects with token, type, url and source.",
            );
        }
    };
    if reports.len() > MAX_REPORTS {
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Send at most 1,000 reports per call.",
        );
    }
    match incidents::intake(&state, &reports).await {
        Ok(verdicts) => HttpResponse::Ok().json(verdicts),
        Err(e) => {
            tracing::error!(error = ?e, "leaked-key intake");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The reports could not be taken in; send them again.",
            )
        }
    }
}
