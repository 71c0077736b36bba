//! Accepting an invitation: the invited person sets a password and is signed in.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::domain::account::Password;
use crate::ops::AppState;
use crate::store::{Conflict, StoreError};
use crate::web::csrf::Form;
use crate::web::errors::WebError;
use crate::web::flash::FlashKind;
use crate::web::render::{
    FormErrors, Layout, PageResult, form_again, page, page_with_status, redirect_flash,
};
use crate::web::session::{SESSION_COOKIE, Visitor, base_cookie, new_session, session_hash};

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    layout: Layout,
    valid: bool,
    email: String,
    name: String,
    errors: FormErrors,
}

fn invalid(visitor: &Visitor) -> PageResult {
    let p = InvitationPage {
        layout: Layout::new(visitor, "Invitation"),
        valid: false,
        email: String::new(),
        name: String::new(),
        errors: FormErrors::default(),
    };
    page_with_status(&p, StatusCode::NOT_FOUND)
}

/// The invitation's person, when the link is a known invitation, not
/// expired, and its person has no password yet.
fn lookup(state: &AppState, token: &str) -> Result<Option<crate::domain::account::User>, WebError> {
    Ok(crate::ops::people::invitation_holder(state, token)?)
}

pub async fn form(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
) -> PageResult {
    let Some(user) = lookup(&state, &token)? else {
        return invalid(&visitor);
    };
    page(&InvitationPage {
        layout: Layout::new(&visitor, "Welcome"),
        valid: true,
        email: user.email.to_string(),
        name: user.display_name.to_string(),
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    Form(f): Form<AcceptForm>,
) -> PageResult {
    let Some(user) = lookup(&state, &token)? else {
        return invalid(&visitor);
    };
    let password = match Password::parse_new(f.password, &f.password_again) {
        Ok(p) => p,
        Err(e) => {
            let p = InvitationPage {
                layout: Layout::new(&visitor, "Welcome"),
                valid: true,
                email: user.email.to_string(),
                name: user.display_name.to_string(),
                errors: FormErrors::one(e),
            };
            return form_again(&p);
        }
    };
    let hash = state
        .hasher
        .hash(password)
        .await
        .map_err(WebError::internal)?;
    if let Some(old) = visitor.user.as_ref() {
        state.store.delete_session(&old.session_hash)?;
    }
    let (cookie_token, hash_of_session, session) = new_session(&state, user.id);
    match state.store.accept_invitation(
        &session_hash(&token),
        &hash,
        state.clock.now(),
        &hash_of_session,
        &session,
    ) {
        Ok(_) => {}
        Err(StoreError::Conflict(Conflict::Missing)) => return invalid(&visitor),
        Err(e) => return Err(e.into()),
    }
    state.store.flush().await?;
    tracing::info!(user = %user.id, "invitation accepted");
    let mut res = redirect_flash(
        &visitor,
        "/",
        FlashKind::Success,
        format!("Welcome to Agora, {}.", user.display_name),
    );
    res.add_cookie(&base_cookie(
        SESSION_COOKIE,
        cookie_token,
        state.config.server.secure_cookies,
    ))
    .map_err(WebError::internal)?;
    Ok(res)
}
