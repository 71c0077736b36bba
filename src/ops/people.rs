//! People: the platform admin invites someone (optionally into a team with
//! a role), and issues their invitation link, which expires and lets them
//! set their own password. No password is ever sent around.

use serde::Deserialize;

use super::AppState;
use super::error::OpError;
use super::teams::PlatformAdmin;
use crate::actors::team::{AddMember, TeamCommandError};
use crate::clock::Timestamp;
use crate::crypto::digest::sha256;
use crate::domain::FieldError;
use crate::domain::account::{DisplayName, Email, User};
use crate::domain::delivery::{self, Channel, Delivery};
use crate::domain::ids::{TeamId, UserId};
use crate::domain::team::TeamRole;
use crate::store::{Conflict, Invitation, StoreError};

/// Someone to invite, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewPerson {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    /// A team to add them to (empty: none), with `role`.
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub role: String,
}

/// Makes the account of someone invited (no password yet) and, when a team
/// is chosen, their membership.
pub async fn invite(
    state: &AppState,
    admin: PlatformAdmin,
    new: &NewPerson,
) -> Result<User, OpError> {
    let mut errors = Vec::new();
    let email = Email::parse(&new.email).map_err(|e| errors.push(e)).ok();
    let name = DisplayName::parse(&new.display_name)
        .map_err(|e| errors.push(e))
        .ok();
    let team = match new.team.trim() {
        "" => None,
        raw => match raw
            .parse::<TeamId>()
            .ok()
            .map(|id| state.store.team(id))
            .transpose()?
        {
            Some(Some(t)) => Some(t),
            _ => {
                errors.push(FieldError::new("team", "Choose a team from the list."));
                None
            }
        },
    };
    let role = match &team {
        Some(_) => TeamRole::parse(&new.role).map_err(|e| errors.push(e)).ok(),
        None => None,
    };
    let (Some(email), Some(display_name), true) = (email, name, errors.is_empty()) else {
        return Err(OpError::Invalid(errors));
    };
    let now = state.clock.now();
    let user = User {
        id: UserId::generate(now),
        email,
        display_name,
        password_hash: None,
        platform_admin: false,
        created_at: now,
        password_changed_at: None,
        email_topics: Vec::new(),
    };
    match state.store.insert_user(&user) {
        Ok(()) => {}
        Err(StoreError::Conflict(Conflict::EmailTaken)) => {
            return Err(OpError::invalid(
                "email",
                "An account with this email already exists.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    if let (Some(team), Some(role)) = (&team, role) {
        let cmd = AddMember {
            user: user.id,
            role,
            actor: admin.user,
        };
        // A refusal (already a member) still leaves the invitation to send.
        if let Err(TeamCommandError::Store(e)) = state.teams.send(team.id, cmd).await? {
            return Err(e.into());
        }
    }
    Ok(user)
}

/// Queues one email in the delivery outbox, durably, and wakes the courier.
pub(super) async fn send_email(state: &AppState, mail: delivery::Email) -> Result<(), OpError> {
    let now = state.clock.now();
    state
        .store
        .put_deliveries(&[Delivery::new(Channel::Email(mail), now)])?;
    state.store.flush().await?;
    state.store.wake_courier();
    Ok(())
}

/// The person an invitation link is for, while it has not expired and
/// they have not set a password yet. Only invitations are looked up here:
/// a password reset link's token is unknown.
pub fn invitation_holder(state: &AppState, token: &str) -> Result<Option<User>, OpError> {
    let Some(inv) = state.store.invitation(&sha256(token.as_bytes()))? else {
        return Ok(None);
    };
    if inv.expires_at <= state.clock.now() {
        return Ok(None);
    }
    Ok(state.store.user(inv.user_id)?.filter(|u| !u.is_active()))
}

/// A new invitation link for someone who has not set a password yet,
/// replacing any earlier one; flushed before it is shown. When email is set
/// up it is also sent to them (through the outbox). Returns the link, when
/// it expires, and whether it was emailed.
pub async fn invitation_link(
    state: &AppState,
    admin: PlatformAdmin,
    user: &User,
) -> Result<(String, Timestamp, bool), OpError> {
    if user.is_active() {
        return Err(OpError::Refused(
            "This person has already set a password.".to_owned(),
        ));
    }
    let token = crate::crypto::random::token();
    let now = state.clock.now();
    let expires_at = now.plus(state.config.security.invitation_ttl);
    state.store.put_invitation(
        &sha256(token.as_bytes()),
        &Invitation {
            user_id: user.id,
            created_by: admin.user,
            created_at: now,
            expires_at,
        },
    )?;
    let link = format!("{}/invitations/{token}", state.public_url);
    let emailed = state.mailer.is_some();
    if emailed {
        let inviter = state
            .store
            .user(admin.user)?
            .map(|u| u.display_name.to_string())
            .unwrap_or_else(|| "The administrator".to_owned());
        let mail = delivery::Email {
            to: user.email.as_str().to_owned(),
            subject: "You are invited to Agora".to_owned(),
            text: format!(
                "{inviter} invited you to Agora. Open this link to choose your password; it works once, until {}:\n\n{link}",
                expires_at.display()
            ),
            link: None,
        };
        send_email(state, mail).await?;
    } else {
        state.store.flush().await?;
    }
    tracing::info!(user = %user.id, emailed, "invitation issued");
    Ok((link, expires_at, emailed))
}
