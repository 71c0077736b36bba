//! The Marketplace: published products as cards with search, tag filter and
//! pages; a product's Overview, Resources and Plans tabs; subscribing.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::product_views::{PlanRow, approval_words, description_html, plan_rows};
use super::scoped::visible_product;
use crate::domain::ids::{PlanId, ProductId, TeamId};
use crate::domain::product::Product;
use crate::domain::resource::Plan;
use crate::domain::subscription::SubscriptionState;
use crate::marketplace::{Card, Marketplace};
use crate::ops::AppState;
use crate::ops::subscriptions;
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::SignedIn;
use crate::web::flash::FlashKind;
use crate::web::once::guarded;
use crate::web::render::{Layout, PageResult, form_again, page, redirect_flash};
use crate::web::urlencode;

pub const PER_PAGE: usize = 24;

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub page: Option<usize>,
}

pub struct TagLink {
    pub tag: String,
    pub count: usize,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "marketplace/list.html")]
pub struct MarketplacePage {
    pub layout: Layout,
    pub q: String,
    pub tag: String,
    pub cards: Vec<Card>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub tags: Vec<TagLink>,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub clear_href: String,
}

fn search_href(q: &str, tag: &str, page: usize) -> String {
    let mut parts = Vec::new();
    if !q.is_empty() {
        parts.push(format!("q={}", urlencode(q)));
    }
    if !tag.is_empty() {
        parts.push(format!("tag={}", urlencode(tag)));
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/marketplace".to_owned()
    } else {
        format!("/marketplace?{}", parts.join("&"))
    }
}

/// Builds the Marketplace page from the in-memory index (no storage reads).
pub fn marketplace_page(
    market: &Marketplace,
    layout: Layout,
    query: SearchQuery,
) -> MarketplacePage {
    let q = query.q.trim().chars().take(100).collect::<String>();
    let tag = query.tag.trim().to_lowercase();
    let found = market.search(
        &q,
        (!tag.is_empty()).then_some(tag.as_str()),
        query.page.unwrap_or(1),
        PER_PAGE,
    );
    let tags = found
        .tags
        .into_iter()
        .map(|(t, count)| TagLink {
            href: if t == tag {
                search_href(&q, "", 1)
            } else {
                search_href(&q, &t, 1)
            },
            current: t == tag,
            tag: t,
            count,
        })
        .collect();
    MarketplacePage {
        layout,
        prev_href: (found.page > 1).then(|| search_href(&q, &tag, found.page - 1)),
        next_href: (found.page < found.pages).then(|| search_href(&q, &tag, found.page + 1)),
        clear_href: "/marketplace".to_owned(),
        q,
        tag,
        cards: found.cards,
        total: found.total,
        page: found.page,
        pages: found.pages,
        tags,
    }
}

pub async fn list(
    state: web::Data<AppState>,
    who: SignedIn,
    query: web::Query<SearchQuery>,
) -> PageResult {
    let layout = Layout::new(&who.0, "Marketplace");
    page(&marketplace_page(&state.market, layout, query.into_inner()))
}

pub struct ResourceCard {
    pub id: String,
    pub name: String,
    pub description: String,
    pub route: String,
    pub types: Vec<&'static str>,
    pub approval: &'static str,
}

