//! API tokens: a person makes personal tokens on their account page; a
//! team admin makes the team's service tokens. Shown once, listed with when
//! they were last used, revocable; checked on every API call.

use std::time::Duration;

use super::AppState;
use super::caller::Caller;
use super::error::OpError;
use crate::crypto::digest::{constant_time_eq, hmac_sha256};
use crate::domain::account::User;
use crate::domain::audit::AuditRecord;
use crate::domain::ids::{AuditId, TeamId, UserId};
use crate::domain::key_format::{self, KeyId};
use crate::domain::team::TeamRole;
use crate::domain::token::{ApiToken, TokenOwner, TokenScope, TokenSpec};

/// Last-used times are written at most this often per token.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

fn hash(state: &AppState, secret: &str) -> [u8; 32] {
    hmac_sha256(&state.pepper, &[b"api-token", secret.as_bytes()])
}

/// A token as typed on a page or sent to the API.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TokenInput {
    #[serde(default)]
    pub name: String,
    /// `read` or `read-write`.
    #[serde(default)]
    pub scope: String,
    /// Empty: no expiry.
    #[serde(default)]
    pub expires_in_days: String,
}

/// A token just made, with its clear value: shown once, kept nowhere.
pub struct Made {
    pub token: ApiToken,
    pub clear: String,
}

async fn make(
    state: &AppState,
    owner: TokenOwner,
    actor: UserId,
    team: Option<TeamId>,
    input: &TokenInput,
) -> Result<Made, OpError> {
    let spec = TokenSpec::parse(&input.name, &input.scope, &input.expires_in_days)
        .map_err(OpError::Invalid)?;
    let now = state.clock.now();
    let secret = key_format::new_secret();
    let id = KeyId::generate();
    let token = ApiToken {
        id,
        name: spec.name,
        owner,
        scope: spec.scope,
        hash: hex::encode(hash(state, &secret)),
        created_at: now,
        expires_at: spec.lifetime.map(|d| now.plus(d)),
        last_used: None,
    };
    let audit = AuditRecord {
        id: AuditId::generate(now),
        at: now,
        actor: Some(actor),
        team,
        action: "token.created".to_owned(),
        detail: format!(
            "made the {} token {} ({id})",
            token.scope.as_str(),
            token.name
        ),
        subject: None,
    };
    state.store.create_token(&token, &audit)?;
    state.store.flush().await?;
    Ok(Made {
        clear: key_format::api_token(&id, &secret),
        token,
    })
}

/// A person's own token, for all their teams or for one of them.
pub async fn create_personal(
    state: &AppState,
    user: &User,
    team: Option<TeamId>,
    input: &TokenInput,
) -> Result<Made, OpError> {
    if let Some(team) = team
        && state.store.membership(team, user.id)?.is_none()
        && !user.platform_admin
    {
        return Err(OpError::invalid("team", "Choose one of your teams."));
    }
    let owner = TokenOwner::Person {
        user: user.id,
        team,
    };
    make(state, owner, user.id, team, input).await
}

/// A team's service token, made by one of its admins.
pub async fn create_for_team(
    state: &AppState,
    caller: &Caller,
    input: &TokenInput,
) -> Result<Made, OpError> {
    caller.must_be_admin()?;
    let owner = TokenOwner::Team {
        team: caller.team_id(),
        made_by: caller.user,
    };
    make(state, owner, caller.user, Some(caller.team_id()), input).await
}

/// A person's own tokens, newest first.
pub fn personal(state: &AppState, user: UserId) -> Result<Vec<ApiToken>, OpError> {
    let mut all = state.store.tokens_of_user(user)?;
    all.sort_by_key(|t| std::cmp::Reverse(t.created_at));
    Ok(all)
}

/// A team's service tokens, newest first; its admins see them.
pub fn of_team(state: &AppState, caller: &Caller) -> Result<Vec<ApiToken>, OpError> {
    caller.must_be_admin()?;
    let mut all = state.store.tokens_of_team(caller.team_id())?;
    all.sort_by_key(|t| std::cmp::Reverse(t.created_at));
    Ok(all)
}

async fn revoke(state: &AppState, t: &ApiToken, actor: UserId) -> Result<(), OpError> {
    let now = state.clock.now();
    let team = match t.owner {
        TokenOwner::Team { team, .. } => Some(team),
        TokenOwner::Person { team, .. } => team,
    };
    let audit = AuditRecord {
        id: AuditId::generate(now),
        at: now,
        actor: Some(actor),
        team,
        action: "token.revoked".to_owned(),
        detail: format!("revoked the token {} ({})", t.name, t.id),
        subject: None,
    };
    state.store.revoke_token(t, &audit)?;
    state.store.flush().await?;
    Ok(())
}

/// A person revokes one of their own tokens.
pub async fn revoke_personal(
    state: &AppState,
    user: UserId,
    id: &KeyId,
) -> Result<ApiToken, OpError> {
    let t = state.store.token(id)?.ok_or(OpError::NotFound)?;
    if !matches!(t.owner, TokenOwner::Person { user: u, .. } if u == user) {
        return Err(OpError::NotFound);
    }
    revoke(state, &t, user).await?;
    Ok(t)
}

/// A team admin revokes one of the team's service tokens.
pub async fn revoke_for_team(
    state: &AppState,
    caller: &Caller,
    id: &KeyId,
) -> Result<ApiToken, OpError> {
    caller.must_be_admin()?;
    let t = state.store.token(id)?.ok_or(OpError::NotFound)?;
    if !matches!(t.owner, TokenOwner::Team { team, .. } if team == caller.team_id()) {
        return Err(OpError::NotFound);
    }
    revoke(state, &t, caller.user).await?;
    Ok(t)
}

