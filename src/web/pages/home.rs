//! The start page: the user's teams and where to go next.

use actix_web::web;
use askama::Template;

use crate::ops::AppState;
use crate::web::render::{Layout, PageResult, page, redirect};
use crate::web::session::Visitor;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
}

pub async fn show(state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    if !state.store.has_users() {
        return Ok(redirect("/setup"));
    }
    if visitor.user.is_none() {
        return Ok(redirect("/login"));
    }
    page(&HomePage {
        layout: Layout::new(&visitor, "Home"),
    })
}
