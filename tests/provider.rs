//! The provider's side: provider teams, products, resources with their
//! request fields, usage plans, publishing.

mod common;

use common::*;

#[actix_web::test]
async fn only_provider_teams_have_a_provider_area() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Acme").await;
    let dev = app
        .member(&admin, "dev@example.com", "Dev", Some((&team, "developer")))
        .await;
    let viewer = app
        .member(
            &admin,
            "view@example.com",
            "Viewer",
            Some((&team, "viewer")),
        )
        .await;
    let other_team = admin.create_team("Others").await;
    let outsider = app
        .member(
            &admin,
            "out@example.com",
            "Out",
            Some((&other_team, "admin")),
        )
        .await;

    let area = format!("/provider/{team}");
    assert_eq!(
        dev.get(&area).await.status(),
        404,
        "not a provider team yet"
    );
    assert!(!dev.html("/").await.contains("Provider: Acme"));

    admin.make_provider(&team).await;
    let html = dev.html(&area).await;
    assert!(html.contains("Provider: Acme"), "the navigation offers it");
    assert!(dev.html("/").await.contains(&format!("href=\"{area}\"")));
    expect_page(viewer.get(&area).await, 403, "admins and developers").await;
    assert!(!viewer.html("/").await.contains("Provider: Acme"));
    assert_eq!(outsider.get(&area).await.status(), 404);
    assert_eq!(
        outsider
            .get(&format!("/provider/{team}/products/new"))
            .await
            .status(),
        404
    );
    // A team member who is not the platform admin cannot flip the flag.
    let res = dev
        .submit(
            &area,
            &format!("/admin/teams/{other_team}/provider"),
            &[("provider", "yes")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert!(
        !app.state
            .store
            .team(other_team.parse().unwrap())
            .unwrap()
            .unwrap()
            .provider
    );
}

#[actix_web::test]
async fn a_provider_team_keeps_its_flag_while_it_publishes() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = app.listing(&admin, "Maps", "automatic").await;
    let res = admin
        .submit(
            "/admin/teams",
            &format!("/admin/teams/{}/provider", l.provider),
            &[("provider", "no")],
        )
        .await;
    assert_eq!(res.status(), 303);
    expect_page(
        admin.get("/admin/teams").await,
        200,
        "still has published products",
    )
    .await;
    let team = app
        .state
        .store
        .team(l.provider.parse().unwrap())
        .unwrap()
        .unwrap();
    assert!(team.provider);
}

