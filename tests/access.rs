//! Applications and Request Access over HTTP: every rule and refusal, and
//! who may do what.

mod common;

use agora::domain::access::{Approval, Provisioning};
use agora::domain::ids::ApplicationId;
use common::*;

fn accesses(app: &TestApp, application: &str) -> Vec<agora::domain::access::AccessRequest> {
    let id: ApplicationId = application.parse().unwrap();
    app.state.store.accesses_of_app(id).unwrap()
}

/// Sets the resource's request fields: a required ticket (pattern), a region select, a consent checkbox.
async fn with_fields(admin: &Browser, l: &Listing) {
    let rows = [
        ("f0_name", "ticket"),
        ("f0_label", "Change ticket"),
        ("f0_kind", "text"),
        ("f0_pattern", "[A-Z]+-[0-9]+"),
        ("f0_required", "on"),
        ("f0_help", "Like OPS-123"),
        ("f1_name", "region"),
        ("f1_label", "Region"),
        ("f1_kind", "select"),
        ("f1_options", "eu\nus"),
        ("f1_required", "on"),
        ("f2_name", "terms"),
        ("f2_label", "I accept the terms"),
        ("f2_kind", "checkbox"),
        ("f2_required", "on"),
    ];
    admin
        .save_resource_fields(l, "Forecast", "/weather/", "automatic", &rows)
        .await;
}

