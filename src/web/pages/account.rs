//! The signed-in user's own account: change password.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::domain::FieldError;
use crate::domain::account::Password;
use crate::ops::AppState;
use crate::ops::throttle::PasswordCheck;
use crate::web::csrf::Form;
use crate::web::errors::WebError;
use crate::web::extractors::SignedIn;
use crate::web::flash::FlashKind;
use crate::web::render::{FormErrors, Layout, PageResult, page, page_with_status, redirect_flash};
use crate::web::throttle::{confirm_password, refused};
use actix_web::http::StatusCode;

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    layout: Layout,
    errors: FormErrors,
}

pub async fn form(who: SignedIn) -> PageResult {
    page(&PasswordPage {
        layout: Layout::new(&who.0, "Change password"),
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

pub async fn submit(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    who: SignedIn,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    let mut errors = FormErrors::default();
    let new = errors.check(Password::parse_new(f.password, &f.password_again));
    let checked = confirm_password(&state, &req, who.user(), Password::offered(f.current)).await;
    let refusal = refused(checked);
    let status = refusal
        .as_ref()
        .map_or(StatusCode::UNPROCESSABLE_ENTITY, |(s, _)| *s);
    if let Some((_, message)) = refusal {
        let message = match checked {
            PasswordCheck::Wrong => "This is not your current password.".to_owned(),
            _ => message,
        };
        errors.add(FieldError::new("current", message));
    }
    let Some(new) = new.filter(|_| checked == PasswordCheck::Matched) else {
        return page_with_status(
            &PasswordPage {
                layout: Layout::new(&who.0, "Change password"),
                errors,
            },
            status,
        );
    };
    let hash = state.hasher.hash(new).await.map_err(WebError::internal)?;
    let session = who.0.user.as_ref().map(|u| u.session_hash);
    state
        .store
        .set_password(who.user().id, hash, state.clock.now(), session.as_ref())?;
    state.store.flush().await?;
    tracing::info!(user = %who.user().id, "password changed");
    Ok(redirect_flash(
        &who.0,
        "/",
        FlashKind::Success,
        "Your password is changed. Your other sessions are signed out.",
    ))
}
