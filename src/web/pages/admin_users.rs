//! Platform admin: people, and inviting them. An invited person gets a link
//! that expires and sets their own password: no password is ever sent around.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::actors::team::{AddMember, TeamCommandError};
use crate::domain::FieldError;
use crate::domain::account::{DisplayName, Email, User};
use crate::domain::ids::{TeamId, UserId};
use crate::domain::team::TeamRole;
use crate::ops::AppState;
use crate::ops::reveal::{Hold, Subject};
use crate::store::{Conflict, Invitation, StoreError};
use crate::web::csrf::Form;
use crate::web::errors::WebError;
use crate::web::extractors::PlatformAdmin;
use crate::web::once::guarded;
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect};
use crate::web::session::session_hash;

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub platform_admin: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
}

pub async fn list(state: web::Data<AppState>, PlatformAdmin(who): PlatformAdmin) -> PageResult {
    let mut users = Vec::new();
    let now = state.clock.now();
    for u in state.store.users()? {
        let (status, status_class) = if u.is_active() {
            ("active", "active")
        } else if state
            .store
            .invitation_of(u.id)?
            .is_some_and(|i| i.expires_at > now)
        {
            ("invited", "invited")
        } else {
            ("invitation expired", "expired")
        };
        users.push(UserRow {
            id: u.id.to_string(),
            name: u.display_name.to_string(),
            email: u.email.to_string(),
            status,
            status_class,
            platform_admin: u.platform_admin,
            created: u.created_at.display(),
        });
    }
    page(&UsersPage {
        layout: Layout::new(&who.0, "People"),
        users,
    })
}

pub struct TeamChoice {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "admin/user_new.html")]
struct NewUserPage {
    layout: Layout,
    email: String,
    display_name: String,
    team: String,
    role: String,
    teams: Vec<TeamChoice>,
    roles: [TeamRole; 3],
    errors: FormErrors,
}

fn team_choices(state: &AppState) -> Result<Vec<TeamChoice>, WebError> {
    let mut teams: Vec<TeamChoice> = state
        .store
        .teams()?
        .into_iter()
        .map(|t| TeamChoice {
            id: t.id.to_string(),
            name: t.name.to_string(),
        })
        .collect();
    teams.sort_by_key(|t| t.name.to_lowercase());
    Ok(teams)
}

