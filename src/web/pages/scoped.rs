//! The object a path names, when the visitor may see it: another team's
//! object, or an id that does not parse, is simply not found.

use crate::domain::ids::ProductId;
use crate::domain::product::Product;
use crate::ops::AppState;
use crate::web::errors::WebError;
use crate::web::extractors::{SignedIn, TeamMember};

/// The product in the path, when it belongs to the team in the path.
pub fn own_product(state: &AppState, m: &TeamMember, id: ProductId) -> Result<Product, WebError> {
    Ok(crate::ops::catalog::own_product(state, &m.caller(), id)?)
}

/// A product as the Marketplace shows it to this visitor (see `ops::catalog::visible`).
pub fn visible_product(
    state: &AppState,
    who: &SignedIn,
    id: ProductId,
) -> Result<Product, WebError> {
    let teams: Vec<_> = (who
        .0
        .user
        .as_ref()
        .map(|u| u.teams.iter().map(|(t, _)| t.id).collect()))
    .unwrap_or_default();
    Ok(crate::ops::catalog::visible(
        state,
        &teams,
        who.user().platform_admin,
        id,
    )?)
}