#[actix_web::test]
async fn applications_are_created_edited_and_named_once_per_team() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Buyers").await;
    let dev = app
        .member(&admin, "dev@example.com", "Dev", Some((&team, "developer")))
        .await;
    let viewer = app
        .member(&admin, "view@example.com", "View", Some((&team, "viewer")))
        .await;
    let other = admin.create_team("Others").await;
    let outsider = app
        .member(&admin, "out@example.com", "Out", Some((&other, "admin")))
        .await;

    let new = format!("/teams/{team}/applications/new");
    let res = dev
        .submit(&new, &new, &[("name", " "), ("description", "kept")])
        .await;
    let html = expect_page(res, 422, "name").await;
    assert!(html.contains(">kept</textarea>"));
    let mobile = dev.create_application(&team, "Mobile App").await;
    let res = dev.submit(&new, &new, &[("name", "mobile  app")]).await;
    expect_page(
        res,
        422,
        "The team already has an application with this name.",
    )
    .await;
    // Another team may use the name.
    outsider.create_application(&other, "Mobile App").await;

    let edit = format!("/teams/{team}/applications/{mobile}/edit");
    let res = dev
        .submit(
            &edit,
            &edit,
            &[("name", "Mobile"), ("description", "iOS and Android")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = viewer
        .html(&format!("/teams/{team}/applications/{mobile}"))
        .await;
    assert!(page.contains("iOS and Android"));
    assert!(!page.contains("Archive application"), "viewers only look");
    assert!(
        viewer
            .html(&format!("/teams/{team}/applications"))
            .await
            .contains("Mobile")
    );

    expect_page(viewer.get(&new).await, 403, "Viewers can look").await;
    let res = viewer
        .submit(
            &format!("/teams/{team}/applications"),
            &format!("/teams/{team}/applications/{mobile}/archive"),
            &[("confirmed", "yes")],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        outsider
            .get(&format!("/teams/{team}/applications"))
            .await
            .status(),
        404
    );
    assert_eq!(
        outsider
            .get(&format!("/teams/{team}/applications/{mobile}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        outsider
            .get(&format!("/teams/{other}/applications/{mobile}"))
            .await
            .status(),
        404,
        "not through another team's path either"
    );
}

#[actix_web::test]
async fn request_access_checks_every_field_and_keeps_the_input() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "automatic").await;
    let l = &c.listing;
    with_fields(&admin, l).await;
    let form = format!(
        "/marketplace/products/{}/resources/{}/request-access",
        l.product, l.resource
    );
    let html = admin.html(&form).await;
    assert!(
        html.contains("value=\"Mobile – Forecast\""),
        "name auto-populated"
    );
    assert!(html.contains("Like OPS-123") && html.contains("I accept the terms"));

    let res = admin
        .request_access(
            &l.product,
            &l.resource,
            &c.application,
            &c.subscription,
            &[("x_ticket", "ops 12"), ("x_region", "mars")],
        )
        .await;
    let html = expect_page(res, 422, "Change ticket does not have the expected format.").await;
    assert!(html.contains("Choose one of the listed options."));
    assert!(html.contains("Tick “I accept the terms” to continue."));
    assert!(html.contains("value=\"ops 12\""), "input kept");
    assert!(accesses(&app, &c.application).is_empty());

    let res = admin
        .request_access(
            &l.product,
            &l.resource,
            &c.application,
            &c.subscription,
            &[
                ("x_ticket", "OPS-12"),
                ("x_region", "eu"),
                ("x_terms", "yes"),
                ("name", "Mobile weather"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(
        location(&res).starts_with(&format!("/teams/{}/applications/{}", c.team, c.application))
    );
    let a = &accesses(&app, &c.application)[0];
    assert_eq!(a.name, "Mobile weather");
    assert_eq!(a.values["ticket"], "OPS-12");
    assert_eq!(a.values["terms"], "yes");
    assert_eq!(a.approval, Approval::Approved, "automatic");

    // One request per application × resource × subscription.
    let res = admin
        .request_access(
            &l.product,
            &l.resource,
            &c.application,
            &c.subscription,
            &[
                ("x_ticket", "OPS-13"),
                ("x_region", "us"),
                ("x_terms", "yes"),
            ],
        )
        .await;
    expect_page(
        res,
        422,
        "already has a request for this resource through this subscription",
    )
    .await;
    assert_eq!(accesses(&app, &c.application).len(), 1);
}

#[actix_web::test]
async fn only_an_active_subscription_whose_plan_includes_the_resource_gives_access() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "automatic").await;
    let l = &c.listing;
    // A second resource that the plan does not include.
    let other = admin
        .add_resource(&l.provider, &l.product, "Radar", "/radar/", "automatic")
        .await;
    let form = format!(
        "/marketplace/products/{}/resources/{other}/request-access",
        l.product
    );
    expect_page(
        admin.get(&form).await,
        200,
        "None of your teams has an active subscription",
    )
    .await;
    let res = admin
        .request_access(&l.product, &other, &c.application, &c.subscription, &[])
        .await;
    expect_page(res, 422, "None of your teams has an active subscription").await;

    // A manual plan's subscription that is still requested gives nothing either.
    let gold = admin
        .add_plan(&l.provider, &l.product, "Gold", &[&other], "manual")
        .await;
    let requested = last_id(&admin.subscribe(&l.product, &gold, &c.team).await);
    let res = admin
        .request_access(&l.product, &other, &c.application, &requested, &[])
        .await;
    assert_eq!(res.status(), 422);
    assert!(accesses(&app, &c.application).is_empty());
}

#[actix_web::test]
async fn the_subscription_and_the_application_must_belong_to_one_team() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "automatic").await;
    let l = &c.listing;
    let second = admin.create_team("Second").await;
    let their_app = admin.create_application(&second, "Backend").await;
    let form = format!(
        "/marketplace/products/{}/resources/{}/request-access",
        l.product, l.resource
    );
    let html = admin.html(&form).await;
    assert!(
        html.contains("Second – Backend") && html.contains("Buyers – Mobile"),
        "labels name the team"
    );
    let res = admin
        .request_access(
            &l.product,
            &l.resource,
            &their_app,
            &c.subscription,
            &[("name", "Mixed")],
        )
        .await;
    let html = expect_page(
        res,
        422,
        "Choose an active subscription of Second, the application&#39;s team",
    )
    .await;
    assert!(html.contains("value=\"Mixed\""), "input kept");
    assert!(accesses(&app, &their_app).is_empty());
}

/// Someone outside a team who learns one of its subscription ids gets the
/// answer an unknown id gets, through the page and the API: nothing names
/// the team or tells that the subscription exists.
#[actix_web::test]
async fn another_teams_subscription_is_answered_as_an_unknown_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "automatic").await;
    let l = &c.listing;
    let second = admin.create_team("Second").await;
    let their_app = admin.create_application(&second, "Backend").await;
    let eve = app
        .member(&admin, "eve@example.com", "Eve", Some((&second, "admin")))
        .await;
    let unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    let mut pages = Vec::new();
    for sub in [c.subscription.as_str(), unknown] {
        let res = eve
            .request_access(
                &l.product,
                &l.resource,
                &their_app,
                sub,
                &[("name", "Probe")],
            )
            .await;
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        assert!(!html.contains("Buyers"), "the other team is not named");
        pages.push(html.replace(sub, "SUB"));
    }
    assert_eq!(pages[0], pages[1], "the same page for both");

    let token = eve
        .personal_token("Probe", "read-write", Some(&second))
        .await;
    let api = common::api::Api::new(&app.base, &token);
    let mut answers = Vec::new();
    for sub in [c.subscription.as_str(), unknown] {
        let (status, body) = api
            .post(
                &format!("/teams/{second}/access-requests"),
                serde_json::json!({
                    "product": l.product, "resource": l.resource,
                    "application": their_app, "subscription": sub,
                }),
            )
            .await;
        assert!(!body.to_string().contains("Buyers"), "{body}");
        answers.push((status, body));
    }
    assert_eq!(answers[0].0, 422, "{:?}", answers[0]);
    assert_eq!(answers[0], answers[1], "the same answer for both");
    assert!(accesses(&app, &their_app).is_empty());
}

