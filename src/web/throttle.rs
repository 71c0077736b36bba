//! A password offered on a page, checked under the sign-in throttle
//! (`ops::throttle`), and how a refusal is answered.

use crate::domain::account::Password;
use crate::ops::throttle::{BUSY_MESSAGE, PasswordCheck, check_password, throttled_message};

/// A confirmation that did not match: the status and the message next to
/// the password field; `None` when it matched.
pub fn refused(check: PasswordCheck) -> Option<(actix_web::http::StatusCode, String)> {
    use actix_web::http::StatusCode;
    match check {
        PasswordCheck::Matched => None,
        PasswordCheck::Wrong => Some((
            StatusCode::UNPROCESSABLE_ENTITY,
            "This is not your password.".to_owned(),
        )),
        PasswordCheck::Throttled(wait) => {
            Some((StatusCode::TOO_MANY_REQUESTS, throttled_message(wait)))
        }
        PasswordCheck::Busy => Some((StatusCode::SERVICE_UNAVAILABLE, BUSY_MESSAGE.to_owned())),
    }
}

/// A signed-in person's password offered again (View Credential, change
/// password), checked under the same throttle as their sign-in.
pub async fn confirm_password(
    state: &crate::ops::AppState,
    req: &actix_web::HttpRequest,
    user: &crate::domain::account::User,
    offered: Password,
) -> PasswordCheck {
    check_password(
        &state.throttle,
        &state.hasher,
        state.clock.now(),
        (
            &user.email.as_str().to_lowercase(),
            &crate::web::session::client_address(req, &state.config.server),
        ),
        offered,
        user.password_hash.clone(),
    )
    .await
}
