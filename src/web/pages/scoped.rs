//! The object a path names, when the visitor may see it: another team's
//! object, or an id that does not parse, is simply not found.

use crate::domain::ids::ProductId;
use crate::domain::product::Product;
use crate::ops::AppState;
use crate::web::errors::WebError;
use crate::web::extractors::{SignedIn, TeamMember};

/// The product in the path, when it belongs to the team in the path.
pub fn own_product(state: &AppState, m: &TeamMember, raw: &str) -> Result<Product, WebError> {
    let id: ProductId = raw.parse().map_err(|_| WebError::NotFound)?;
    match state.store.product(id)? {
        Some(p) if p.provider == m.team.id => Ok(p),
        _ => Err(WebError::NotFound),
    }
}

/// A product is shown to everyone once published; before, and after it is
/// unpublished, only to its provider team, the platform admin, and teams
/// that subscribed to it.
pub fn visible_product(state: &AppState, who: &SignedIn, raw: &str) -> Result<Product, WebError> {
    let id: ProductId = raw.parse().map_err(|_| WebError::NotFound)?;
    let p = state.store.product(id)?.ok_or(WebError::NotFound)?;
    if p.is_published() || who.user().platform_admin {
        return Ok(p);
    }
    let teams = &who.0.user.as_ref().ok_or(WebError::NotFound)?.teams;
    for (team, _) in teams {
        if team.id == p.provider
            || state
                .store
                .subscriptions_of_team(team.id)?
                .iter()
                .any(|s| s.product == p.id)
        {
            return Ok(p);
        }
    }
    Err(WebError::NotFound)
}