#[actix_web::test]
async fn viewers_cannot_request_and_providers_decide_only_their_own() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "manual").await;
    let l = &c.listing;
    let viewer = app
        .member(
            &admin,
            "view@example.com",
            "View",
            Some((&c.team, "viewer")),
        )
        .await;
    let res = viewer.request_access_for(&c).await;
    assert_eq!(
        res.status(),
        422,
        "a viewer's teams offer nothing to choose"
    );
    assert!(accesses(&app, &c.application).is_empty());

    let res = admin.request_access_for(&c).await;
    assert_eq!(res.status(), 303);
    let a = accesses(&app, &c.application).remove(0);
    assert_eq!(
        (a.approval, a.provisioning),
        (Approval::Pending, Provisioning::None)
    );

    // Another provider cannot decide it; the consumer team cannot either.
    let other = app.listing(&admin, "Maps", "automatic").await;
    let dev = app
        .member(
            &admin,
            "maps@example.com",
            "Maps dev",
            Some((&other.provider, "developer")),
        )
        .await;
    let res = dev
        .submit(
            "/",
            &format!("/provider/{}/access/{}/approve", other.provider, a.id),
            &[],
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = admin
        .submit(
            "/",
            &format!("/provider/{}/access/{}/approve", c.team, a.id),
            &[],
        )
        .await;
    assert_eq!(res.status(), 404, "the consumer team is no provider");
    assert_eq!(
        accesses(&app, &c.application)[0].approval,
        Approval::Pending
    );

    // The provider rejects with a reason, which the consumer sees.
    let approvals = format!("/provider/{}/approvals", l.provider);
    assert!(
        admin
            .html(&approvals)
            .await
            .contains("Approve access for Mobile")
    );
    let reject = format!("/provider/{}/access/{}/reject", l.provider, a.id);
    admin.submit(&approvals, &reject, &[("reason", " ")]).await;
    assert_eq!(
        accesses(&app, &c.application)[0].approval,
        Approval::Pending
    );
    admin
        .submit(&approvals, &reject, &[("reason", "Use the EU resource")])
        .await;
    assert_eq!(
        accesses(&app, &c.application)[0].approval,
        Approval::Rejected
    );
    let page = admin
        .html(&format!("/teams/{}/applications/{}", c.team, c.application))
        .await;
    assert!(page.contains("Reason: Use the EU resource"));
    // A rejected request frees the slot for a new one.
    let res = admin.request_access_for(&c).await;
    assert_eq!(res.status(), 303);
    let newest = accesses(&app, &c.application)
        .into_iter()
        .find(|x| x.approval == Approval::Pending)
        .unwrap();
    admin
        .submit(
            &approvals,
            &format!("/provider/{}/access/{}/approve", l.provider, newest.id),
            &[],
        )
        .await;
    app.run_due().await;
    let done = app.state.store.access(newest.id).unwrap().unwrap();
    assert_eq!(
        (done.approval, done.provisioning),
        (Approval::Approved, Provisioning::Provisioned)
    );
}

#[actix_web::test]
async fn access_is_tracked_from_the_product_for_the_visitors_teams_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "automatic").await;
    let l = &c.listing;
    admin.request_access_for(&c).await;
    app.run_due().await;
    // Someone in another team with its own application and subscription.
    let other = admin.create_team("Others").await;
    let outsider = app
        .member(
            &admin,
            "out@example.com",
            "Out",
            Some((&other, "developer")),
        )
        .await;
    let their_app = outsider.create_application(&other, "Secret project").await;
    let their_sub = last_id(&outsider.subscribe(&l.product, &l.plan, &other).await);
    outsider
        .request_access(&l.product, &l.resource, &their_app, &their_sub, &[])
        .await;

    let track = format!(
        "/marketplace/products/{}/resources/{}/access",
        l.product, l.resource
    );
    let mine = outsider.html(&track).await;
    assert!(
        mine.contains("Secret project") && !mine.contains("Mobile"),
        "{mine}"
    );
    let resources = outsider
        .html(&format!("/marketplace/products/{}/resources", l.product))
        .await;
    assert!(resources.contains("Request Access to Forecast"));
    assert!(resources.contains(&track));

    // From the application: the resources its team's subscriptions include.
    let choose = format!(
        "/teams/{}/applications/{}/request-access",
        c.team, c.application
    );
    let html = admin.html(&choose).await;
    assert!(html.contains("Forecast"), "{html}");
    assert!(
        html.contains("see the request"),
        "the application's own request is shown: {html}"
    );
}

