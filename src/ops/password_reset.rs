//! Forgotten password: a reset link by email, one-time and short-lived,
//! throttled per address and per account, and never telling whether an
//! account exists for the address given — neither by its answer nor by how
//! long the answer takes. The link serves to reset a password and nothing
//! else; the reset ends every session of the account and, when its person
//! chooses, revokes their API tokens.

use std::time::Duration;

use super::AppState;
use super::error::OpError;
use super::reset_desk::Ask;
use crate::crypto::digest::sha256;
use crate::domain::account::{Email, Password, User};
use crate::domain::audit::AuditRecord;
use crate::domain::delivery;
use crate::domain::ids::AuditId;
use crate::domain::token::TokenOwner;
use crate::store::{Conflict, Reset, ResetLink, Session, StoreError};

/// How long a reset link works.
pub const LINK_FOR: Duration = Duration::from_secs(3_600);
/// Requests per account and per client address within an hour.
const PER_ACCOUNT: u32 = 3;
const PER_ADDRESS: u32 = 10;

/// Asks for a reset link for `email` from `client`. Whatever the address,
/// the answer is the same and takes as long: only the per-address throttle
/// runs here, and the request is queued; looking the address up and
/// sending the link happen after the answer ([`send_link`]).
pub fn request(state: &AppState, email: &str, client: &str) {
    let now = state.clock.now();
    if !state
        .resets
        .take(format!("addr:{client}"), PER_ADDRESS, now)
    {
        tracing::warn!(client, "password reset requests throttled for an address");
        return;
    }
    let Ok(email) = Email::parse(email) else {
        return;
    };
    if state.mailer.is_none() {
        return;
    }
    if !state.resets.queue(Ask { email, at: now }) {
        tracing::warn!("password reset requests dropped: too many wait already");
    }
}

/// The queued part of a request: a link is made and emailed only for an
/// active account, within the per-account throttle.
pub(super) async fn send_link(state: &AppState, ask: Ask) -> Result<(), OpError> {
    let Some(user) = state.store.user_by_email(&ask.email)? else {
        return Ok(());
    };
    if !user.is_active() {
        return Ok(());
    }
    if !state
        .resets
        .take(format!("user:{}", user.id), PER_ACCOUNT, ask.at)
    {
        tracing::warn!(user = %user.id, "password reset requests throttled for an account");
        return Ok(());
    }
    let token = crate::crypto::random::token();
    let expires_at = ask.at.plus(LINK_FOR);
    state.store.put_reset_link(
        &sha256(token.as_bytes()),
        &ResetLink {
            user_id: user.id,
            created_at: ask.at,
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

/// The person a reset link is for, with how many API tokens of theirs a
/// reset could revoke, while the link works.
pub struct Holder {
    pub user: User,
    pub tokens: usize,
}

/// The holder of a working reset link: known as a reset link (an
/// invitation's token is not), not expired, for an account with a password.
pub fn holder(state: &AppState, token: &str) -> Result<Option<Holder>, OpError> {
    let Some(link) = state.store.reset_link(&sha256(token.as_bytes()))? else {
        return Ok(None);
    };
    if link.expires_at <= state.clock.now() {
        return Ok(None);
    }
    let Some(user) = state.store.user(link.user_id)?.filter(User::is_active) else {
        return Ok(None);
    };
    let tokens = state.store.tokens_of_user(user.id)?.len();
    Ok(Some(Holder { user, tokens }))
}

/// A reset done: its person, and how many API tokens were revoked.
pub struct Done {
    pub user: User,
    pub revoked: usize,
}

/// Sets the new password from a reset link, once: every session of the
/// account ends and a new one, stored under `session_hash`, opens; with
/// `revoke_tokens`, the person's API tokens are revoked in the same
/// transaction. `None` when the link does not work (any more).
pub async fn reset(
    state: &AppState,
    token: &str,
    password: Password,
    session_hash: [u8; 32],
    revoke_tokens: bool,
) -> Result<Option<Done>, OpError> {
    let Some(holder) = holder(state, token)? else {
        return Ok(None);
    };
    let hash = state
        .hasher
        .hash(password)
        .await
        .map_err(OpError::internal)?;
    let now = state.clock.now();
    let session = Session {
        user_id: holder.user.id,
        created_at: now,
        last_seen_at: now,
    };
    let revoke = if revoke_tokens {
        state.store.tokens_of_user(holder.user.id)?
    } else {
        Vec::new()
    };
    let audits: Vec<AuditRecord> = revoke
        .iter()
        .map(|t| AuditRecord {
            id: AuditId::generate(now),
            at: now,
            actor: Some(holder.user.id),
            team: match t.owner {
                TokenOwner::Person { team, .. } => team,
                TokenOwner::Team { team, .. } => Some(team),
            },
            action: "token.revoked".to_owned(),
            detail: format!(
                "revoked the token {} ({}) with a password reset",
                t.name, t.id
            ),
            subject: None,
        })
        .collect();
    let done = state.store.reset_password(
        &Reset {
            link: &sha256(token.as_bytes()),
            password: &hash,
            now,
            session_hash: &session_hash,
            session: &session,
            revoke: &revoke,
        },
        &audits,
    );
    let user = match done {
        Ok(user) => user,
        Err(StoreError::Conflict(Conflict::Missing)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    state.store.flush().await?;
    tracing::info!(user = %user.id, revoked = revoke.len(), "password reset");
    Ok(Some(Done {
        user,
        revoked: revoke.len(),
    }))
}
