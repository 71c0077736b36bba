//! A reload never repeats an action: Create Credential and Renew credential
//! carry a one-time request id, answer with a redirect to a GET page that
//! shows the secret (no-store, nothing secret in the URL), and a repeated
//! POST with the same id changes nothing and leads to the first result.

mod common;

use agora::domain::ids::{ApplicationId, CredentialId};
use common::*;
use futures_util::future::join_all;

fn request_id_of(html: &str) -> String {
    let marker = "name=\"request_id\" value=\"";
    let at = html.find(marker).expect("the form carries a request id") + marker.len();
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

fn count(app: &TestApp, h: &Holder) -> usize {
    let app_id: ApplicationId = h.c.application.parse().unwrap();
    app.state.store.credentials_of_app(app_id).unwrap().len()
}

#[actix_web::test]
async fn a_resubmitted_create_makes_one_credential_and_leads_to_its_secret() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let page = h.new_credential_path();
    let html = admin.html(&page).await;
    assert!(
        html.contains(
            "<label for=\"name\">Name</label> <span class=\"required-mark\">(required)</span>"
        ),
        "required fields are marked before submitting: {html}"
    );
    let (token, id) = (csrf_of(&html), request_id_of(&html));
    let fields = [
        ("name", "Once"),
        ("kind", "api_key"),
        ("request_id", id.as_str()),
    ];
    let first = admin.post(&page, &token, &fields).await;
    assert_eq!(first.status(), 303);
    let to = location(&first);
    assert!(to.ends_with("/secret"), "{to}");
    // The browser's resubmit: the same form again.
    let again = admin.post(&page, &token, &fields).await;
    assert_eq!(again.status(), 303);
    assert_eq!(location(&again), to, "led to the first one's result");
    assert_eq!(count(&app, &h), 1, "one credential");

    let shown = admin.get(&to).await;
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let html = shown.text().await.unwrap();
    let key = input_value(&html, "secret");
    assert!(key.starts_with("agora_") && !to.contains(&key[7..20]));
    // Without JavaScript the whole secret shows, wrapping, in a text area.
    assert!(
        html.contains("<textarea id=\"secret\" class=\"secret\" readonly"),
        "{html}"
    );
    // A reload of the result page shows it again, for this session only.
    assert_eq!(input_value(&admin.html(&to).await, "secret"), key);
    let other = app.browser();
    assert_eq!(other.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 303);
    let html = other.html(&to).await;
    assert!(!html.contains(&key), "another session sees no secret");
    assert!(html.contains("View Credential"), "{html}");

    // Forty resubmits at once still make one credential.
    let id2 = request_id_of(&admin.html(&page).await);
    let fields = [
        ("name", "Burst"),
        ("kind", "api_key"),
        ("request_id", id2.as_str()),
    ];
    let answers = join_all((0..40).map(|_| admin.post(&page, &token, &fields))).await;
    assert!(
        answers
            .iter()
            .all(|r| r.status() == 303 || r.status() == 409)
    );
    assert_eq!(count(&app, &h), 2);
}

#[actix_web::test]
async fn a_form_shown_again_with_errors_can_be_sent_once_corrected() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let page = h.new_credential_path();
    let html = admin.html(&page).await;
    let (token, id) = (csrf_of(&html), request_id_of(&html));
    let bad = admin
        .post(
            &page,
            &token,
            &[("name", ""), ("kind", "api_key"), ("request_id", &id)],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let good = admin
        .post(
            &page,
            &token,
            &[("name", "Fixed"), ("kind", "api_key"), ("request_id", &id)],
        )
        .await;
    assert_eq!(good.status(), 303, "the id was given back with the errors");
    assert_eq!(count(&app, &h), 1);
}

#[actix_web::test]
async fn a_resubmitted_renewal_rotates_once_and_the_copied_secret_keeps_working() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, _, _) = admin.create_credential(&h, "Edge", "api_key").await;
    app.run_due().await;
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    let html = admin.html(&panel).await;
    let (token, rid) = (csrf_of(&html), request_id_of(&html));
    let renew = format!("{panel}/renew");
    // Without JavaScript: the confirm page carries the same request id on.
    let confirm = admin
        .post(&renew, &token, &[("grace", "none"), ("request_id", &rid)])
        .await;
    assert_eq!(confirm.status(), 200);
    let confirm = confirm.text().await.unwrap();
    assert_eq!(request_id_of(&confirm), rid);
    let fields = [
        ("confirmed", "yes"),
        ("grace", "none"),
        ("request_id", rid.as_str()),
    ];
    let first = admin.post(&renew, &token, &fields).await;
    let to = location(&first);
    let key = input_value(&admin.html(&to).await, "secret");
    let version = |app: &TestApp| {
        app.state
            .store
            .credential(id.parse::<CredentialId>().unwrap())
            .unwrap()
            .unwrap()
            .secret_version
    };
    assert_eq!(version(&app), 2);
    let again = admin.post(&renew, &token, &fields).await;
    assert_eq!(location(&again), to);
    assert_eq!(version(&app), 2, "renewed once");
    app.run_due().await;
    let res = authorize(
        &app,
        &[("X-API-Key", &key), ("X-Original-URI", "/weather/x")],
    )
    .await;
    assert_eq!(res.status(), 200, "the secret just copied still works");
}

