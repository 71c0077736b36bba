//! The portal: routes, the per-request extractors and the pages.

pub mod csrf;
pub mod errors;
pub mod extractors;
pub mod flash;
pub mod metrics;
pub mod middleware;
pub mod pages;
pub mod render;
pub mod session;
pub mod throttle;

use actix_web::web;

use crate::actors::registry::TeamRegistry;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::crypto::password::PasswordHasher;
use crate::marketplace::Marketplace;
use crate::store::Store;

/// Keys derived from the master key, one per purpose.
pub struct Keys {
    pub csrf: [u8; 32],
    pub flash: [u8; 32],
}

pub struct AppState {
    pub config: Config,
    /// Where people reach this server, for links (no trailing slash).
    pub public_url: String,
    pub store: Store,
    pub clock: SharedClock,
    pub teams: TeamRegistry,
    /// The index of published products the Marketplace searches.
    pub market: Marketplace,
    pub hasher: PasswordHasher,
    pub keys: Keys,
    pub throttle: throttle::LoginThrottle,
    pub metrics: metrics::Metrics,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    use pages::*;
    cfg.route("/", web::get().to(home::show))
        .route("/healthz", web::get().to(ops::healthz))
        .route("/metrics", web::get().to(ops::metrics))
        .route("/static/{file:.*}", web::get().to(ops::static_file))
        .route("/setup", web::get().to(setup::form))
        .route("/setup", web::post().to(setup::submit))
        .route("/login", web::get().to(auth::form))
        .route("/login", web::post().to(auth::submit))
        .route("/logout", web::post().to(auth::logout))
        .route("/account/password", web::get().to(account::form))
        .route("/account/password", web::post().to(account::submit))
        .route("/invitations/{token}", web::get().to(invitations::form))
        .route("/invitations/{token}", web::post().to(invitations::submit))
        .route("/teams/{team_id}", web::get().to(teams::show))
        .route(
            "/teams/{team_id}/members",
            web::post().to(teams::add_member),
        )
        .route(
            "/teams/{team_id}/members/{user_id}/role",
            web::post().to(teams::set_role),
        )
        .route(
            "/teams/{team_id}/members/{user_id}/remove",
            web::post().to(teams::remove_member),
        )
        .route("/admin/teams", web::get().to(admin_teams::list))
        .route("/admin/teams/new", web::get().to(admin_teams::form))
        .route("/admin/teams/new", web::post().to(admin_teams::submit))
        .route("/admin/users", web::get().to(admin_users::list))
        .route("/admin/users/new", web::get().to(admin_users::form))
        .route("/admin/users/new", web::post().to(admin_users::submit))
        .route(
            "/admin/users/{user_id}/invitation",
            web::post().to(admin_users::reinvite),
        );
}

/// Percent-encodes text for a query string value.
pub fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A `next` target is followed only when it is a path on this site.
pub fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}
