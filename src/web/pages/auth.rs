//! Sign in and sign out.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::FieldError;
use crate::domain::account::{Email, Password};
use crate::ops::AppState;
use crate::ops::throttle::{BUSY_MESSAGE, PasswordCheck, check_password, throttled_message};
use crate::web::csrf::{Form, NoFields};
use crate::web::errors::WebError;
use crate::web::flash::FlashKind;
use crate::web::render::{
    FormErrors, Layout, PageResult, page, page_with_status, redirect, redirect_flash,
};
use crate::web::safe_next;
use crate::web::session::{Visitor, client_address, session_removal, start_session};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    notice: Option<String>,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn form(
    state: web::Data<AppState>,
    visitor: Visitor,
    q: web::Query<NextQuery>,
) -> PageResult {
    if !state.store.has_users() {
        return Ok(redirect("/setup"));
    }
    if visitor.user.is_some() {
        return Ok(redirect(safe_next(&q.next)));
    }
    let notice = visitor
        .session_ended
        .then(|| "Your session has ended. Sign in again to continue.".to_owned());
    page(&LoginPage {
        layout: Layout::new(&visitor, "Sign in"),
        email: String::new(),
        next: q.next.clone(),
        notice,
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let again = |status: StatusCode, message: String| {
        let errors = FormErrors::one(FieldError::new("password", message));
        page_with_status(
            &LoginPage {
                layout: Layout::new(&visitor, "Sign in"),
                email: f.email.clone(),
                next: f.next.clone(),
                notice: None,
                errors,
            },
            status,
        )
    };
    let account = f.email.trim().to_lowercase();
    let address = client_address(&req, &state.config.server);
    let now = state.clock.now();
    let user = match Email::parse(&f.email) {
        Ok(email) => state.store.user_by_email(&email)?,
        Err(_) => None,
    };
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    match check_password(
        &state.throttle,
        &state.hasher,
        now,
        (&account, &address),
        Password::offered(f.password.clone()),
        hash,
    )
    .await
    {
        PasswordCheck::Matched => {}
        PasswordCheck::Wrong => {
            tracing::info!(client = %address, "sign-in refused");
            return again(
                StatusCode::UNAUTHORIZED,
                "Wrong email or password.".to_owned(),
            );
        }
        PasswordCheck::Throttled(wait) => {
            tracing::warn!(client = %address, "sign-in throttled");
            let mut res = again(StatusCode::TOO_MANY_REQUESTS, throttled_message(wait))?;
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(wait.as_secs()),
            );
            return Ok(res);
        }
        PasswordCheck::Busy => {
            let mut res = again(StatusCode::SERVICE_UNAVAILABLE, BUSY_MESSAGE.to_owned())?;
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(1u64),
            );
            return Ok(res);
        }
    }
    let Some(user) = user else {
        return Err(WebError::internal("verified a password without a user"));
    };
    let old = visitor.user.as_ref().map(|u| u.session_hash);
    let cookie = start_session(&state, old, user.id).await?;
    tracing::info!(user = %user.id, "signed in");
    let mut res = redirect(safe_next(&f.next));
    res.add_cookie(&cookie).map_err(WebError::internal)?;
    Ok(res)
}

pub async fn logout(
    state: web::Data<AppState>,
    visitor: Visitor,
    Form(_): Form<NoFields>,
) -> Result<HttpResponse, WebError> {
    if let Some(u) = &visitor.user {
        state.store.delete_session(&u.session_hash)?;
        state.store.flush().await?;
    }
    let mut res = redirect_flash(
        &visitor,
        "/login",
        FlashKind::Success,
        "You are signed out.",
    );
    res.add_cookie(&session_removal(state.config.server.secure_cookies))
        .map_err(WebError::internal)?;
    Ok(res)
}
