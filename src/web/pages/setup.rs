//! First start: create the platform admin. Gone (404) once anyone exists.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::account::{DisplayName, Email, Password, User};
use crate::domain::ids::UserId;
use crate::ops::AppState;
use crate::store::{Conflict, StoreError};
use crate::web::csrf::Form;
use crate::web::errors::WebError;
use crate::web::flash::FlashKind;
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect_flash};
use crate::web::session::{Visitor, start_session};

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    layout: Layout,
    email: String,
    display_name: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

pub async fn form(state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    if state.store.has_users() {
        return Err(WebError::NotFound);
    }
    page(&SetupPage {
        layout: Layout::new(&visitor, "Set up Agora"),
        email: String::new(),
        display_name: String::new(),
        errors: FormErrors::default(),
    })
}

pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    Form(f): Form<SetupForm>,
) -> PageResult {
    if state.store.has_users() {
        return Err(WebError::NotFound);
    }
    let mut errors = FormErrors::default();
    let email = errors.check(Email::parse(&f.email));
    let name = errors.check(DisplayName::parse(&f.display_name));
    let password = errors.check(Password::parse_new(f.password, &f.password_again));
    let (Some(email), Some(display_name), Some(password)) = (email, name, password) else {
        return form_again(&SetupPage {
            layout: Layout::new(&visitor, "Set up Agora"),
            email: f.email,
            display_name: f.display_name,
            errors,
        });
    };
    let hash = state
        .hasher
        .hash(password)
        .await
        .map_err(WebError::internal)?;
    let now = state.clock.now();
    let user = User {
        id: UserId::generate(now),
        email,
        display_name,
        password_hash: Some(hash),
        platform_admin: true,
        created_at: now,
        password_changed_at: Some(now),
        email_topics: Vec::new(),
    };
    match state.store.setup_first_admin(&user) {
        Ok(()) => {}
        Err(StoreError::Conflict(Conflict::SetupDone)) => return Err(WebError::NotFound),
        Err(e) => return Err(e.into()),
    }
    let cookie = start_session(&state, None, user.id).await?;
    tracing::info!(user = %user.id, "platform admin created");
    let mut res: HttpResponse = redirect_flash(
        &visitor,
        "/",
        FlashKind::Success,
        "Agora is ready. You are the platform admin: create a team to begin.",
    );
    res.add_cookie(&cookie).map_err(WebError::internal)?;
    Ok(res)
}
