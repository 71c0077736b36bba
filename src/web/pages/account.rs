//! The signed-in user's own account: change password.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::domain::FieldError;
use crate::domain::account::Password;
use crate::domain::notification::Topic;
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

#[derive(Template)]
#[template(path = "account/email.html")]
struct EmailPage {
    layout: Layout,
    mail_on: bool,
    email: String,
    topics: Vec<(&'static str, &'static str, bool)>,
}

fn email_page(state: &AppState, who: &SignedIn, chosen: &[Topic]) -> EmailPage {
    EmailPage {
        layout: Layout::new(&who.0, "Email notifications"),
        mail_on: crate::ops::account::mail_on(state),
        email: who.user().email.as_str().to_owned(),
        topics: Topic::ALL
            .into_iter()
            .map(|t| (t.as_str(), t.label(), chosen.contains(&t)))
            .collect(),
    }
}

pub async fn email_form(state: web::Data<AppState>, who: SignedIn) -> PageResult {
    let chosen = who.user().email_topics.clone();
    page(&email_page(&state, &who, &chosen))
}

pub async fn email_submit(
    state: web::Data<AppState>,
    who: SignedIn,
    Form(f): Form<crate::web::form::Pairs>,
) -> PageResult {
    crate::ops::account::set_email_topics(&state, who.user(), &f.all("topics")).await?;
    Ok(redirect_flash(
        &who.0,
        "/account/email",
        FlashKind::Success,
        "Your email choices are saved.".to_owned(),
    ))
}
