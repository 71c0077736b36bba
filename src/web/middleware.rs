//! Wrapping every response: request id and log line, metrics, security
//! headers, and the cookies the pages need (pre-session, flash clean-up).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use tracing::Instrument;

use super::flash;
use super::session::NewPreCookie;
use crate::ops::AppState;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Logs one line per request with its id, route pattern (never the raw path,
/// which may hold a token), status and time, and records the metrics.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id = hex::encode(crate::crypto::random::bytes::<8>());
    let method = req.method().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let span = tracing::info_span!("request", id = %request_id, method = %method);
    let mut res = next.call(req).instrument(span.clone()).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    span.in_scope(|| {
        let ms = elapsed.as_secs_f64() * 1e3;
        // A proxy asks the gateway once per API call: those lines are for debugging only.
        if route.starts_with("/gateway/") {
            tracing::debug!(route = %route, status, ms, "answered");
        } else {
            tracing::info!(route = %route, status, ms, "answered");
        }
    });
    if let Some(state) = state {
        state.metrics.record(&method, &route, status, elapsed);
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), v);
    }
    Ok(res)
}

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    let is_html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html && !h.contains_key(header::CACHE_CONTROL) {
        // Pages show per-user data: never stored by shared caches.
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    Ok(res)
}

/// Sets a pre-session cookie made while answering, and removes a flash cookie
/// once a page has shown it.
pub async fn cookies(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let had_flash = req.cookie(flash::COOKIE).is_some();
    let secure = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.config.server.secure_cookies);
    let mut res = next.call(req).await?;
    let pre = res.request().extensions().get::<NewPreCookie>().cloned();
    if let Some(NewPreCookie(cookie)) = pre {
        let _ = res.response_mut().add_cookie(&cookie);
    }
    let sets_flash = res.response().cookies().any(|c| c.name() == flash::COOKIE);
    if had_flash && !sets_flash && !res.status().is_redirection() {
        let _ = res.response_mut().add_cookie(&flash::removal(secure));
    }
    Ok(res)
}

/// A request body that must have arrived by a deadline: a client that sends
/// part of a body and stops would otherwise hold a connection and the
/// handler waiting for it for ever.
struct Deadline {
    inner: actix_web::dev::Payload,
    deadline: std::pin::Pin<Box<actix_web::rt::time::Sleep>>,
}

impl futures_util::Stream for Deadline {
    type Item = Result<web::Bytes, actix_web::error::PayloadError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        if let Poll::Ready(item) = std::pin::Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        match std::future::Future::poll(self.deadline.as_mut(), cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(actix_web::error::PayloadError::Io(
                std::io::Error::new(std::io::ErrorKind::TimedOut, BODY_TIMED_OUT),
            )))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The error text a body cut off by its deadline carries.
pub const BODY_TIMED_OUT: &str = "the request body did not arrive in time";

/// Gives every request body `server.body_timeout` to arrive in full.
pub async fn body_deadline<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<B, B>>, Error> {
    // Most calls (every gateway check) have no body: nothing to wait for.
    let h = req.headers();
    if !h.contains_key(header::CONTENT_LENGTH) && !h.contains_key(header::TRANSFER_ENCODING) {
        return next.call(req).await.map(|r| r.map_into_left_body());
    }
    let limit = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.server.body_timeout)
        .unwrap_or(std::time::Duration::from_secs(10));
    let inner = req.take_payload();
    let stream: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>>>,
    > = Box::pin(Deadline {
        inner,
        deadline: Box::pin(actix_web::rt::time::sleep(limit)),
    });
    req.set_payload(actix_web::dev::Payload::Stream { payload: stream });
    next.call(req).await.map(|r| r.map_into_right_body())
}