/// Why a presented token is refused. Said the same way for each cause
/// but expiry, so a caller learns nothing about tokens it does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Unknown,
    Expired,
}

/// The token a bearer presents, when it is whole, known, its secret
/// matches and it has not expired. Notes when it was used.
pub fn authenticate(state: &AppState, presented: &str) -> Result<ApiToken, Refused> {
    let (id, secret) = key_format::parse_api_token(presented).map_err(|_| Refused::Unknown)?;
    let t = match state.store.token(&id) {
        Ok(Some(t)) => t,
        _ => return Err(Refused::Unknown),
    };
    let stored = hex::decode(&t.hash).unwrap_or_default();
    if !constant_time_eq(&hash(state, secret), &stored) {
        return Err(Refused::Unknown);
    }
    let now = state.clock.now();
    if t.expired(now) {
        return Err(Refused::Expired);
    }
    let stale = t
        .last_used
        .is_none_or(|at| now.as_millis() - at.as_millis() >= TOUCH_EVERY.as_millis() as i64);
    if stale && let Err(e) = state.store.touch_token(&t.id, now) {
        tracing::warn!(error = %e, "recording a token's last use");
    }
    Ok(t)
}

/// The token as an operation's caller in `team`: a personal token acts as
/// its person there (with their role); a service token as a developer
/// (read-write) or viewer (read) of its own team. Teams it cannot reach
/// are not found.
pub fn caller_in(state: &AppState, t: &ApiToken, team: TeamId) -> Result<Caller, OpError> {
    if !t.reaches(team) {
        return Err(OpError::NotFound);
    }
    let team_record = state.store.team(team)?.ok_or(OpError::NotFound)?;
    let (user, role) = match t.owner {
        TokenOwner::Person { user, .. } => {
            let role = match state.store.membership(team, user)? {
                Some(m) => m.role,
                None if state.store.user(user)?.is_some_and(|u| u.platform_admin) => {
                    TeamRole::Admin
                }
                None => return Err(OpError::NotFound),
            };
            (user, role)
        }
        TokenOwner::Team { made_by, .. } => {
            let role = match t.scope {
                TokenScope::ReadWrite => TeamRole::Developer,
                TokenScope::Read => TeamRole::Viewer,
            };
            (made_by, role)
        }
    };
    Ok(Caller {
        user,
        team: team_record,
        role,
        writes: t.scope.writes(),
    })
}

/// The person a token acts for, if it is a personal token.
pub fn person_of(t: &ApiToken) -> Option<UserId> {
    match t.owner {
        TokenOwner::Person { user, .. } => Some(user),
        TokenOwner::Team { .. } => None,
    }
}

/// The teams a token reaches, with the role it acts in there.
pub fn teams(
    state: &AppState,
    t: &ApiToken,
) -> Result<Vec<(crate::domain::team::Team, TeamRole)>, OpError> {
    let mut out = Vec::new();
    match t.owner {
        TokenOwner::Person { user, .. } => {
            for (team, _) in state.store.teams_of(user)? {
                if t.reaches(team.id) {
                    let c = caller_in(state, t, team.id)?;
                    out.push((c.team, c.role));
                }
            }
        }
        TokenOwner::Team { team, .. } => {
            let c = caller_in(state, t, team)?;
            out.push((c.team, c.role));
        }
    }
    Ok(out)
}

/// A token reported exposed: when it is a live token whose secret matches,
/// it is revoked at once (audited as Agora's doing) and its person, or its
/// team's admins, are told where it was found. Returns whether it was one.
pub async fn revoke_leaked(
    state: &AppState,
    presented: &str,
    whereabouts: &str,
) -> Result<bool, OpError> {
    let Ok((id, secret)) = key_format::parse_api_token(presented) else {
        return Ok(false);
    };
    let Some(t) = state.store.token(&id)? else {
        return Ok(false);
    };
    let stored = hex::decode(&t.hash).unwrap_or_default();
    if !constant_time_eq(&hash(state, secret), &stored) {
        return Ok(false);
    }
    let now = state.clock.now();
    let (team, people) = match t.owner {
        TokenOwner::Person { user, team } => (team, vec![user]),
        TokenOwner::Team { team, .. } => (
            Some(team),
            state
                .store
                .members(team)?
                .into_iter()
                .filter(|m| m.role == TeamRole::Admin)
                .map(|m| m.user_id)
                .collect(),
        ),
    };
    let audit = AuditRecord {
        id: AuditId::generate(now),
        at: now,
        actor: None,
        team,
        action: "token.revoked".to_owned(),
        detail: format!(
            "revoked the token {} ({}): reported exposed at {whereabouts}",
            t.name, t.id
        ),
        subject: None,
    };
    state.store.revoke_token(&t, &audit)?;
    let text = format!(
        "The API token {} was found exposed at {whereabouts} and is revoked: make a new one.",
        t.name
    );
    let link = match t.owner {
        TokenOwner::Person { .. } => "/account/tokens".to_owned(),
        TokenOwner::Team { team, .. } => format!("/teams/{team}/tokens"),
    };
    let notes: Vec<_> = people
        .into_iter()
        .map(|u| crate::domain::notification::Notification::new(u, now, &text, &link))
        .collect();
    state.store.notify(&notes)?;
    state.store.flush().await?;
    Ok(true)
}
