//! Authorisation lives here: a handler that takes `TeamAdmin` cannot run for
//! anyone else. Teams the visitor does not belong to answer 404, as if absent.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::errors::WebError;
use super::session::Visitor;
use crate::domain::account::User;
use crate::domain::ids::TeamId;
use crate::domain::team::{Team, TeamRole};
use crate::ops::AppState;

/// A signed-in visitor.
pub struct SignedIn(pub Visitor);

impl SignedIn {
    pub fn user(&self) -> &User {
        // SignedIn is only built when the visitor has a user.
        &self
            .0
            .user
            .as_ref()
            .expect("SignedIn always holds a user")
            .user
    }

    /// The teams where this visitor may change what the team consumes
    /// (subscribe, request access): those where they are admin or developer.
    pub fn acting_teams(&self) -> Vec<Team> {
        self.0
            .user
            .as_ref()
            .map(|u| {
                u.teams
                    .iter()
                    .filter(|(_, r)| r.can_act())
                    .map(|(t, _)| t.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl SignedIn {
    /// This visitor as an operation's caller in one of their teams.
    pub fn caller_in(&self, team: crate::domain::ids::TeamId) -> Option<crate::ops::Caller> {
        let (team, role) = self
            .0
            .user
            .as_ref()?
            .teams
            .iter()
            .find(|(t, _)| t.id == team)?;
        Some(crate::ops::Caller {
            user: self.user().id,
            team: team.clone(),
            role: *role,
            writes: true,
        })
    }
}

fn signed_in(req: &HttpRequest) -> Result<SignedIn, WebError> {
    let visitor = Visitor::from_request(req, &mut Payload::None).into_inner()?;
    if visitor.user.is_none() {
        let next = if req.method() == actix_web::http::Method::GET {
            req.uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".to_owned())
        } else {
            "/".to_owned()
        };
        return Err(WebError::SignInRequired { next });
    }
    Ok(SignedIn(visitor))
}

impl FromRequest for SignedIn {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(signed_in(req))
    }
}

/// The platform admin. Anyone else is told the page does not exist.
pub struct PlatformAdmin(pub SignedIn);

impl FromRequest for PlatformAdmin {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(signed_in(req).and_then(|s| {
            if s.user().platform_admin {
                Ok(PlatformAdmin(s))
            } else {
                Err(WebError::NotFound)
            }
        }))
    }
}

/// A member of the team named by the `{team_id}` path segment, with their
/// role. The platform admin acts as an admin of every team.
pub struct TeamMember {
    pub who: SignedIn,
    pub team: Team,
    pub role: TeamRole,
}

fn team_member(req: &HttpRequest) -> Result<TeamMember, WebError> {
    let who = signed_in(req)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| WebError::internal("state missing"))?;
    let team_id: TeamId = req
        .match_info()
        .get("team_id")
        .and_then(|s| s.parse().ok())
        .ok_or(WebError::NotFound)?;
    let team = state.store.team(team_id)?.ok_or(WebError::NotFound)?;
    let role = match state.store.membership(team_id, who.user().id)? {
        Some(m) => m.role,
        None if who.user().platform_admin => TeamRole::Admin,
        None => return Err(WebError::NotFound),
    };
    Ok(TeamMember { who, team, role })
}

impl FromRequest for TeamMember {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(team_member(req))
    }
}

/// An admin of the team in the path (or the platform admin).
pub struct TeamAdmin(pub TeamMember);

impl FromRequest for TeamAdmin {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(team_member(req).and_then(|m| {
            if m.role == TeamRole::Admin {
                Ok(TeamAdmin(m))
            } else {
                Err(WebError::Forbidden(
                    "Only the team's admins can manage its members.".to_owned(),
                ))
            }
        }))
    }
}

/// An admin or developer of the provider team in the path. Teams that are
/// not provider teams answer 404; their viewers are refused.
pub struct ProviderMember(pub TeamMember);

impl FromRequest for ProviderMember {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(team_member(req).and_then(|m| {
            if !m.team.provider {
                Err(WebError::NotFound)
            } else if !m.role.can_act() {
                Err(WebError::Forbidden(
                    "Only the team's admins and developers manage its products.".to_owned(),
                ))
            } else {
                Ok(ProviderMember(m))
            }
        }))
    }
}

/// A member of the team in the path who may change what it consumes (an admin
/// or developer); viewers are refused.
pub struct TeamActing(pub TeamMember);

impl FromRequest for TeamActing {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(team_member(req).and_then(|m| {
            if m.role.can_act() {
                Ok(TeamActing(m))
            } else {
                Err(WebError::Forbidden(
                    "Viewers can look but not change the team's subscriptions.".to_owned(),
                ))
            }
        }))
    }
}

impl TeamMember {
    /// The member as an operation's caller: a signed-in person may change
    /// what their role allows.
    pub fn caller(&self) -> crate::ops::Caller {
        crate::ops::Caller {
            user: self.who.user().id,
            team: self.team.clone(),
            role: self.role,
            writes: true,
        }
    }
}