#[actix_web::test]
async fn with_a_zero_view_window_the_secret_is_shown_exactly_once() {
    let app = spawn_app_with(&[("AGORA_DATAPLANES__EMBEDDED__VIEW_WINDOW", "0")]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let page = h.new_credential_path();
    let res = admin
        .submit(&page, &page, &[("name", "Once"), ("kind", "api_key")])
        .await;
    let to = location(&res);
    let html = admin.html(&to).await;
    assert!(input_value(&html, "secret").starts_with("agora_"));
    assert!(html.contains("It is shown only now"), "{html}");
    let later = admin.get(&to).await;
    assert_eq!(later.headers()["cache-control"], "no-store");
    let later = later.text().await.unwrap();
    assert!(!later.contains("id=\"secret\""), "{later}");
    assert!(later.contains("was shown once"), "{later}");
    assert!(later.contains("Renew credential"), "what to do: {later}");
}

/// Posts the form on `page` to `action` twice with the same request id, as a
/// browser's resubmit does; returns both answers' redirects.
async fn twice(b: &Browser, page: &str, action: &str, fields: &[(&str, &str)]) -> (String, String) {
    let html = b.html(page).await;
    let (token, id) = (csrf_of(&html), request_id_of(&html));
    let mut fields = fields.to_vec();
    fields.push(("request_id", id.as_str()));
    let first = b.post(action, &token, &fields).await;
    assert_eq!(
        first.status(),
        303,
        "{action}: {}",
        first.text().await.unwrap()
    );
    let again = b.post(action, &token, &fields).await;
    assert_eq!(again.status(), 303, "{action} again");
    (location(&first), location(&again))
}

#[actix_web::test]
async fn every_create_form_is_guarded_against_a_resubmit() {
    use agora::domain::ids::{ProductId, TeamId};
    let app = spawn_app().await;
    let admin = app.admin().await;
    let store = &app.state.store;

    // A team.
    let teams_before = store.teams().unwrap().len();
    let (a, b) = twice(
        &admin,
        "/admin/teams/new",
        "/admin/teams/new",
        &[("name", "Resubmitted"), ("admin_email", ADMIN_EMAIL)],
    )
    .await;
    assert_eq!(a, b);
    assert_eq!(store.teams().unwrap().len(), teams_before + 1, "one team");

    // A product, a resource and a plan.
    let provider = admin.create_team("Provider").await;
    admin.make_provider(&provider).await;
    let new_product = format!("/provider/{provider}/products/new");
    let (a, b) = twice(
        &admin,
        &new_product,
        &new_product,
        &[
            ("name", "Weather"),
            ("summary", "Forecasts"),
            ("description", ""),
            ("tags", ""),
        ],
    )
    .await;
    assert_eq!(a, b, "one product");
    let product = a.rsplit('/').next().unwrap().to_owned();
    let pid: ProductId = product.parse().unwrap();
    let new_resource = format!("/provider/{provider}/products/{product}/resources/new");
    // The form's hidden default button is kept from screen readers.
    let form = admin.html(&new_resource).await;
    assert!(
        form.contains("tabindex=\"-1\" aria-hidden=\"true\">Save</button>"),
        "{form}"
    );
    twice(
        &admin,
        &new_resource,
        &new_resource,
        &[
            ("name", "Forecast"),
            ("route", "/weather/"),
            ("dataplane", "embedded"),
            ("credential_types", "api_key"),
            ("access_approval", "automatic"),
            ("rows", "0"),
            ("action", "save"),
        ],
    )
    .await;
    let resources = store.resources(pid).unwrap();
    assert_eq!(resources.len(), 1, "one resource");
    let resource = resources[0].id.to_string();
    let new_plan = format!("/provider/{provider}/products/{product}/plans/new");
    twice(
        &admin,
        &new_plan,
        &new_plan,
        &[
            ("name", "Standard"),
            ("per_minute", "100"),
            ("per_day", ""),
            ("approval", "automatic"),
            ("resources", &resource),
        ],
    )
    .await;
    let plans = store.plans(pid).unwrap();
    assert_eq!(plans.len(), 1, "one plan");
    let plan = plans[0].id.to_string();
    assert_eq!(admin.publish(&provider, &product).await.status(), 303);

    // A subscription, an application and an access request.
    let buyers = admin.create_team("Buyers").await;
    let subscribe = format!("/marketplace/products/{product}/plans/{plan}/subscribe");
    let (a, b) = twice(&admin, &subscribe, &subscribe, &[("team_id", &buyers)]).await;
    assert_eq!(a, b, "one subscription");
    let subscription = a.rsplit('/').next().unwrap().to_owned();
    let new_app = format!("/teams/{buyers}/applications/new");
    let (a, b) = twice(
        &admin,
        &new_app,
        &new_app,
        &[("name", "Mobile"), ("description", "")],
    )
    .await;
    assert_eq!(a, b);
    let buyers_id: TeamId = buyers.parse().unwrap();
    assert_eq!(
        store.applications_of(buyers_id).unwrap().len(),
        1,
        "one application"
    );
    let application = store.applications_of(buyers_id).unwrap()[0].id;
    let request = format!("/marketplace/products/{product}/resources/{resource}/request-access");
    let application_text = application.to_string();
    let (a, b) = twice(
        &admin,
        &request,
        &request,
        &[
            ("application", &application_text),
            ("subscription", &subscription),
            ("name", ""),
        ],
    )
    .await;
    assert_eq!(a, b);
    assert_eq!(
        store.accesses_of_app(application).unwrap().len(),
        1,
        "one access request"
    );

    // A member added to the team.
    app.member(&admin, "dee@example.com", "Dee", None).await;
    let members_before = store.members(buyers_id).unwrap().len();
    let (a, b) = twice(
        &admin,
        &format!("/teams/{buyers}"),
        &format!("/teams/{buyers}/members"),
        &[("email", "dee@example.com"), ("role", "developer")],
    )
    .await;
    assert_eq!(a, b);
    assert_eq!(
        store.members(buyers_id).unwrap().len(),
        members_before + 1,
        "one member"
    );
}

#[actix_web::test]
async fn a_resubmitted_invitation_makes_one_link_and_it_keeps_working() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (a, b) = twice(
        &admin,
        "/admin/users/new",
        "/admin/users/new",
        &[
            ("email", "new@example.com"),
            ("display_name", "New"),
            ("team", ""),
            ("role", "developer"),
        ],
    )
    .await;
    assert_eq!(a, b, "one invitation");
    let page = admin.get(&a).await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    let link = link_of(&page.text().await.unwrap());
    assert!(
        !a.contains(&link[link.len() - 10..]),
        "the link is not in the URL"
    );
    // A new link, resubmitted: the link shown stays the valid one.
    let user = a
        .trim_end_matches("/invitation")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let action = format!("/admin/users/{user}/invitation");
    let (c, d) = twice(&admin, "/admin/users", &action, &[]).await;
    assert_eq!(c, d);
    let second = link_of(&admin.html(&c).await);
    assert_ne!(second, link);
    let b = app.browser();
    assert_eq!(
        b.get(&app.path_of(&link)).await.status(),
        404,
        "replaced once"
    );
    assert_eq!(
        b.get(&app.path_of(&second)).await.status(),
        200,
        "not replaced again"
    );
    // Another session sees no link on that page.
    let other = app.browser();
    assert_eq!(other.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 303);
    assert!(!other.html(&c).await.contains(&second));
}