#[actix_web::test]
async fn the_applications_request_list_shows_what_was_asked_instead_of_a_refusal() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "manual").await;
    let res = admin.request_access_for(&c).await;
    assert_eq!(res.status(), 303);
    let choose = format!(
        "/teams/{}/applications/{}/request-access",
        c.team, c.application
    );
    let html = admin.html(&choose).await;
    assert!(
        html.contains("state-pending\">Pending</span>"),
        "labelled like credential states: {html}"
    );
    assert!(html.contains("see the request"), "{html}");
    assert!(
        !html.contains("Request Access to Forecast"),
        "no button that would be refused: {html}"
    );
    let access = app
        .state
        .store
        .accesses_of_app(c.application.parse().unwrap())
        .unwrap()[0]
        .id;
    assert!(html.contains(&format!("#access-{access}")), "{html}");
    // Rejected: it can be asked again.
    let approvals = format!("/provider/{}/approvals", c.listing.provider);
    let res = admin
        .submit(
            &approvals,
            &format!("/provider/{}/access/{access}/reject", c.listing.provider),
            &[("reason", "Not for this use")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let html = admin.html(&choose).await;
    assert!(html.contains("state-rejected"), "{html}");
    assert!(html.contains("Request Access to Forecast"), "{html}");
    assert!(html.contains(&format!(
        "application={}&amp;subscription={}",
        c.application, c.subscription
    )));
    // The resource's Access page links each application, with its team.
    let track = format!(
        "/marketplace/products/{}/resources/{}/access",
        c.listing.product, c.listing.resource
    );
    let html = admin.html(&track).await;
    assert!(
        html.contains(&format!(
            "Buyers – <a href=\"/teams/{}/applications/{}\">Mobile</a>",
            c.team, c.application
        )),
        "{html}"
    );
    assert!(html.contains(">Not yet<"), "{html}");
}

#[actix_web::test]
async fn the_request_form_opened_from_an_application_offers_only_its_team_and_leads_back() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "automatic").await;
    // A second team of the same person, with its own subscription and application.
    let other = admin.create_team("Second buyers").await;
    let res = admin
        .subscribe(&c.listing.product, &c.listing.plan, &other)
        .await;
    assert_eq!(res.status(), 303);
    let other_sub = last_id(&res);
    let other_app = admin.create_application(&other, "Desktop").await;
    let base = format!(
        "/marketplace/products/{}/resources/{}/request-access",
        c.listing.product, c.listing.resource
    );
    // From the product: both teams, each option tagged with its team for the script.
    let both = admin.html(&base).await;
    assert!(
        both.contains(&other_sub) && both.contains(&c.subscription),
        "{both}"
    );
    assert!(both.contains(&format!("data-team=\"{other}\"")), "{both}");
    assert!(both.contains("data-auto=\"Desktop – Forecast\""), "{both}");
    assert!(both.contains(&format!(
        "/marketplace/products/{}/resources\"",
        c.listing.product
    )));
    // From the application: only its team, the application chosen, and the way back.
    let from = format!("/teams/{}/applications/{}", c.team, c.application);
    let one = admin
        .html(&format!("{base}?application={}&from={from}", c.application))
        .await;
    assert!(one.contains(&c.subscription), "{one}");
    assert!(
        !one.contains(&other_sub) && !one.contains(&other_app),
        "{one}"
    );
    assert!(one.contains(&format!("<option value=\"{}\" data-team", c.application)));
    assert!(
        one.contains(&format!("<a href=\"{from}\">← Back</a>")),
        "{one}"
    );
    // The server check stays: a subscription of the other team is refused.
    let res = admin
        .submit(
            &format!("{base}?application={}", c.application),
            &base,
            &[
                ("application", &c.application),
                ("subscription", &other_sub),
                ("name", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    // A `from` that leads off-site is not followed.
    let html = admin.html(&format!("{base}?from=//evil.example/")).await;
    assert!(!html.contains("evil.example\">"), "{html}");
}