#[actix_web::test]
async fn a_product_is_checked_kept_and_drafted_until_published() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Acme").await;
    admin.make_provider(&team).await;
    let consumer_team = admin.create_team("Buyers").await;
    let consumer = app
        .member(
            &admin,
            "buy@example.com",
            "Buyer",
            Some((&consumer_team, "admin")),
        )
        .await;

    let page = format!("/provider/{team}/products/new");
    let res = admin
        .submit(
            &page,
            &page,
            &[
                ("name", "  "),
                ("summary", ""),
                ("description", "kept text"),
                ("tags", "ok, bad<tag"),
            ],
        )
        .await;
    let html = expect_page(res, 422, "Say in a sentence what the product does.").await;
    assert!(html.contains("is not a tag"));
    assert!(html.contains("kept text"), "input is kept");

    let product = admin
        .create_product(
            &team,
            "Weather",
            "Forecasts for any place",
            "weather, Open Data",
        )
        .await;
    let show = format!("/provider/{team}/products/{product}");
    let html = admin.html(&show).await;
    assert!(html.contains("draft"));
    assert!(html.contains("open-data"));

    // A draft is invisible to consumers.
    assert!(!consumer.html("/marketplace").await.contains("Weather"));
    assert_eq!(
        consumer
            .get(&format!("/marketplace/products/{product}"))
            .await
            .status(),
        404
    );

    // Publishing needs a plan.
    let res = admin.publish(&team, &product).await;
    assert_eq!(res.status(), 303);
    expect_page(admin.get(&show).await, 200, "needs at least one usage plan").await;
    assert!(!app.state.market.is_listed(product.parse().unwrap()));

    let resource = admin
        .add_resource(&team, &product, "Forecast", "/weather/", "automatic")
        .await;
    admin
        .add_plan(&team, &product, "Free", &[&resource], "automatic")
        .await;
    assert_eq!(admin.publish(&team, &product).await.status(), 303);
    expect_page(
        admin.get(&show).await,
        200,
        "is published in the Marketplace",
    )
    .await;
    assert!(consumer.html("/marketplace").await.contains("Weather"));

    // Editing keeps the state and shows in the Marketplace at once.
    let edit = format!("{show}/edit");
    let res = admin
        .submit(
            &edit,
            &edit,
            &[
                ("name", "Weather Pro"),
                ("summary", "Better forecasts"),
                ("description", ""),
                ("tags", "weather"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let market = consumer.html("/marketplace").await;
    assert!(market.contains("Weather Pro") && market.contains("Better forecasts"));

    // Unpublishing hides it from the Marketplace, once confirmed (a confirm
    // page without JavaScript, in the dialog's words).
    let dialog = "Hide Weather Pro from the Marketplace?";
    assert!(
        admin
            .html(&show)
            .await
            .contains(&format!("data-confirm=\"{dialog} "))
    );
    let res = admin.submit(&show, &format!("{show}/unpublish"), &[]).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains(&format!("<h1>{dialog}</h1>"))
    );
    assert!(
        consumer.html("/marketplace").await.contains("Weather Pro"),
        "not yet"
    );
    let res = admin
        .submit(&show, &format!("{show}/unpublish"), &[("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    assert!(!consumer.html("/marketplace").await.contains("Weather Pro"));
    assert!(admin.html(&show).await.contains("unpublished"));
}

#[actix_web::test]
async fn descriptions_render_markdown_without_raw_html() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = app.listing(&admin, "Weather", "automatic").await;
    let edit = format!("/provider/{}/products/{}/edit", l.provider, l.product);
    let res = admin
        .submit(
            &edit,
            &edit,
            &[
                ("name", "Weather"),
                ("summary", "Forecasts"),
                (
                    "description",
                    "## Quick start\n\n<script>alert('x')</script>\n\n[docs](javascript:alert(1))",
                ),
                ("tags", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let html = admin
        .html(&format!("/marketplace/products/{}", l.product))
        .await;
    assert!(html.contains("<h2>Quick start</h2>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "shown as text");
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("javascript:"));
}

#[actix_web::test]
async fn resources_are_checked_and_routes_are_unique_per_data_plane() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = app.listing(&admin, "Weather", "automatic").await;
    let page = format!(
        "/provider/{}/products/{}/resources/new",
        l.provider, l.product
    );

    let res = admin
        .submit(
            &page,
            &page,
            &[
                ("name", "Radar"),
                ("route", "/a//b/"),
                ("dataplane", "mars"),
                ("access_approval", "sometimes"),
                ("rows", "0"),
                ("action", "save"),
            ],
        )
        .await;
    let html = expect_page(res, 422, "single slashes").await;
    assert!(html.contains("Choose one of the configured data planes."));
    assert!(html.contains("Accept at least one credential type."));
    assert!(html.contains("Choose automatic or manual."));
    assert!(html.contains("value=\"Radar\""), "input kept");

    // Another product of the same provider cannot take the route.
    let other = admin
        .create_product(&l.provider, "Radar", "Rain radar", "")
        .await;
    let page2 = format!("/provider/{}/products/{other}/resources/new", l.provider);
    let res = admin
        .submit(
            &page2,
            &page2,
            &[
                ("name", "Radar"),
                ("route", "weather"),
                ("dataplane", "embedded"),
                ("credential_types", "oauth_client"),
                ("access_approval", "manual"),
                ("rows", "0"),
                ("action", "save"),
            ],
        )
        .await;
    expect_page(
        res,
        422,
        "The route /weather/ is already used on the data plane embedded.",
    )
    .await;

    // Editing a resource may keep its own route, and frees the old one when it moves.
    let edit = format!(
        "/provider/{}/products/{}/resources/{}",
        l.provider, l.product, l.resource
    );
    let fields = [
        ("name", "Main API"),
        ("route", "/forecast/"),
        ("dataplane", "embedded"),
        ("credential_types", "api_key"),
        ("credential_types", "oauth_client"),
        ("access_approval", "manual"),
        ("rows", "0"),
        ("action", "save"),
    ];
    assert_eq!(admin.submit(&edit, &edit, &fields).await.status(), 303);
    let r = app
        .state
        .store
        .resource_by_route("embedded", "/forecast/")
        .unwrap()
        .expect("new route claimed");
    assert_eq!(r.spec.credential_types.len(), 2);
    assert!(
        app.state
            .store
            .resource_by_route("embedded", "/weather/")
            .unwrap()
            .is_none()
    );
    let res = admin
        .submit(
            &page2,
            &page2,
            &[
                ("name", "Radar"),
                ("route", "/weather/"),
                ("dataplane", "embedded"),
                ("credential_types", "api_key"),
                ("access_approval", "manual"),
                ("rows", "0"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "the freed route can be used again");
}

#[actix_web::test]
async fn request_fields_are_edited_in_rows_and_validated() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = app.listing(&admin, "Weather", "automatic").await;
    let edit = format!(
        "/provider/{}/products/{}/resources/{}",
        l.provider, l.product, l.resource
    );
    let html = admin.html(&edit).await;
    assert!(html.contains("id=\"f0_name\""), "one empty row to start");
    assert!(!html.contains("id=\"f1_name\""));

    let base = [
        ("name", "Main API"),
        ("route", "/weather/"),
        ("dataplane", "embedded"),
        ("credential_types", "api_key"),
        ("access_approval", "automatic"),
        ("rows", "1"),
        ("f0_name", "ticket"),
        ("f0_label", "Ticket"),
        ("f0_kind", "text"),
        ("f0_pattern", "(["),
        ("f0_required", "on"),
    ];
    // "Add another field" shows one more row and keeps what was typed.
    let mut add = base.to_vec();
    add.push(("action", "add_field"));
    let res = admin.submit(&edit, &edit, &add).await;
    let html = expect_page(res, 200, "id=\"f1_name\"").await;
    assert!(html.contains("value=\"ticket\""));

    // A broken pattern is refused beside its row; nothing is saved.
    let mut save = base.to_vec();
    save.push(("action", "save"));
    let res = admin.submit(&edit, &edit, &save).await;
    expect_page(res, 422, "The pattern is not a valid regular expression.").await;
    let stored = |app: &TestApp| {
        app.state
            .store
            .resource(l.product.parse().unwrap(), l.resource.parse().unwrap())
            .unwrap()
            .unwrap()
            .spec
            .fields
    };
    assert!(stored(&app).is_empty());

    let good = [
        ("name", "Main API"),
        ("route", "/weather/"),
        ("dataplane", "embedded"),
        ("credential_types", "api_key"),
        ("access_approval", "automatic"),
        ("rows", "3"),
        ("f0_name", "ticket"),
        ("f0_label", "Ticket"),
        ("f0_kind", "text"),
        ("f0_pattern", "[A-Z]+-[0-9]+"),
        ("f0_required", "on"),
        ("f0_help", "Your change ticket"),
        ("f1_name", "region"),
        ("f1_label", "Region"),
        ("f1_kind", "select"),
        ("f1_options", "eu\r\nus"),
        ("f2_name", ""),
        ("f2_kind", "text"),
        ("action", "save"),
    ];
    assert_eq!(admin.submit(&edit, &edit, &good).await.status(), 303);
    let fields = stored(&app);
    assert_eq!(fields.len(), 2);
    assert!(fields[0].required);
    assert_eq!(fields[1].options, ["eu", "us"]);
    let html = admin.html(&edit).await;
    assert!(
        html.contains("value=\"[A-Z]+-[0-9]+\""),
        "the editor shows the schema"
    );
    assert!(html.contains("id=\"f2_name\""), "plus an empty row");

    // Ticking "Remove" drops a field.
    let mut remove = good.to_vec();
    remove.push(("f1_remove", "on"));
    assert_eq!(admin.submit(&edit, &edit, &remove).await.status(), 303);
    assert_eq!(stored(&app).len(), 1);
}

#[actix_web::test]
async fn plans_include_their_products_resources_and_a_valid_quota() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = app.listing(&admin, "Weather", "automatic").await;
    let other = app.listing(&admin, "Maps", "automatic").await;
    let page = format!("/provider/{}/products/{}/plans/new", l.provider, l.product);

    let res = admin
        .submit(
            &page,
            &page,
            &[
                ("name", "Gold"),
                ("per_minute", "0"),
                ("per_day", "lots"),
                ("approval", "manual"),
            ],
        )
        .await;
    let html = expect_page(res, 422, "A plan includes at least one resource.").await;
    assert!(html.contains("Give a whole number"));

    let res = admin
        .submit(
            &page,
            &page,
            &[
                ("name", "Gold"),
                ("resources", &other.resource),
                ("approval", "manual"),
            ],
        )
        .await;
    expect_page(res, 422, "Choose among this product&#39;s resources.").await;

    let res = admin
        .submit(
            &page,
            &page,
            &[
                ("name", "Gold"),
                ("resources", &l.resource),
                ("per_minute", "1,000"),
                ("per_day", "100000"),
                ("approval", "manual"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let html = admin
        .html(&format!("/marketplace/products/{}/plans", l.product))
        .await;
    assert!(
        html.contains("1,000 requests per minute, 100,000 per day"),
        "{html}"
    );
    assert!(html.contains("manual (the provider approves)"));
}

#[actix_web::test]
async fn one_provider_cannot_touch_another_providers_products() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mine = app.listing(&admin, "Weather", "automatic").await;
    let theirs = app.listing(&admin, "Maps", "automatic").await;
    let dev = app
        .member(
            &admin,
            "dev@example.com",
            "Dev",
            Some((&mine.provider, "developer")),
        )
        .await;
    let foreign = format!("/provider/{}/products/{}", mine.provider, theirs.product);
    assert_eq!(dev.get(&foreign).await.status(), 404);
    let area = format!("/provider/{}", mine.provider);
    let res = dev
        .submit(
            &area,
            &format!("{foreign}/edit"),
            &[("name", "Hijacked"), ("summary", "x")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = dev
        .submit(
            &area,
            &format!("{foreign}/unpublish"),
            &[("confirmed", "yes")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let p = app
        .state
        .store
        .product(theirs.product.parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(p.details.name, "Maps");
    assert!(p.is_published());
    // Their team's own pages are closed to this developer too.
    assert_eq!(
        dev.get(&format!("/provider/{}", theirs.provider))
            .await
            .status(),
        404
    );
}
