//! The provider's view of consumers' credentials on its resources: suspend,
//! enable or delete one, always with a reason the consumer sees.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::credentials::{CredentialRow, credential_row};
use super::provider::outcome;
use crate::actors::credentials::ChangeCredential;
use crate::domain::credential::{CredentialAction, Desired};
use crate::domain::ids::CredentialId;
use crate::domain::subscription::Reason;
use crate::ops::AppState;
use crate::web::csrf::Form;
use crate::web::errors::WebError;
use crate::web::extractors::ProviderMember;
use crate::web::flash::FlashKind;
use crate::web::render::{Layout, PageResult, page, redirect_flash};

pub struct ProviderRow {
    pub row: CredentialRow,
    pub team: String,
    pub app: String,
    pub resource: String,
    pub suspended: bool,
    pub deleting: bool,
    /// The dialogs of the row's actions, in the words of their confirm pages.
    pub confirm_toggle: String,
    pub confirm_delete: String,
}

/// What a provider's action on a consumer's credential asks: the heading and
/// message of both the dialog and the confirm page.
fn question(verb: &str, name: &str, team: &str) -> (String, String) {
    match verb {
        "suspend" => (
            format!("Suspend {name} of {team}?"),
            "Calls with it are refused until it is enabled again; the team sees your reason.".to_owned(),
        ),
        "enable" => (
            format!("Enable {name} of {team}?"),
            "Calls with it are accepted again once the data plane confirms; the team sees your reason.".to_owned(),
        ),
        _ => (
            format!("Delete {name} of {team}?"),
            "This cannot be undone: calls with it are refused from now on, and the team sees your reason.".to_owned(),
        ),
    }
}

#[derive(Template)]
#[template(path = "provider/credentials.html")]
struct ListPage {
    layout: Layout,
    team_id: String,
    team_name: String,
    rows: Vec<ProviderRow>,
}

pub async fn list(state: web::Data<AppState>, ProviderMember(m): ProviderMember) -> PageResult {
    let mut rows = Vec::new();
    for c in state.store.credentials_of_provider(m.team.id)? {
        let team = state
            .store
            .team(c.team)?
            .map(|t| t.name.to_string())
            .unwrap_or_default();
        let toggle = if c.desired == Desired::Inactive {
            "enable"
        } else {
            "suspend"
        };
        rows.push(ProviderRow {
            confirm_toggle: super::confirm::dialog(question(toggle, &c.name, &team)),
            confirm_delete: super::confirm::dialog(question("delete", &c.name, &team)),
            team,
            app: state
                .store
                .application(c.application)?
                .map(|a| a.details.name)
                .unwrap_or_default(),
            resource: state
                .store
                .resource(c.product, c.resource)?
                .map(|r| r.spec.name)
                .unwrap_or_default(),
            suspended: c.desired == Desired::Inactive,
            deleting: c.desired == Desired::Deleted,
            row: credential_row(&state, &c)?,
        });
    }
    page(&ListPage {
        layout: Layout::new(&m.who.0, "Consumers' credentials"),
        team_id: m.team.id.to_string(),
        team_name: m.team.name.to_string(),
        rows,
    })
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirmed: String,
}

pub async fn act(
    state: web::Data<AppState>,
    ProviderMember(m): ProviderMember,
    path: web::Path<(String, String, String)>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    let id: CredentialId = path.1.parse().map_err(|_| WebError::NotFound)?;
    let c = match state.store.credential(id)? {
        Some(c) if c.provider == m.team.id => c,
        _ => return Err(WebError::NotFound),
    };
    let action = match path.2.as_str() {
        "suspend" => CredentialAction::Suspend,
        "enable" => CredentialAction::Enable,
        "delete" => CredentialAction::Delete,
        _ => return Err(WebError::NotFound),
    };
    let back = format!("/provider/{}/credentials", m.team.id);
    if action != CredentialAction::Delete && !state.dataplanes.can_suspend(&c.dataplane) {
        return Ok(redirect_flash(
            &m.who.0,
            &back,
            FlashKind::Error,
            "This data plane cannot suspend credentials: delete the credential instead.",
        ));
    }
    let reason = match Reason::parse(&f.reason) {
        Ok(r) => r,
        Err(e) => return Ok(redirect_flash(&m.who.0, &back, FlashKind::Error, e.message)),
    };
    // Without JavaScript's dialog: the confirm page first, with the reason carried on.
    if f.confirmed != "yes" {
        let team = state
            .store
            .team(c.team)?
            .map(|t| t.name.to_string())
            .unwrap_or_default();
        let (heading, message) = question(&path.2, &c.name, &team);
        return page(&super::confirm::ConfirmPage {
            layout: Layout::new(&m.who.0, heading.clone()),
            heading,
            message,
            action: format!("/provider/{}/credentials/{}/{}", m.team.id, c.id, path.2),
            button: format!("Yes, {} {}", path.2, c.name),
            back,
            request_id: String::new(),
            carry: vec![("reason", reason.as_str().to_owned())],
        });
    }
    let cmd = ChangeCredential {
        id: c.id,
        action,
        secret: None,
        actor: m.who.user().id,
        provider: Some((m.team.id, reason.as_str().to_owned())),
    };
    let result = state.teams.send(c.team, cmd).await?;
    outcome(
        &m,
        result,
        &back,
        format!("{} ({}) is {}.", c.name, c.key_id, action.verb()),
    )
}