pub struct PlanCard {
    pub row: PlanRow,
    pub description: String,
    /// The visitor's teams' live subscriptions to this plan: (team, state, link).
    pub mine: Vec<(String, &'static str, String)>,
}

#[derive(Template)]
#[template(path = "marketplace/product.html")]
struct ProductPage {
    layout: Layout,
    tab: &'static str,
    product_id: String,
    name: String,
    summary: String,
    provider: String,
    tags: Vec<String>,
    state: &'static str,
    published: bool,
    description_html: String,
    resources: Vec<ResourceCard>,
    plans: Vec<PlanCard>,
    can_subscribe: bool,
}

async fn product_tab(
    state: web::Data<AppState>,
    who: SignedIn,
    id: ProductId,
    tab: &'static str,
) -> PageResult {
    let p = visible_product(&state, &who, id)?;
    let provider = state
        .store
        .team(p.provider)?
        .map(|t| t.name.to_string())
        .unwrap_or_default();
    let resources = state
        .store
        .resources(p.id)?
        .into_iter()
        .map(|r| ResourceCard {
            id: r.id.to_string(),
            route: r.spec.route.to_string(),
            types: r.spec.credential_types.iter().map(|t| t.label()).collect(),
            approval: approval_words(r.spec.access_approval),
            description: r.spec.description,
            name: r.spec.name,
        })
        .collect();
    let mut plans = Vec::new();
    let my_teams: Vec<(TeamId, String)> = who
        .0
        .user
        .as_ref()
        .map(|u| {
            u.teams
                .iter()
                .map(|(t, _)| (t.id, t.name.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let stored = state.store.plans(p.id)?;
    for (row, plan) in plan_rows(&state, &p)?.into_iter().zip(stored) {
        let mut mine = Vec::new();
        for (team, name) in &my_teams {
            if let Some(s) = state.store.live_subscription(*team, plan.id)? {
                mine.push((
                    name.clone(),
                    s.state.as_str(),
                    format!("/teams/{team}/subscriptions/{}", s.id),
                ));
            }
        }
        plans.push(PlanCard {
            row,
            description: plan.spec.description,
            mine,
        });
    }
    let can_subscribe = p.is_published() && !who.acting_teams().is_empty();
    page(&ProductPage {
        layout: Layout::new(&who.0, p.details.name.clone()),
        tab,
        product_id: p.id.to_string(),
        description_html: if tab == "overview" {
            description_html(&p).await?
        } else {
            String::new()
        },
        tags: p.details.tags.iter().map(|t| t.to_string()).collect(),
        state: p.state.as_str(),
        published: p.is_published(),
        name: p.details.name,
        summary: p.details.summary,
        provider,
        resources,
        plans,
        can_subscribe,
    })
}

pub async fn overview(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<ProductId>,
) -> PageResult {
    product_tab(state, who, *path, "overview").await
}

pub async fn resources(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<ProductId>,
) -> PageResult {
    product_tab(state, who, *path, "resources").await
}

pub async fn plans(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<ProductId>,
) -> PageResult {
    product_tab(state, who, *path, "plans").await
}

#[derive(Template)]
#[template(path = "marketplace/subscribe.html")]
struct SubscribePage {
    layout: Layout,
    product_id: String,
    product_name: String,
    plan_id: String,
    plan_name: String,
    quota: String,
    manual: bool,
    teams: Vec<(String, String)>,
    chosen: String,
    error: Option<String>,
}

fn subscribe_target(
    state: &AppState,
    who: &SignedIn,
    path: &(ProductId, PlanId),
) -> Result<(Product, Plan), WebError> {
    let p = visible_product(state, who, path.0)?;
    let plan = state.store.plan(p.id, path.1)?.ok_or(WebError::NotFound)?;
    Ok((p, plan))
}

fn subscribe_page(
    who: &SignedIn,
    p: &Product,
    plan: &Plan,
    chosen: String,
    error: Option<String>,
) -> SubscribePage {
    SubscribePage {
        layout: Layout::new(&who.0, format!("Subscribe to {}", plan.spec.name)),
        product_id: p.id.to_string(),
        product_name: p.details.name.clone(),
        plan_id: plan.id.to_string(),
        plan_name: plan.spec.name.clone(),
        quota: plan.spec.quota.to_string(),
        manual: plan.spec.approval == crate::domain::resource::Approval::Manual,
        teams: who
            .acting_teams()
            .into_iter()
            .map(|t| (t.id.to_string(), t.name.to_string()))
            .collect(),
        chosen,
        error,
    }
}

pub async fn subscribe_form(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(ProductId, PlanId)>,
) -> PageResult {
    let (p, plan) = subscribe_target(&state, &who, &path)?;
    page(&subscribe_page(&who, &p, &plan, String::new(), None))
}

#[derive(Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    request_id: String,
}

/// Subscribe, under the double-submit guard.
pub async fn subscribe(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(ProductId, PlanId)>,
    Form(f): Form<SubscribeForm>,
) -> PageResult {
    let request_id = f.request_id.clone();
    let user = who.user().id;
    guarded(&state, user, &request_id, || {
        subscribe_now(state.clone(), who, path, f)
    })
    .await
}

async fn subscribe_now(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(ProductId, PlanId)>,
    f: SubscribeForm,
) -> PageResult {
    let (p, plan) = subscribe_target(&state, &who, &path)?;
    let teams = who.acting_teams();
    let again = |error: String| {
        form_again(&subscribe_page(
            &who,
            &p,
            &plan,
            f.team_id.clone(),
            Some(error),
        ))
    };
    let Some(team) = teams.iter().find(|t| t.id.to_string() == f.team_id) else {
        return again(if teams.is_empty() {
            "Only a team's admins and developers can subscribe.".to_owned()
        } else {
            "Choose the team that subscribes.".to_owned()
        });
    };
    let Some(caller) = who.caller_in(team.id) else {
        return again("Only a team's admins and developers can subscribe.".to_owned());
    };
    match subscriptions::subscribe(&state, &caller, &p, &plan).await {
        Ok(sub) => {
            let message = match sub.state {
                SubscriptionState::Active => format!(
                    "{} is subscribed to {} – {}. The subscription is active.",
                    team.name, p.details.name, plan.spec.name
                ),
                _ => format!(
                    "{} asked to subscribe to {} – {}. The provider decides; the state shows here.",
                    team.name, p.details.name, plan.spec.name
                ),
            };
            Ok(redirect_flash(
                &who.0,
                &format!("/teams/{}/subscriptions/{}", team.id, sub.id),
                FlashKind::Success,
                message,
            ))
        }
        Err(e) => again(message_of(e)?),
    }
}
