//! The confirm step of a destructive action: the words of its JavaScript
//! dialog and the page shown in its place without JavaScript.

use askama::Template;
use serde::Deserialize;

use crate::web::render::{Layout, PageResult, page};
use crate::web::session::Visitor;

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    pub action: String,
    pub button: String,
    pub back: String,
    /// The one-time id of a form that rotates something, carried on to
    /// the confirmed POST; empty for the others.
    pub request_id: String,
    /// Other fields of the first POST carried on to the confirmed one (a reason).
    pub carry: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
pub struct Confirmed {
    #[serde(default)]
    pub confirmed: String,
}

/// The confirm page shown without JavaScript before an action: `question`
/// in the words of its dialog, a form that posts `confirmed=yes` and the
/// `carry` fields on to `action`.
pub fn confirm_page(
    visitor: &Visitor,
    (heading, message): (String, String),
    action: String,
    button: String,
    back: String,
    carry: Vec<(&'static str, String)>,
) -> PageResult {
    page(&ConfirmPage {
        layout: Layout::new(visitor, heading.clone()),
        heading,
        message,
        action,
        button,
        back,
        request_id: String::new(),
        carry,
    })
}

/// The text of a confirm dialog: the question and what follows, as the
/// confirm page says them.
pub fn dialog((heading, message): (String, String)) -> String {
    format!("{heading} {message}")
}
