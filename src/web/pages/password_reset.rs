//! Forgotten password in the pages: ask for a link by email (the answer
//! never says whether the address has an account), then choose a new
//! password from the link, once; every other session of the account ends.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
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
use crate::web::session::{
    SESSION_COOKIE, Visitor, base_cookie, client_address, new_session, session_hash,
};

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    layout: Layout,
    mail_on: bool,
    sent: bool,
}

pub async fn forgot_form(state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    page(&ForgotPage {
        layout: Layout::new(&visitor, "Forgotten password"),
        mail_on: state.mailer.is_some(),
        sent: false,
    })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    Form(f): Form<ForgotForm>,
) -> PageResult {
    let client = client_address(&req, &state.config.server);
    crate::ops::password_reset::request(&state, &f.email, &client).await?;
    page(&ForgotPage {
        layout: Layout::new(&visitor, "Forgotten password"),
        mail_on: state.mailer.is_some(),
        sent: true,
    })
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    layout: Layout,
    valid: bool,
    email: String,
    errors: FormErrors,
}

fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

fn lookup(state: &AppState, token: &str) -> Result<Option<crate::domain::account::User>, WebError> {
    Ok(crate::ops::people::link_holder(state, token)?.filter(|u| u.is_active()))
}

fn invalid(visitor: &Visitor) -> PageResult {
    let p = ResetPage {
        layout: Layout::new(visitor, "Choose a new password"),
        valid: false,
        email: String::new(),
        errors: FormErrors::default(),
    };
    page_with_status(&p, StatusCode::NOT_FOUND).map(no_store)
}

pub async fn reset_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
) -> PageResult {
    let Some(user) = lookup(&state, &token)? else {
        return invalid(&visitor);
    };
    page(&ResetPage {
        layout: Layout::new(&visitor, "Choose a new password"),
        valid: true,
        email: user.email.to_string(),
        errors: FormErrors::default(),
    })
    .map(no_store)
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

pub async fn reset_submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    Form(f): Form<ResetForm>,
) -> PageResult {
    let Some(user) = lookup(&state, &token)? else {
        return invalid(&visitor);
    };
    let password = match Password::parse_new(f.password, &f.password_again) {
        Ok(p) => p,
        Err(e) => {
            let p = ResetPage {
                layout: Layout::new(&visitor, "Choose a new password"),
                valid: true,
                email: user.email.to_string(),
                errors: FormErrors::one(e),
            };
            return form_again(&p).map(no_store);
        }
    };
    let hash = state
        .hasher
        .hash(password)
        .await
        .map_err(WebError::internal)?;
    let (cookie_token, hash_of_session, session) = new_session(&state, user.id);
    // Every session the account had ends: whoever held one needs the new password.
    for old in state.store.session_hashes_of(user.id)? {
        state.store.delete_session(&old)?;
    }
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
    tracing::info!(user = %user.id, "password reset");
    let mut res = redirect_flash(
        &visitor,
        "/",
        FlashKind::Success,
        "Your new password is set; any other session of your account has ended.".to_owned(),
    );
    res.add_cookie(&base_cookie(
        SESSION_COOKIE,
        cookie_token,
        state.config.server.secure_cookies,
    ))
    .map_err(WebError::internal)?;
    Ok(res)
}
