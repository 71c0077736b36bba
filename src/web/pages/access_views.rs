//! Tracking access and credentials from the product's side (Resources → a
//! resource → Access / Credentials), and choosing a resource from an application.

use actix_web::web;
use askama::Template;

use super::applications::{AccessRow, access_row};
use crate::domain::ids::{ApplicationId, ProductId, ResourceId, TeamId};
use crate::domain::subscription::SubscriptionState;
use crate::ops::AppState;
use crate::web::extractors::{SignedIn, TeamMember};
use crate::web::render::{Layout, PageResult, page};

use super::access::target;

#[derive(Template)]
#[template(path = "access/resource.html")]
struct ResourceAccessPage {
    layout: Layout,
    product_id: String,
    product_name: String,
    resource_id: String,
    resource_name: String,
    access: Vec<AccessRow>,
}

/// Resources → a resource → Access: the visitor's teams' applications and their state.
pub async fn resource_access(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(ProductId, ResourceId)>,
) -> PageResult {
    let (p, r) = target(&state, &who, &path)?;
    let mine: Vec<_> = who
        .0
        .user
        .as_ref()
        .map(|u| u.teams.iter().map(|(t, _)| t.id).collect())
        .unwrap_or_default();
    let mut access = Vec::new();
    for a in state.store.accesses_of_resource(r.id)?.iter().rev() {
        if mine.contains(&a.team) {
            access.push(access_row(&state, a)?);
        }
    }
    page(&ResourceAccessPage {
        layout: Layout::new(&who.0, format!("Access to {}", r.spec.name)),
        product_id: p.id.to_string(),
        product_name: p.details.name,
        resource_id: r.id.to_string(),
        resource_name: r.spec.name,
        access,
    })
}

pub struct Offer {
    pub product_id: String,
    pub product: String,
    pub plan: String,
    pub resource_id: String,
    pub resource: String,
    pub subscription: String,
    /// The application's latest request for this resource through this
    /// subscription: its approval state and where it is shown.
    pub existing: Option<(&'static str, String)>,
    /// Whether a new request can be made (none, or only ended ones).
    pub can_request: bool,
}

#[derive(Template)]
#[template(path = "access/choose.html")]
struct ChoosePage {
    layout: Layout,
    team_id: String,
    app_id: String,
    app_name: String,
    offers: Vec<Offer>,
}

/// From an application: the resources its team's active subscriptions include.
pub async fn choose(
    state: web::Data<AppState>,
    m: TeamMember,
    path: web::Path<(TeamId, ApplicationId)>,
) -> PageResult {
    let app = crate::ops::applications::team_app(&state, m.team.id, path.1)?;
    let requests = state.store.accesses_of_app(app.id)?;
    let mut offers = Vec::new();
    for s in state.store.subscriptions_of_team(m.team.id)? {
        if s.state != SubscriptionState::Active {
            continue;
        }
        let (Some(product), Some(plan)) = (
            state.store.product(s.product)?,
            state.store.plan(s.product, s.plan)?,
        ) else {
            continue;
        };
        for r in state.store.resources(s.product)? {
            if plan.spec.resources.contains(&r.id) {
                let latest = requests
                    .iter()
                    .filter(|a| a.resource == r.id && a.subscription == s.id)
                    .max_by_key(|a| a.id);
                offers.push(Offer {
                    existing: latest.map(|a| {
                        (
                            a.approval.as_str(),
                            format!(
                                "/teams/{}/applications/{}#access-{}",
                                m.team.id, app.id, a.id
                            ),
                        )
                    }),
                    can_request: latest.is_none_or(|a| !a.approval.is_live()),
                    product_id: product.id.to_string(),
                    product: product.details.name.clone(),
                    plan: plan.spec.name.clone(),
                    resource_id: r.id.to_string(),
                    resource: r.spec.name,
                    subscription: s.id.to_string(),
                });
            }
        }
    }
    page(&ChoosePage {
        layout: Layout::new(&m.who.0, format!("Request access for {}", app.details.name)),
        team_id: m.team.id.to_string(),
        app_id: app.id.to_string(),
        app_name: app.details.name,
        offers,
    })
}

pub struct AppCredentials {
    pub title: String,
    pub create_href: Option<String>,
    pub rows: Vec<super::credentials::CredentialRow>,
}

#[derive(Template)]
#[template(path = "access/credentials.html")]
struct ResourceCredentialsPage {
    layout: Layout,
    product_id: String,
    product_name: String,
    resource_id: String,
    resource_name: String,
    sections: Vec<AppCredentials>,
}

/// Resources → a resource → Credentials: per application of the visitor's
/// teams with access, its credentials and Create Credential.
pub async fn resource_credentials(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(ProductId, ResourceId)>,
) -> PageResult {
    let (p, r) = target(&state, &who, &path)?;
    let teams: Vec<(crate::domain::ids::TeamId, bool)> = who
        .0
        .user
        .as_ref()
        .map(|u| {
            u.teams
                .iter()
                .map(|(t, role)| (t.id, role.can_act()))
                .collect()
        })
        .unwrap_or_default();
    let all = state.store.credentials_of_resource(r.id)?;
    let mut sections = Vec::new();
    for a in state.store.accesses_of_resource(r.id)? {
        let Some((_, can_act)) = teams.iter().find(|(t, _)| *t == a.team) else {
            continue;
        };
        let open = super::credentials::can_create(&a);
        let mine: Vec<_> = all.iter().filter(|c| c.access == a.id).collect();
        if !open && mine.is_empty() {
            continue;
        }
        let row = super::applications::access_row(&state, &a)?;
        sections.push(AppCredentials {
            title: format!("{} – {}", row.team, row.app),
            create_href: (open && *can_act).then(|| {
                format!(
                    "/teams/{}/applications/{}/access/{}/credentials/new",
                    a.team, a.application, a.id
                )
            }),
            rows: mine
                .into_iter()
                .map(|c| super::credentials::credential_row(&state, c))
                .collect::<Result<_, _>>()?,
        });
    }
    page(&ResourceCredentialsPage {
        layout: Layout::new(&who.0, format!("Credentials for {}", r.spec.name)),
        product_id: p.id.to_string(),
        product_name: p.details.name,
        resource_id: r.id.to_string(),
        resource_name: r.spec.name,
        sections,
    })
}
