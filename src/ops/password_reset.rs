//! Forgotten password: a reset link by email, one-time and short-lived,
//! throttled per address and per account, and never telling whether an
//! account exists for the address given.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use super::AppState;
use crate::clock::Timestamp;
use crate::crypto::digest::sha256;
use crate::domain::account::Email;
use crate::domain::delivery;
use crate::store::Invitation;

/// How long a reset link works.
pub const LINK_FOR: Duration = Duration::from_secs(3_600);
/// Requests per account and per client address within an hour.
const PER_ACCOUNT: u32 = 3;
const PER_ADDRESS: u32 = 10;
const WINDOW_MS: i64 = 3_600_000;
/// Entries kept at most before old windows are dropped.
const MAX_KEYS: usize = 100_000;

/// Counts reset requests in fixed hourly windows.
#[derive(Default)]
pub struct ResetThrottle(Mutex<HashMap<String, (i64, u32)>>);

impl ResetThrottle {
    /// Counts one request for `key`; false once `max` is used up.
    fn take(&self, key: String, max: u32, now: Timestamp) -> bool {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let window = now.as_millis() / WINDOW_MS;
        if map.len() > MAX_KEYS {
            map.retain(|_, (w, _)| *w == window);
        }
        let e = map.entry(key).or_insert((window, 0));
        if e.0 != window {
            *e = (window, 0);
        }
        e.1 += 1;
        e.1 <= max
    }
}

/// Asks for a reset link for `email` from `client`. Whatever the address,
/// the answer is the same; a link is sent only to an active account, when
/// email is set up, within the throttle.
pub async fn request(state: &AppState, email: &str, client: &str) -> Result<(), super::OpError> {
    let now = state.clock.now();
    if !state
        .resets
        .take(format!("addr:{client}"), PER_ADDRESS, now)
    {
        tracing::warn!(client, "password reset requests throttled for an address");
        return Ok(());
    }
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    let Some(user) = state.store.user_by_email(&email)? else {
        return Ok(());
    };
    if !user.is_active() || state.mailer.is_none() {
        return Ok(());
    }
    if !state
        .resets
        .take(format!("user:{}", user.id), PER_ACCOUNT, now)
    {
        tracing::warn!(user = %user.id, "password reset requests throttled for an account");
        return Ok(());
    }
    let token = crate::crypto::random::token();
    let expires_at = now.plus(LINK_FOR);
    state.store.put_invitation(
        &sha256(token.as_bytes()),
        &Invitation {
            user_id: user.id,
            created_by: user.id,
            created_at: now,
            expires_at,
        },
    )?;
    let link = format!("{}/password/reset/{token}", state.public_url);
    let mail = delivery::Email {
        to: user.email.as_str().to_owned(),
        subject: "Choose a new Agora password".to_owned(),
        text: format!(
            "Someone asked to reset the password of your Agora account. If it was you, open this link to choose a new one; it works once, until {}:\n\n{link}\n\nIf it was not you, ignore this email: your password stays as it is.",
            expires_at.display()
        ),
        link: None,
    };
    super::people::send_email(state, mail).await?;
    tracing::info!(user = %user.id, "password reset link sent");
    Ok(())
}
