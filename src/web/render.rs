//! The page layout every template extends, and helpers to answer with a page
//! or a redirect (POST-redirect-GET with a flash message).

use std::collections::HashMap;

use actix_web::HttpResponse;
use actix_web::http::header;
use askama::Template;

use super::errors::WebError;
use super::flash::{Flash, FlashKind};
use super::session::Visitor;
use crate::domain::FieldError;

pub struct NavTeam {
    pub id: String,
    pub name: String,
    pub role: &'static str,
    /// The visitor manages this provider team's products.
    pub provides: bool,
}

/// What the base layout shows: who is signed in, their teams, the flash
/// message, and the CSRF token for the forms in the header.
pub struct Layout {
    pub title: String,
    pub user_name: Option<String>,
    pub platform_admin: bool,
    pub teams: Vec<NavTeam>,
    pub csrf: String,
    pub flash: Option<Flash>,
    /// Unread notifications (the header's badge).
    pub unread: usize,
}

impl Layout {
    /// A fresh one-time id for a form that creates or rotates something
    /// (see `web::once`): made only where a template asks for one.
    pub fn request_id(&self) -> String {
        crate::crypto::random::token()
    }

    pub fn new(visitor: &Visitor, title: impl Into<String>) -> Self {
        let (user_name, platform_admin, teams) = match &visitor.user {
            Some(u) => (
                Some(u.user.display_name.to_string()),
                u.user.platform_admin,
                u.teams
                    .iter()
                    .map(|(t, r)| NavTeam {
                        id: t.id.to_string(),
                        name: t.name.to_string(),
                        role: r.as_str(),
                        provides: t.provider && r.can_act(),
                    })
                    .collect(),
            ),
            None => (None, false, Vec::new()),
        };
        Self {
            title: title.into(),
            user_name,
            platform_admin,
            teams,
            csrf: visitor.csrf.clone(),
            flash: visitor.flash.clone(),
            unread: visitor.user.as_ref().map_or(0, |u| u.unread),
        }
    }

    /// The header badge's text: the count, or "99+" past the counted cap.
    pub fn unread_badge(&self) -> String {
        if self.unread >= crate::store::UNREAD_CAP {
            format!("{}+", crate::store::UNREAD_CAP - 1)
        } else {
            self.unread.to_string()
        }
    }

    /// For error pages, which are built without the request at hand.
    pub fn bare(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            user_name: None,
            platform_admin: false,
            teams: Vec::new(),
            csrf: String::new(),
            flash: None,
            unread: 0,
        }
    }
}

/// Messages to show beside form fields, by field name.
#[derive(Debug, Default)]
pub struct FormErrors(HashMap<&'static str, String>);

impl FormErrors {
    pub fn one(e: FieldError) -> Self {
        let mut errors = Self::default();
        errors.add(e);
        errors
    }

    pub fn add(&mut self, e: FieldError) {
        self.0.entry(e.field).or_insert(e.message);
    }

    /// Keeps the value, or records the error and returns `None`.
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.add(e)).ok()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<FieldError>> for FormErrors {
    fn from(fields: Vec<FieldError>) -> Self {
        let mut errors = Self::default();
        for e in fields {
            errors.add(e);
        }
        errors
    }
}

pub type PageResult = Result<HttpResponse, WebError>;

pub fn page<T: Template>(t: &T) -> PageResult {
    page_with_status(t, actix_web::http::StatusCode::OK)
}

/// A form shown again with its errors answers 422, so scripts and tests can
/// tell it from a success.
pub fn form_again<T: Template>(t: &T) -> PageResult {
    page_with_status(t, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
}

pub fn page_with_status<T: Template>(t: &T, status: actix_web::http::StatusCode) -> PageResult {
    let body = t.render().map_err(WebError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

pub fn redirect_flash(
    visitor: &Visitor,
    to: &str,
    kind: FlashKind,
    message: impl Into<String>,
) -> HttpResponse {
    let mut res = redirect(to);
    let cookie = visitor.flash_cookie(Flash {
        kind,
        message: message.into(),
    });
    if let Ok(v) = header::HeaderValue::from_str(&cookie.to_string()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
