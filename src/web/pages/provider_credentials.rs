//! The provider's view of consumers' credentials on its resources: suspend,
//! enable or delete one, always with a reason the consumer sees.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::credentials::{CredentialRow, credential_row};
use crate::domain::abilities::Grace;
use crate::domain::credential::Desired;
use crate::domain::ids::{CredentialId, TeamId};
use crate::domain::subscription::Reason;
use crate::ops::AppState;
use crate::ops::credentials::{self, Verb};
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
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
    /// For the incident action: the consumer teams and the products they hold credentials on.
    consumers: Vec<(String, String)>,
    products: Vec<(String, String)>,
}

pub async fn list(state: web::Data<AppState>, ProviderMember(m): ProviderMember) -> PageResult {
    let mut rows = Vec::new();
    let mut consumers = std::collections::BTreeMap::new();
    let mut products = std::collections::BTreeMap::new();
    for c in state.store.credentials_of_provider(m.team.id)? {
        if let std::collections::btree_map::Entry::Vacant(v) = products.entry(c.product.to_string())
        {
            v.insert(
                state
                    .store
                    .product(c.product)?
                    .map(|p| p.details.name)
                    .unwrap_or_default(),
            );
        }
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
        consumers.insert(c.team.to_string(), team.clone());
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
        consumers: consumers.into_iter().collect(),
        products: products.into_iter().collect(),
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
    path: web::Path<(TeamId, CredentialId, Verb)>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    let (_, id, verb) = path.into_inner();
    let caller = m.caller();
    let c = credentials::provided_credential(&state, &caller, id)?;
    let action = match verb {
        Verb::Suspend | Verb::Enable | Verb::Delete => {
            verb.action(Grace::None, crate::domain::expiry::Lifetime::NONE)
        }
        _ => None,
    }
    .ok_or(WebError::NotFound)?;
    let back = format!("/provider/{}/credentials", m.team.id);
    let flash = |kind, message: String| Ok(redirect_flash(&m.who.0, &back, kind, message));
    if let Err(e) = credentials::check(&state, &c, action) {
        return flash(FlashKind::Error, message_of(e)?);
    }
    let reason = match Reason::parse(&f.reason) {
        Ok(r) => r,
        Err(e) => return flash(FlashKind::Error, e.message),
    };
    // Without JavaScript's dialog: the confirm page first, with the reason carried on.
    if f.confirmed != "yes" {
        let team = state
            .store
            .team(c.team)?
            .map(|t| t.name.to_string())
            .unwrap_or_default();
        let (heading, message) = question(verb.as_str(), &c.name, &team);
        return page(&super::confirm::ConfirmPage {
            layout: Layout::new(&m.who.0, heading.clone()),
            heading,
            message,
            action: format!(
                "/provider/{}/credentials/{}/{}",
                m.team.id,
                c.id,
                verb.as_str()
            ),
            button: format!("Yes, {} {}", verb.as_str(), c.name),
            back: back.clone(),
            request_id: String::new(),
            carry: vec![("reason", reason.as_str().to_owned())],
        });
    }
    match credentials::provider_act(&state, &caller, &c, verb, reason.as_str()).await {
        Ok(_) => flash(
            FlashKind::Success,
            format!("{} ({}) is {}.", c.name, c.key_id, action.verb()),
        ),
        Err(e) => flash(FlashKind::Error, message_of(e)?),
    }
}
