//! Platform admin: the backups in `[backup] dir`, and taking one now.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::ops::{AppState, backup};
use crate::web::csrf::Form;
use crate::web::errors::message_of;
use crate::web::extractors::PlatformAdmin;
use crate::web::flash::FlashKind;
use crate::web::once::guarded;
use crate::web::render::{Layout, PageResult, page, redirect_flash};

pub struct BackupRow {
    pub name: String,
    pub size: String,
}

#[derive(Template)]
#[template(path = "admin/backups.html")]
struct BackupsPage {
    layout: Layout,
    dir: String,
    schedule: String,
    keep: usize,
    last: String,
    backups: Vec<BackupRow>,
}

pub async fn list(state: web::Data<AppState>, PlatformAdmin(who): PlatformAdmin) -> PageResult {
    let cfg = &state.config.backup;
    let backups = backup::list(&state)
        .into_iter()
        .map(|b| BackupRow {
            size: size(b.bytes),
            name: b.name,
        })
        .collect();
    page(&BackupsPage {
        layout: Layout::new(&who.0, "Backups"),
        dir: cfg.dir.display().to_string(),
        schedule: cfg.interval.map_or("only when asked".to_owned(), |d| {
            format!("every {}", crate::config::format_duration(d))
        }),
        keep: cfg.keep,
        last: state
            .backups
            .last()
            .map_or("none since this server started".to_owned(), |t| t.display()),
        backups,
    })
}

#[derive(Deserialize)]
pub struct BackUpForm {
    #[serde(default)]
    request_id: String,
}

/// Takes a backup into the directory, under the double-submit guard.
pub async fn back_up(
    state: web::Data<AppState>,
    PlatformAdmin(who): PlatformAdmin,
    Form(f): Form<BackUpForm>,
) -> PageResult {
    let user = who.user().id;
    guarded(&state, user, &f.request_id, || async {
        let (kind, message) = match backup::back_up(&state, Some(user)).await {
            Ok(made) => (
                FlashKind::Success,
                format!(
                    "Backup written: {} ({}, writes paused {}).",
                    made.path.display(),
                    size(made.report.bytes),
                    backup::millis(made.report.pause)
                ),
            ),
            Err(e) => (FlashKind::Error, message_of(e)?),
        };
        Ok(redirect_flash(&who.0, "/admin/backups", kind, message))
    })
    .await
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}
