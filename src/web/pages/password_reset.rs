//! Forgotten password in the pages: ask for a link by email (the answer
//! never says whether the address has an account), then choose a new
//! password from the link, once; every other session of the account ends,
//! and the person's API tokens too unless they clear the box.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::account::Password;
use crate::ops::AppState;
use crate::ops::password_reset::Holder;
use crate::web::csrf::Form;
use crate::web::errors::WebError;
use crate::web::flash::FlashKind;
use crate::web::render::{
    FormErrors, Layout, PageResult, form_again, page, page_with_status, redirect_flash,
};
use crate::web::session::{SESSION_COOKIE, Visitor, base_cookie, client_address, session_hash};

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
    crate::ops::password_reset::request(&state, &f.email, &client);
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
    /// The person's API tokens, and whether the box to revoke them is ticked.
    tokens: usize,
    revoke: bool,
    errors: FormErrors,
}

impl ResetPage {
    fn of(visitor: &Visitor, holder: &Holder, revoke: bool, errors: FormErrors) -> Self {
        Self {
            layout: Layout::new(visitor, "Choose a new password"),
            valid: true,
            email: holder.user.email.to_string(),
            tokens: holder.tokens,
            revoke,
            errors,
        }
    }
}

fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

fn invalid(visitor: &Visitor) -> PageResult {
    let p = ResetPage {
        layout: Layout::new(visitor, "Choose a new password"),
        valid: false,
        email: String::new(),
        tokens: 0,
        revoke: false,
        errors: FormErrors::default(),
    };
    page_with_status(&p, StatusCode::NOT_FOUND).map(no_store)
}

pub async fn reset_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
) -> PageResult {
    let Some(holder) = crate::ops::password_reset::holder(&state, &token)? else {
        return invalid(&visitor);
    };
    page(&ResetPage::of(
        &visitor,
        &holder,
        true,
        FormErrors::default(),
    ))
    .map(no_store)
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
    /// Present when the box is ticked (a cleared box sends nothing).
    #[serde(default)]
    revoke_tokens: Option<String>,
}

pub async fn reset_submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    Form(f): Form<ResetForm>,
) -> PageResult {
    let Some(holder) = crate::ops::password_reset::holder(&state, &token)? else {
        return invalid(&visitor);
    };
    let revoke = f.revoke_tokens.is_some();
    let password = match Password::parse_new(f.password, &f.password_again) {
        Ok(p) => p,
        Err(e) => {
            let p = ResetPage::of(&visitor, &holder, revoke, FormErrors::one(e));
            return form_again(&p).map(no_store);
        }
    };
    let cookie_token = crate::crypto::random::token();
    let done = crate::ops::password_reset::reset(
        &state,
        &token,
        password,
        session_hash(&cookie_token),
        revoke,
    )
    .await?;
    let Some(done) = done else {
        return invalid(&visitor);
    };
    let message = match done.revoked {
        0 => "Your new password is set; any other session of your account has ended.".to_owned(),
        1 => "Your new password is set; any other session of your account has ended, and your API token is revoked.".to_owned(),
        n => format!(
            "Your new password is set; any other session of your account has ended, and your {n} API tokens are revoked."
        ),
    };
    let mut res = redirect_flash(&visitor, "/", FlashKind::Success, message);
    res.add_cookie(&base_cookie(
        SESSION_COOKIE,
        cookie_token,
        state.config.server.secure_cookies,
    ))
    .map_err(WebError::internal)?;
    Ok(res)
}
