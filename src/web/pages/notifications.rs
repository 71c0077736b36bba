//! The Notifications page: newest first, each marked read on its own or all at once.

use actix_web::web;
use askama::Template;

use crate::domain::ids::NotificationId;
use crate::ops::{AppState, notifications};
use crate::web::csrf::{Form, NoFields};
use crate::web::extractors::SignedIn;
use crate::web::flash::FlashKind;
use crate::web::render::{Layout, PageResult, page, redirect_flash};

pub struct Row {
    pub id: String,
    pub at: String,
    pub text: String,
    pub link: String,
    pub read: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    rows: Vec<Row>,
}

pub async fn list(state: web::Data<AppState>, who: SignedIn) -> PageResult {
    let rows = notifications::list(&state, who.user().id)?
        .into_iter()
        .map(|n| Row {
            id: n.id.to_string(),
            at: n.at.display(),
            text: n.text,
            link: crate::web::safe_next(&n.link).to_owned(),
            read: n.read,
        })
        .collect();
    page(&NotificationsPage {
        layout: Layout::new(&who.0, "Notifications"),
        rows,
    })
}

pub async fn read_one(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<NotificationId>,
    Form(_): Form<NoFields>,
) -> PageResult {
    notifications::mark_read(&state, who.user().id, Some(*path)).await?;
    Ok(crate::web::render::redirect("/notifications"))
}

pub async fn read_all(
    state: web::Data<AppState>,
    who: SignedIn,
    Form(_): Form<NoFields>,
) -> PageResult {
    let n = notifications::mark_read(&state, who.user().id, None).await?;
    Ok(redirect_flash(
        &who.0,
        "/notifications",
        FlashKind::Success,
        format!("{n} notification(s) marked read."),
    ))
}