#[actix_web::test]
async fn a_renewal_with_grace_says_until_when_the_previous_secret_works() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (id, _, _) = admin.create_credential(&h, "Edge", "api_key").await;
    app.run_due().await;
    let panel = format!("/teams/{}/credentials/{id}", h.c.team);
    admin
        .submit(
            &panel,
            &format!("{panel}/renew"),
            &[("confirmed", "yes"), ("grace", "24h")],
        )
        .await;
    app.advance(std::time::Duration::from_secs(3_600));
    let c = app
        .state
        .store
        .credential(id.parse::<CredentialId>().unwrap())
        .unwrap()
        .unwrap();
    let until = c.grace_until.unwrap().display();
    let expected = format!("previous secret works until {until} — 23 hours 0 minutes left");
    let page = admin.html(&panel).await;
    assert!(page.contains(&expected), "the panel: {page}");
    assert!(
        page.contains(&format!(
            "<a href=\"/marketplace/products/{}/resources\">Forecast</a> <span class=\"help\">of Weather, by Weather provider</span>",
            h.c.listing.product
        )),
        "the resource, its product and provider: {page}"
    );
    assert!(
        page.contains(&format!("the previous secret works until {until}")),
        "the history"
    );
    let list = format!("/teams/{}/applications/{}", h.c.team, h.c.application);
    assert!(
        admin.html(&list).await.contains(&expected),
        "the application's list"
    );
    let provider = format!("/provider/{}/credentials", h.c.listing.provider);
    assert!(
        admin.html(&provider).await.contains(&expected),
        "the provider's list"
    );
    app.advance(std::time::Duration::from_secs(23 * 3_600 + 1));
    let admin = app.browser();
    assert_eq!(admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 303);
    assert!(!admin.html(&panel).await.contains("Renewal grace"), "over");
}
