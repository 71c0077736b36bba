//! The portal: routes, the per-request extractors and the pages.

pub mod chart;
pub mod csrf;
pub mod error_page;
pub mod errors;
pub mod extractors;
pub mod flash;
pub mod form;
pub mod middleware;
pub mod once;
pub mod pages;
pub mod render;
pub mod session;
pub mod throttle;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use pages::*;
    cfg.route("/", web::get().to(home::show))
        .route("/healthz", web::get().to(ops::healthz))
        .route("/livez", web::get().to(ops::livez))
        .route(
            "/security/leaked-keys",
            web::post().to(security::leaked_keys),
        )
        .route("/api", web::get().to(api_docs::show))
        .route("/metrics", web::get().to(ops::metrics))
        .route("/static/{file:.*}", web::get().to(ops::static_file))
        .route("/setup", web::get().to(setup::form))
        .route("/setup", web::post().to(setup::submit))
        .route("/login", web::get().to(auth::form))
        .route("/login", web::post().to(auth::submit))
        .route("/logout", web::post().to(auth::logout))
        .route(
            "/password/forgot",
            web::get().to(password_reset::forgot_form),
        )
        .route(
            "/password/forgot",
            web::post().to(password_reset::forgot_submit),
        )
        .route(
            "/password/reset/{token}",
            web::get().to(password_reset::reset_form),
        )
        .route(
            "/password/reset/{token}",
            web::post().to(password_reset::reset_submit),
        )
        .route("/account/email", web::get().to(account::email_form))
        .route("/account/email", web::post().to(account::email_submit))
        .route("/account/password", web::get().to(account::form))
        .route("/account/password", web::post().to(account::submit))
        .route("/account/tokens", web::get().to(tokens::personal_list))
        .route("/account/tokens", web::post().to(tokens::personal_create))
        .route(
            "/account/tokens/{token_id}/shown",
            web::get().to(tokens::personal_shown),
        )
        .route(
            "/account/tokens/{token_id}/revoke",
            web::post().to(tokens::personal_revoke),
        )
        .route("/teams/{team_id}/webhooks", web::get().to(webhooks::list))
        .route(
            "/teams/{team_id}/webhooks",
            web::post().to(webhooks::register),
        )
        .route(
            "/teams/{team_id}/webhooks/{endpoint_id}",
            web::get().to(webhooks::show),
        )
        .route(
            "/teams/{team_id}/webhooks/{endpoint_id}",
            web::post().to(webhooks::change),
        )
        .route(
            "/teams/{team_id}/webhooks/{endpoint_id}/shown",
            web::get().to(webhooks::shown),
        )
        .route(
            "/teams/{team_id}/webhooks/{endpoint_id}/test",
            web::post().to(webhooks::test),
        )
        .route(
            "/teams/{team_id}/webhooks/{endpoint_id}/remove",
            web::post().to(webhooks::remove),
        )
        .route(
            "/teams/{team_id}/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
            web::post().to(webhooks::redeliver),
        )
        .route("/teams/{team_id}/tokens", web::get().to(tokens::team_list))
        .route(
            "/teams/{team_id}/tokens",
            web::post().to(tokens::team_create),
        )
        .route(
            "/teams/{team_id}/tokens/{token_id}/shown",
            web::get().to(tokens::team_shown),
        )
        .route(
            "/teams/{team_id}/tokens/{token_id}/revoke",
            web::post().to(tokens::team_revoke),
        )
        .route("/notifications", web::get().to(notifications::list))
        .route(
            "/notifications/read",
            web::post().to(notifications::read_all),
        )
        .route(
            "/notifications/{notification_id}/read",
            web::post().to(notifications::read_one),
        )
        .route("/invitations/{token}", web::get().to(invitations::form))
        .route("/invitations/{token}", web::post().to(invitations::submit))
        .route("/teams/{team_id}", web::get().to(teams::show))
        .route("/teams/{team_id}/usage", web::get().to(usage::team))
        .route("/teams/{team_id}/usage.csv", web::get().to(usage::team_csv))
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
        .route(
            "/teams/{team_id}/subscriptions",
            web::get().to(subscriptions::list),
        )
        .route(
            "/teams/{team_id}/subscriptions/{subscription_id}",
            web::get().to(subscriptions::show),
        )
        .route(
            "/teams/{team_id}/subscriptions/{subscription_id}/cancel",
            web::post().to(subscriptions::cancel),
        )
        .route(
            "/teams/{team_id}/applications",
            web::get().to(applications::list),
        )
        .route(
            "/teams/{team_id}/applications/new",
            web::get().to(applications::new_form),
        )
        .route(
            "/teams/{team_id}/applications/new",
            web::post().to(applications::create),
        )
        .route(
            "/teams/{team_id}/applications/{application_id}",
            web::get().to(applications::show),
        )
        .route(
            "/teams/{team_id}/applications/{application_id}/edit",
            web::get().to(applications::edit_form),
        )
        .route(
            "/teams/{team_id}/applications/{application_id}/edit",
            web::post().to(applications::update),
        )
        .route(
            "/teams/{team_id}/applications/{application_id}/archive",
            web::post().to(applications::archive),
        )
        .route(
            "/teams/{team_id}/applications/{application_id}/delete",
            web::post().to(applications::delete),
        )
        .route(
            "/teams/{team_id}/applications/{application_id}/request-access",
            web::get().to(access::choose),
        )
        .route(
            "/marketplace/products/{product_id}/resources/{resource_id}/request-access",
            web::get().to(access::form),
        )
        .route(
            "/marketplace/products/{product_id}/resources/{resource_id}/request-access",
            web::post().to(access::submit),
        )
        .route(
            "/marketplace/products/{product_id}/resources/{resource_id}/access",
            web::get().to(access::resource_access),
        )
        .route(
            "/teams/{team_id}/applications/{application_id}/access/{access_id}/credentials/new",
            web::get().to(credentials::new_form),
        )
        .route(
            "/teams/{team_id}/applications/{application_id}/access/{access_id}/credentials/new",
            web::post().to(credentials::create),
        )
        .route(
            "/teams/{team_id}/credentials/{credential_id}",
            web::get().to(credentials::show),
        )
        .route(
            "/teams/{team_id}/credentials/{credential_id}/usage.csv",
            web::get().to(usage::credential_csv),
        )
        .route(
            "/teams/{team_id}/credentials/{credential_id}/secret",
            web::get().to(credentials::secret_result),
        )
        .route(
            "/teams/{team_id}/credentials/{credential_id}/view",
            web::post().to(credentials::view),
        )
        .route(
            "/teams/{team_id}/credentials/{credential_id}/{action}",
            web::post().to(credentials::act_on),
        )
        .route(
            "/marketplace/products/{product_id}/resources/{resource_id}/credentials",
            web::get().to(access::resource_credentials),
        )
        .route("/marketplace", web::get().to(marketplace::list))
        .route(
            "/marketplace/products/{product_id}",
            web::get().to(marketplace::overview),
        )
        .route(
            "/marketplace/products/{product_id}/resources",
            web::get().to(marketplace::resources),
        )
        .route(
            "/marketplace/products/{product_id}/plans",
            web::get().to(marketplace::plans),
        )
        .route(
            "/marketplace/products/{product_id}/plans/{plan_id}/subscribe",
            web::get().to(marketplace::subscribe_form),
        )
        .route(
            "/marketplace/products/{product_id}/plans/{plan_id}/subscribe",
            web::post().to(marketplace::subscribe),
        )
        .route("/provider/{team_id}", web::get().to(provider::products))
        .route(
            "/provider/{team_id}/products/new",
            web::get().to(provider::new_form),
        )
        .route(
            "/provider/{team_id}/products/new",
            web::post().to(provider::create),
        )
        .route(
            "/provider/{team_id}/products/{product_id}",
            web::get().to(provider::show),
        )
        .route(
            "/provider/{team_id}/products/{product_id}/edit",
            web::get().to(provider::edit_form),
        )
        .route(
            "/provider/{team_id}/products/{product_id}/edit",
            web::post().to(provider::update),
        )
        .route(
            "/provider/{team_id}/products/{product_id}/publish",
            web::post().to(provider::publish),
        )
        .route(
            "/provider/{team_id}/products/{product_id}/unpublish",
            web::post().to(provider::unpublish),
        )
        .route(
            "/provider/{team_id}/products/{product_id}/resources/new",
            web::get().to(provider_resources::new_form),
        )
        .route(
            "/provider/{team_id}/products/{product_id}/resources/new",
            web::post().to(provider_resources::create),
        )
        .route(
            "/provider/{team_id}/products/{product_id}/resources/{resource_id}",
            web::get().to(provider_resources::edit_form),
        )
        .route(
            "/provider/{team_id}/products/{product_id}/resources/{resource_id}",
            web::post().to(provider_resources::update),
        )
        .route(
            "/provider/{team_id}/products/{product_id}/plans/new",
            web::get().to(provider_plans::new_form),
        )
        .route(
            "/provider/{team_id}/products/{product_id}/plans/new",
            web::post().to(provider_plans::create),
        )
        .route(
            "/provider/{team_id}/products/{product_id}/plans/{plan_id}",
            web::get().to(provider_plans::edit_form),
        )
        .route(
            "/provider/{team_id}/products/{product_id}/plans/{plan_id}",
            web::post().to(provider_plans::update),
        )
        .route(
            "/provider/{team_id}/approvals",
            web::get().to(approvals::show),
        )
        .route(
            "/provider/{team_id}/subscriptions/{subscription_id}/approve",
            web::post().to(approvals::approve),
        )
        .route(
            "/provider/{team_id}/subscriptions/{subscription_id}/reject",
            web::post().to(approvals::reject),
        )
        .route(
            "/provider/{team_id}/subscriptions/{subscription_id}/end",
            web::post().to(approvals::end),
        )
        .route(
            "/provider/{team_id}/access/{access_id}/approve",
            web::post().to(approvals::approve_access),
        )
        .route(
            "/provider/{team_id}/access/{access_id}/reject",
            web::post().to(approvals::reject_access),
        )
        .route(
            "/provider/{team_id}/provisioning",
            web::get().to(provisioning::show),
        )
        .route(
            "/provider/{team_id}/access/{access_id}/provisioned",
            web::post().to(provisioning::mark_provisioned),
        )
        .route(
            "/provider/{team_id}/access/{access_id}/failed",
            web::post().to(provisioning::mark_failed),
        )
        .route(
            "/provider/{team_id}/access/{access_id}/retry",
            web::post().to(provisioning::retry),
        )
        .route(
            "/provider/{team_id}/tasks/{task_id}/provisioned",
            web::post().to(provisioning::task_provisioned),
        )
        .route(
            "/provider/{team_id}/tasks/{task_id}/failed",
            web::post().to(provisioning::task_failed),
        )
        .route(
            "/provider/{team_id}/tasks/{task_id}/retry",
            web::post().to(provisioning::task_retry),
        )
        .route(
            "/provider/{team_id}/credentials",
            web::get().to(provider_credentials::list),
        )
        .route(
            "/provider/{team_id}/credentials/suspend-all",
            web::post().to(incidents::suspend_consumer),
        )
        .route(
            "/provider/{team_id}/credentials/{credential_id}/{action}",
            web::post().to(provider_credentials::act),
        )
        .route(
            "/teams/{team_id}/applications/{application_id}/suspend-credentials",
            web::post().to(incidents::suspend_application),
        )
        .route("/admin/teams", web::get().to(admin_teams::list))
        .route("/admin/teams/new", web::get().to(admin_teams::form))
        .route("/admin/teams/new", web::post().to(admin_teams::submit))
        .route(
            "/admin/teams/{team_id}/provider",
            web::post().to(admin_teams::set_provider),
        )
        .route("/admin/backups", web::get().to(admin_backups::list))
        .route("/admin/backups", web::post().to(admin_backups::back_up))
        .route("/admin/users", web::get().to(admin_users::list))
        .route("/admin/users/new", web::get().to(admin_users::form))
        .route("/admin/users/new", web::post().to(admin_users::submit))
        .route(
            "/admin/users/{user_id}/invitation",
            web::get().to(admin_users::invitation),
        )
        .route(
            "/admin/users/{user_id}/invitation",
            web::post().to(admin_users::reinvite),
        );
}

/// A size in bytes as people read it: "64 KiB", "1.25 MiB".
pub fn size_words(bytes: usize) -> String {
    const KIB: usize = 1_024;
    const MIB: usize = KIB * KIB;
    if bytes >= MIB {
        let tenths = (bytes * 100 / MIB) as f64 / 100.0;
        format!("{tenths} MiB")
    } else if bytes >= KIB {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
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
    // Read as a browser reads a URL: it drops tabs and line breaks anywhere
    // ("/\t/evil.example" becomes "//evil.example", another host) and takes
    // "\\" for "/". So only visible ASCII is kept, starting with one "/" and
    // with no "\\" at all; anything else goes home.
    let visible = next.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if visible && next.starts_with('/') && !next[1..].starts_with('/') && !next.contains('\\') {
        next
    } else {
        "/"
    }
}
