//! One place maps what went wrong to a status and a page. The person sees a
//! helpful sentence; the cause chain goes to the log, once.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::errors::WebError;
use super::render::Layout;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: &'static str,
    message: String,
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden(_) | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NotAForm(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            WebError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::AlreadySent => StatusCode::CONFLICT,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (heading, message) = match self {
            WebError::SignInRequired { next } => {
                let target = format!("/login?next={}", super::urlencode(next));
                return HttpResponse::SeeOther().insert_header((header::LOCATION, target)).finish();
            }
            WebError::NotFound => ("Not found", "There is nothing here, or you cannot see it.".to_owned()),
            WebError::Forbidden(why) => ("Not allowed", why.clone()),
            WebError::Csrf => (
                "Form expired",
                "This form was not accepted because its security token is missing or out of date. Go back, reload the page and try again.".to_owned(),
            ),
            WebError::BadRequest(why) => ("Bad request", why.clone()),
            WebError::NotAForm(kind) => (
                "Not a form",
                format!("This address takes HTML form posts (application/x-www-form-urlencoded), not {kind}. Scripts: send the form fields as a browser does."),
            ),
            WebError::AlreadySent => (
                "Already sent",
                "This form was already sent, and nothing was done twice. Go back to the page you came from and reload it to see the result.".to_owned(),
            ),
            WebError::TooLarge { limit } => (
                "Too much text",
                format!(
                    "This form holds more than this server takes: at most {} in all. Nothing was saved. Go back (your browser keeps what you typed), shorten the longest text, and send it again.",
                    super::size_words(*limit)
                ),
            ),
            WebError::BodyTimeout => (
                "Too slow",
                "The request did not arrive in time. Check your connection and send it again.".to_owned(),
            ),
            WebError::Internal(cause) => {
                tracing::error!(error = %cause, "request failed");
                ("Something went wrong", "The server could not complete this request. It has been logged; please try again.".to_owned())
            }
        };
        let page = ErrorPage {
            layout: Layout::bare(heading),
            heading,
            message,
        };
        let body = page.render().unwrap_or_else(|_| heading.to_owned());
        HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}
