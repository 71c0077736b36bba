//! A listener on every answer of the API, for the tests that hold the
//! served document to what the server says. Installed only through
//! `startup::Seams`; without one the API's answers stream as they are.

use std::sync::Arc;

use actix_web::Error;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

/// One answer of the API as the tap hears it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    /// The route's pattern (`/api/v1/teams/{team}`), when one matched.
    pub pattern: Option<String>,
    pub path: String,
    pub status: u16,
    /// Every header of the answer, names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: web::Bytes,
}

/// What hears the answers.
pub type Tap = Arc<dyn Fn(Exchange) + Send + Sync>;

pub(crate) async fn listen(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let tap = req.app_data::<web::Data<Tap>>().cloned();
    let method = req.method().to_string();
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(tap) = tap else {
        return Ok(res);
    };
    let pattern = res.request().match_pattern();
    let path = res.request().path().to_owned();
    let (req, res) = res.into_parts();
    let (res, body) = res.into_parts();
    let body = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| {
            let v = v.to_str().unwrap_or_default().to_owned();
            (k.as_str().to_owned(), v)
        })
        .collect();
    tap(Exchange {
        method,
        pattern,
        path,
        status: res.status().as_u16(),
        headers,
        body: body.clone(),
    });
    let res = res.set_body(BoxBody::new(body));
    Ok(ServiceResponse::new(req, res))
}
