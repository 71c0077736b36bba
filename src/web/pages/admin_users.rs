//! Platform admin: people, and inviting them. An invited person gets a link
//! that expires and sets their own password: no password is ever sent around.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::FieldError;
use crate::domain::account::User;
use crate::domain::ids::UserId;
use crate::domain::team::TeamRole;
use crate::ops::people::{self, NewPerson};
use crate::ops::reveal::{Hold, Subject};
use crate::ops::{AppState, OpError, teams};
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::PlatformAdmin;
use crate::web::once::guarded;
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect};

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
    /// It was also sent to them by email.
    emailed: bool,
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
    let new = NewPerson {
        email: f.email.clone(),
        display_name: f.display_name.clone(),
        team: f.team.clone(),
        role: f.role.clone(),
    };
    let admin = teams::PlatformAdmin {
        user: who.user().id,
    };
    let errors = match people::invite(&state, admin, &new).await {
        Ok(user) => return invited(&state, &who, &user).await,
        Err(OpError::Invalid(fields)) => FormErrors::from(fields),
        Err(e) => FormErrors::one(FieldError::new("email", message_of(e)?)),
    };
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
    who: &crate::web::extractors::SignedIn,
    user: &User,
) -> PageResult {
    let admin = teams::PlatformAdmin {
        user: who.user().id,
    };
    let (link, expires_at, emailed) = people::invitation_link(state, admin, user).await?;
    let now = state.clock.now();
    let visitor = &who.0;
    // Shown on a GET page, to this session only: a reload makes no new link.
    let session = visitor
        .user
        .as_ref()
        .map(|u| u.session_hash)
        .ok_or(WebError::NotFound)?;
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
        &format!("{link}\n{}\n{emailed}", expires_at.display()),
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
    let (link, expires, emailed) = match held {
        Some(r) => {
            let mut parts = r.secret.splitn(3, '\n');
            let link = parts.next().unwrap_or_default().to_owned();
            let expires = parts.next().unwrap_or_default().to_owned();
            (link, expires, parts.next() == Some("true"))
        }
        None => (String::new(), String::new(), false),
    };
    let mut res: HttpResponse = page(&InvitedPage {
        layout: Layout::new(&who.0, "Invitation ready"),
        name: user.display_name.to_string(),
        email: user.email.to_string(),
        link,
        expires,
        emailed,
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
        invited(&state, &who, &user)
    })
    .await
}
