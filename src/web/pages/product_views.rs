//! How a product reads on both the marketplace and the provider's pages:
//! its plans as rows and its description as HTML.

use actix_web::web;

use crate::domain::product::Product;
use crate::domain::resource::Approval;
use crate::ops::AppState;
use crate::web::errors::WebError;

pub struct PlanRow {
    pub id: String,
    pub name: String,
    pub resources: String,
    pub quota: String,
    pub approval: &'static str,
}

pub fn plan_rows(state: &AppState, p: &Product) -> Result<Vec<PlanRow>, WebError> {
    let resources = state.store.resources(p.id)?;
    let name_of = |id| {
        resources
            .iter()
            .find(|r| r.id == id)
            .map_or("?", |r| r.spec.name.as_str())
    };
    Ok(state
        .store
        .plans(p.id)?
        .into_iter()
        .map(|plan| PlanRow {
            id: plan.id.to_string(),
            resources: plan
                .spec
                .resources
                .iter()
                .map(|id| name_of(*id))
                .collect::<Vec<_>>()
                .join(", "),
            quota: plan.spec.quota.to_string(),
            approval: approval_words(plan.spec.approval),
            name: plan.spec.name,
        })
        .collect())
}

pub fn approval_words(a: Approval) -> &'static str {
    match a {
        Approval::Automatic => "automatic",
        Approval::Manual => "manual (the provider approves)",
    }
}

/// A product's description as clean HTML: kept rendered since it was saved;
/// a record from before that is rendered on the blocking pool, never on the
/// request worker.
pub async fn description_html(p: &Product) -> Result<String, WebError> {
    if let Some(html) = &p.description_html {
        return Ok(html.clone());
    }
    let text = p.details.description.clone();
    web::block(move || crate::domain::markdown::render(&text))
        .await
        .map_err(WebError::internal)
}
