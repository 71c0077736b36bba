//! Form bodies, accepted only with the CSRF token bound to the visitor's
//! session. Every POST handler takes [`Form`], so no POST route can forget.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::errors::WebError;
use super::session::Visitor;
use crate::crypto::digest::constant_time_eq;
use crate::ops::AppState;
use actix_web::error::PayloadError;

pub const FIELD: &str = "csrf";

pub struct Form<T>(pub T);

/// The body of a form whose only field is its CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct NoFields {}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // JSON, multipart and the like are refused for what they are, before
        // the body is read: "form expired" would send a script's author astray.
        let kind = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("?").to_owned());
        if let Some(kind) = kind {
            let essence = kind.split(';').next().unwrap_or("").trim();
            if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
                let essence = essence.to_owned();
                return Box::pin(async move { Err(WebError::NotAForm(essence)) });
            }
        }
        // The limit the body was read with (`web::PayloadConfig`), to say it.
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(0, |s| s.config.server.body_limit);
        let visitor = Visitor::from_request(req, payload).into_inner();
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let visitor = visitor?;
            let body = body.await.map_err(|e| {
                if e.to_string()
                    .contains(crate::web::middleware::BODY_TIMED_OUT)
                {
                    WebError::BodyTimeout
                } else if let Some(PayloadError::Overflow) = e.as_error::<PayloadError>() {
                    WebError::TooLarge { limit }
                } else {
                    WebError::BadRequest(format!("The form could not be read: {e}"))
                }
            })?;
            let pairs: Vec<(String, String)> =
                serde_html_form::from_bytes(&body).map_err(|_| WebError::Csrf)?;
            let offered = pairs
                .iter()
                .find(|(k, _)| k == FIELD)
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            if !constant_time_eq(offered.as_bytes(), visitor.csrf.as_bytes()) {
                return Err(WebError::Csrf);
            }
            let form = serde_html_form::from_bytes(&body)
                .map_err(|e| WebError::BadRequest(format!("The form is incomplete: {e}")))?;
            Ok(Form(form))
        })
    }
}