pub async fn form(state: web::Data<AppState>, PlatformAdmin(who): PlatformAdmin) -> PageResult {
    page(&NewUserPage {
        layout: Layout::new(&who.0, "Invite someone"),
        email: String::new(),
        display_name: String::new(),
        team: String::new(),
        role: "developer".to_owned(),
        teams: team_choices(&state)?,
        roles: TeamRole::ALL,
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    request_id: String,
}

#[derive(Template)]
#[template(path = "admin/invited.html")]
struct InvitedPage {
    layout: Layout,
    name: String,
    email: String,
    link: String,
    expires: String,
}

/// Invite someone, under the double-submit guard.
pub async fn submit(
    state: web::Data<AppState>,
    PlatformAdmin(who): PlatformAdmin,
    Form(f): Form<NewUserForm>,
) -> PageResult {
    let request_id = f.request_id.clone();
    let user = who.user().id;
    guarded(&state, user, &request_id, || invite(state.clone(), who, f)).await
}

async fn invite(
    state: web::Data<AppState>,
    who: crate::web::extractors::SignedIn,
    f: NewUserForm,
) -> PageResult {
    let mut errors = FormErrors::default();
    let email = errors.check(Email::parse(&f.email));
    let name = errors.check(DisplayName::parse(&f.display_name));
    let mut team = None;
    if !f.team.is_empty() {
        match f
            .team
            .parse::<TeamId>()
            .ok()
            .map(|id| state.store.team(id))
            .transpose()?
        {
            Some(Some(t)) => team = Some(t),
            _ => errors.add(FieldError::new("team", "Choose a team from the list.")),
        }
    }
    let role = if team.is_some() {
        errors.check(TeamRole::parse(&f.role))
    } else {
        None
    };
    if let (Some(email), Some(display_name), true) = (email, name, errors.is_empty()) {
        let now = state.clock.now();
        let user = User {
            id: UserId::generate(now),
            email,
            display_name,
            password_hash: None,
            platform_admin: false,
            created_at: now,
            password_changed_at: None,
        };
        match state.store.insert_user(&user) {
            Ok(()) => {
                if let (Some(team), Some(role)) = (&team, role) {
                    let cmd = AddMember {
                        user: user.id,
                        role,
                        actor: who.user().id,
                    };
                    // A refusal (already a member) still leaves the invitation to send.
                    if let Err(TeamCommandError::Store(e)) = state.teams.send(team.id, cmd).await? {
                        return Err(e.into());
                    }
                }
                return invited(&state, &who.0, &user, who.user().id).await;
            }
            Err(StoreError::Conflict(Conflict::EmailTaken)) => errors.add(FieldError::new(
                "email",
                "An account with this email already exists.",
            )),
            Err(e) => return Err(e.into()),
        }
    }
    form_again(&NewUserPage {
        layout: Layout::new(&who.0, "Invite someone"),
        email: f.email,
        display_name: f.display_name,
        team: f.team,
        role: f.role,
        teams: team_choices(&state)?,
        roles: TeamRole::ALL,
        errors,
    })
}

/// Makes a new invitation link (replacing any earlier one) and shows it once.
async fn invited(
    state: &AppState,
    visitor: &crate::web::session::Visitor,
    user: &User,
    by: UserId,
) -> PageResult {
    let token = crate::crypto::random::token();
    let now = state.clock.now();
    let expires_at = now.plus(state.config.security.invitation_ttl);
    state.store.put_invitation(
        &session_hash(&token),
        &Invitation {
            user_id: user.id,
            created_by: by,
            created_at: now,
            expires_at,
        },
    )?;
    state.store.flush().await?;
    tracing::info!(user = %user.id, "invitation issued");
    // Shown on a GET page, to this session only: a reload makes no new link.
    let session = visitor
        .user
        .as_ref()
        .map(|u| u.session_hash)
        .ok_or(WebError::NotFound)?;
    let link = format!("{}/invitations/{token}", state.public_url);
    state.reveals.hold(
        &state.vault,
        Hold {
            session: &session,
            subject: Subject::Invitation(user.id),
            version: 0,
            made_by_plane: false,
            renewed: false,
            once: false,
        },
        &format!("{link}\n{}", expires_at.display()),
        now,
    );
    Ok(redirect(&format!("/admin/users/{}/invitation", user.id)))
}

/// The page an invitation leads to: its link, while this session may see it.
pub async fn invitation(
    state: web::Data<AppState>,
    PlatformAdmin(who): PlatformAdmin,
    path: web::Path<UserId>,
) -> PageResult {
    let id = *path;
    let user = state.store.user(id)?.ok_or(WebError::NotFound)?;
    let session = who.0.user.as_ref().map(|u| u.session_hash);
    let held = session.and_then(|s| {
        state
            .reveals
            .take(&state.vault, &s, Subject::Invitation(id), state.clock.now())
    });
    let (link, expires) = match held {
        Some(r) => {
            let (link, expires) = r.secret.split_once('\n').unwrap_or((&r.secret, ""));
            (link.to_owned(), expires.to_owned())
        }
        None => (String::new(), String::new()),
    };
    let mut res: HttpResponse = page(&InvitedPage {
        layout: Layout::new(&who.0, "Invitation ready"),
        name: user.display_name.to_string(),
        email: user.email.to_string(),
        link,
        expires,
    })?;
    // The link is a credential: no cache may keep this page.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

#[derive(Deserialize)]
pub struct ReinviteForm {
    #[serde(default)]
    request_id: String,
}

/// A new invitation link, replacing the old one, under the double-submit guard.
pub async fn reinvite(
    state: web::Data<AppState>,
    PlatformAdmin(who): PlatformAdmin,
    path: web::Path<UserId>,
    Form(f): Form<ReinviteForm>,
) -> PageResult {
    let id = *path;
    let user = state.store.user(id)?.ok_or(WebError::NotFound)?;
    if user.is_active() {
        return Err(WebError::BadRequest(
            "This person has already set a password.".to_owned(),
        ));
    }
    guarded(&state, who.user().id, &f.request_id, || {
        invited(&state, &who.0, &user, who.user().id)
    })
    .await
}
