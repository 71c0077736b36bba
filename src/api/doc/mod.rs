//! The API's OpenAPI 3.1 document: generated from the handlers'
//! annotations, then completed by one pass (`finish`) with what every
//! operation shares — the problem answers each kind of call can give, the
//! headers those answers carry, optional bodies a client may leave out —
//! so the rules are written once and every operation follows them.

mod finish;

use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::*;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("agt_<token id>_<secret>")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Agora API",
        version = "1.2.0",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        description = "Everything a consumer and a provider do in Agora's pages, for scripts and CI. Authenticate with `Authorization: Bearer <API token>` (made on your account page, or a team's service token). Errors are `application/problem+json`. Lists take `cursor` and `limit`. POSTs that create take an `Idempotency-Key`."
    ),
    paths(
        teams::list, teams::get, teams::members, teams::audit,
        teams::notifications, teams::read, teams::email_topics, teams::set_email_topics,
        catalog::marketplace, catalog::product,
        catalog::own, catalog::create_product, catalog::update_product, catalog::publishing,
        catalog::create_resource, catalog::update_resource, catalog::create_plan, catalog::update_plan,
        subscriptions::list, subscriptions::subscribe, subscriptions::get, subscriptions::cancel,
        subscriptions::provided, subscriptions::decide,
        applications::list, applications::create, applications::get, applications::update,
        applications::archive, applications::delete,
        access::list, access::request, access::get, access::provided, access::decide,
        credentials::list, credentials::create, credentials::get, credentials::reveal, credentials::act,
        usage::credential,
        webhooks::list, webhooks::register, webhooks::get, webhooks::change, webhooks::remove,
        webhooks::test, webhooks::deliveries, webhooks::redeliver,
        incidents::suspend_application, incidents::suspend_consumer,
    ),
    components(schemas(
        views::CredentialAction, views::Decision, views::SubscriptionDecision, views::Publishing,
    )),
    modifiers(&BearerScheme),
    tags(
        (name = "teams", description = "The teams a token reaches, their members and activity"),
        (name = "marketplace", description = "Published products"),
        (name = "subscriptions", description = "A team's subscriptions to plans"),
        (name = "applications", description = "A team's applications"),
        (name = "access", description = "Access requests: an application × a resource"),
        (name = "credentials", description = "API keys and OAuth clients"),
        (name = "notifications", description = "The person's notifications"),
        (name = "provider", description = "A provider team's catalog and decisions"),
        (name = "webhooks", description = "A team's event webhooks and their deliveries"),
    )
)]
pub struct ApiDoc;

/// The document without `servers`: what the tests and the reference page read.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    finish::complete(&mut doc);
    doc
}

/// The document as served: its server is this installation's public URL,
/// and its contact the people who run it.
pub fn served(public_url: &str) -> Value {
    let mut doc = document();
    let base = public_url.trim_end_matches('/');
    doc["servers"] = serde_json::json!([{
        "url": base,
        "description": "This Agora installation",
    }]);
    doc["info"]["contact"] = serde_json::json!({
        "name": "The administrators of this Agora installation",
        "url": format!("{base}/"),
    });
    doc
}
