//! The consumer's side: finding products, subscribing, the provider's
//! decisions, cancelling, and who may do what.

mod common;

use common::*;

fn id_in(location: &str) -> String {
    location.rsplit('/').next().expect("an id").to_owned()
}

fn state_of(app: &TestApp, sub: &str) -> String {
    let s = app
        .state
        .store
        .subscription(sub.parse().unwrap())
        .unwrap()
        .expect("subscription stored");
    s.state.as_str().to_owned()
}

#[actix_web::test]
async fn the_marketplace_searches_filters_by_tag_and_pages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Acme").await;
    admin.make_provider(&team).await;
    for i in 0..27 {
        let (name, tags) = match i {
            0 => ("Weather".to_owned(), "forecast, geo"),
            1 => ("Maps".to_owned(), "geo"),
            _ => (format!("Filler {i:02}"), "misc"),
        };
        let summary = if i == 1 {
            "Tiles and routing".to_owned()
        } else {
            format!("Summary {i}")
        };
        let p = admin.create_product(&team, &name, &summary, tags).await;
        let r = admin
            .add_resource(&team, &p, "API", &format!("/p{i}/"), "automatic")
            .await;
        admin.add_plan(&team, &p, "Free", &[&r], "automatic").await;
        assert_eq!(admin.publish(&team, &p).await.status(), 303);
    }
    let consumer_team = admin.create_team("Buyers").await;
    let b = app
        .member(
            &admin,
            "b@example.com",
            "B",
            Some((&consumer_team, "viewer")),
        )
        .await;

    let first = b.html("/marketplace").await;
    assert!(first.contains("27 products"));
    assert!(first.contains("page 1 of 2"));
    assert_eq!(first.matches("class=\"card product-card\"").count(), 24);
    assert!(first.contains("href=\"/marketplace?page=2\""));
    let second = b.html("/marketplace?page=2").await;
    assert_eq!(second.matches("class=\"card product-card\"").count(), 3);
    assert!(second.contains("Weather"), "sorted by name: W comes last");
    assert!(second.contains("rel=\"prev\""));

    // By name, by summary, by tag, case-insensitively.
    let by_name = b.html("/marketplace?q=weATHer").await;
    assert!(by_name.contains("1 product matching"));
    assert!(by_name.contains("Weather") && !by_name.contains("Filler"));
    let by_summary = b.html("/marketplace?q=routing").await;
    assert!(by_summary.contains("Maps") && !by_summary.contains(">Weather<"));
    let by_tag_word = b.html("/marketplace?q=forecast").await;
    assert!(by_tag_word.contains(">Weather<"));

    // The tag filter, and combining it with a search.
    let geo = b.html("/marketplace?tag=geo").await;
    assert!(geo.contains("2 products") && geo.contains(">Maps<") && geo.contains(">Weather<"));
    assert!(geo.contains("aria-current=\"true\""));
    let geo_tiles = b.html("/marketplace?tag=geo&q=tiles").await;
    assert!(geo_tiles.contains(">Maps<") && !geo_tiles.contains(">Weather<"));
    let none = b.html("/marketplace?q=nothing-like-this").await;
    assert!(none.contains("No products match"));
    // A page past the end shows the last page.
    assert!(b.html("/marketplace?page=99").await.contains("page 2 of 2"));
}

#[actix_web::test]
async fn product_tabs_show_resources_and_plans() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = app.listing(&admin, "Weather", "manual").await;
    let base = format!("/marketplace/products/{}", l.product);
    let overview = admin.html(&base).await;
    assert!(overview.contains("<h1>About</h1>"), "rendered description");
    assert!(overview.contains("Weather provider"), "provider named");
    let resources = admin.html(&format!("{base}/resources")).await;
    assert!(resources.contains("Main API") && resources.contains("/weather/"));
    assert!(resources.contains("API key"));
    assert!(resources.contains("automatic"));
    let plans = admin.html(&format!("{base}/plans")).await;
    assert!(plans.contains("Standard") && plans.contains("100 requests per minute"));
    assert!(plans.contains("manual (the provider approves)"));
    assert!(plans.contains("Subscribe to Standard"));
}

#[actix_web::test]
async fn automatic_plans_activate_at_once_and_allow_one_live_subscription() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = app.listing(&admin, "Weather", "automatic").await;
    let team = admin.create_team("Buyers").await;
    let dev = app
        .member(&admin, "dev@example.com", "Dev", Some((&team, "developer")))
        .await;

    // One team: no choice to make.
    let form = dev
        .html(&format!(
            "/marketplace/products/{}/plans/{}/subscribe",
            l.product, l.plan
        ))
        .await;
    assert!(form.contains("For the team <strong>Buyers</strong>"));
    assert!(!form.contains("<select"));

    let res = dev.subscribe(&l.product, &l.plan, &team).await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(to.starts_with(&format!("/teams/{team}/subscriptions/")));
    let sub = id_in(&to);
    assert_eq!(state_of(&app, &sub), "active");
    let page = expect_page(dev.get(&to).await, 200, "The subscription is active.").await;
    assert!(page.contains("state-active"));
    assert!(
        page.contains("active at once (automatic approval)"),
        "audit trail"
    );

    let res = dev.subscribe(&l.product, &l.plan, &team).await;
    expect_page(res, 422, "already has a subscription to this plan").await;
    assert_eq!(
        app.state
            .store
            .subscriptions_of_team(team.parse().unwrap())
            .unwrap()
            .len(),
        1
    );

    // The plans tab shows the team's subscription.
    let plans = dev
        .html(&format!("/marketplace/products/{}/plans", l.product))
        .await;
    assert!(plans.contains(&format!("/teams/{team}/subscriptions/{sub}")));

    // Cancelling asks first (a confirm page without JavaScript), then frees the plan.
    let show = format!("/teams/{team}/subscriptions/{sub}");
    let res = dev
        .submit(&show, &format!("{show}/cancel"), &[("reason", "moving on")])
        .await;
    let confirm = expect_page(res, 200, "Yes, cancel the subscription").await;
    assert!(confirm.contains("value=\"moving on\""));
    // The page says what the dialog says.
    let said = "Cancel the subscription to Weather – Standard?";
    assert!(confirm.contains(&format!("<h1>{said}</h1>")), "{confirm}");
    assert!(
        dev.html(&show)
            .await
            .contains(&format!("data-confirm=\"{said} It ends now."))
    );
    assert_eq!(state_of(&app, &sub), "active", "nothing changed yet");
    let token = csrf_of(&confirm);
    let res = dev
        .post(
            &format!("{show}/cancel"),
            &token,
            &[("confirmed", "yes"), ("reason", "moving on")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(state_of(&app, &sub), "cancelled");
    let page = dev.html(&show).await;
    assert!(page.contains("cancelled the subscription to Weather – Standard: moving on"));
    assert!(
        !page.contains("Cancel subscription</button>"),
        "nothing left to cancel"
    );

    // A cancelled subscription cannot be cancelled again, and a new one may start.
    let res = dev
        .post(&format!("{show}/cancel"), &token, &[("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    expect_page(dev.get(&show).await, 200, "it cannot be cancelled").await;
    let res = dev.subscribe(&l.product, &l.plan, &team).await;
    assert_eq!(res.status(), 303, "the plan is free again");
}

#[actix_web::test]
async fn the_provider_approves_rejects_and_ends_subscriptions() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = app.listing(&admin, "Weather", "manual").await;
    let provider_dev = app
        .member(
            &admin,
            "prov@example.com",
            "Prov",
            Some((&l.provider, "developer")),
        )
        .await;
    let a = admin.create_team("Alpha").await;
    let b = admin.create_team("Beta").await;
    // A user in two teams chooses which one subscribes.
    let dev = app
        .member(&admin, "dev@example.com", "Dev", Some((&a, "developer")))
        .await;
    admin
        .submit(
            &format!("/teams/{b}"),
            &format!("/teams/{b}/members"),
            &[("email", "dev@example.com"), ("role", "admin")],
        )
        .await;
    let form_path = format!(
        "/marketplace/products/{}/plans/{}/subscribe",
        l.product, l.plan
    );
    let form = dev.html(&form_path).await;
    assert!(form.contains("<select id=\"team_id\""));
    let res = dev.submit(&form_path, &form_path, &[("team_id", "")]).await;
    expect_page(res, 422, "Choose the team that subscribes.").await;

    let sub_a = id_in(&location(&dev.subscribe(&l.product, &l.plan, &a).await));
    let sub_b = id_in(&location(&dev.subscribe(&l.product, &l.plan, &b).await));
    assert_eq!(state_of(&app, &sub_a), "requested");
    let mine = dev.html(&format!("/teams/{a}/subscriptions/{sub_a}")).await;
    assert!(mine.contains("The provider reviews the request"));

    let approvals = format!("/provider/{}/approvals", l.provider);
    let html = provider_dev.html(&approvals).await;
    assert!(html.contains("Approve Alpha") && html.contains("Reject Beta"));
    assert!(
        provider_dev
            .html(&format!("/provider/{}", l.provider))
            .await
            .contains("2 waiting")
    );

    let act =
        |sub: &str, what: &str| format!("/provider/{}/subscriptions/{sub}/{what}", l.provider);
    assert_eq!(
        provider_dev
            .submit(&approvals, &act(&sub_a, "approve"), &[])
            .await
            .status(),
        303
    );
    assert_eq!(state_of(&app, &sub_a), "active");

    // Rejecting needs a reason.
    let res = provider_dev
        .submit(&approvals, &act(&sub_b, "reject"), &[("reason", " ")])
        .await;
    assert_eq!(res.status(), 303);
    expect_page(provider_dev.get(&approvals).await, 200, "Give a reason").await;
    assert_eq!(state_of(&app, &sub_b), "requested");
    provider_dev
        .submit(
            &approvals,
            &act(&sub_b, "reject"),
            &[("reason", "Internal use only")],
        )
        .await;
    assert_eq!(state_of(&app, &sub_b), "rejected");

    // A decided request cannot be decided again.
    provider_dev
        .submit(&approvals, &act(&sub_b, "approve"), &[])
        .await;
    expect_page(
        provider_dev.get(&approvals).await,
        200,
        "it cannot be approved",
    )
    .await;
    assert_eq!(state_of(&app, &sub_b), "rejected");

    // The consumer sees both outcomes, with the reason.
    let list_b = dev.html(&format!("/teams/{b}/subscriptions")).await;
    assert!(list_b.contains("state-rejected") && list_b.contains("Internal use only"));
    let list_a = dev.html(&format!("/teams/{a}/subscriptions")).await;
    assert!(list_a.contains("state-active"));
    let history = dev.html(&format!("/teams/{a}/subscriptions/{sub_a}")).await;
    assert!(history.contains("Prov</strong> approved the subscription to Weather – Standard"));

    // Pending requests come first; active subscriptions, with End, have their own section after them.
    let page = provider_dev.html(&approvals).await;
    let at = |h: &str| page.find(h).unwrap_or_else(|| panic!("{h}: {page}"));
    assert!(at("<h2>Subscription requests</h2>") < at("<h2>Access requests</h2>"));
    assert!(at("<h2>Access requests</h2>") < at("<h2>Active subscriptions</h2>"));
    // Ending an active subscription needs a reason too.
    provider_dev
        .submit(&approvals, &act(&sub_a, "end"), &[])
        .await;
    assert_eq!(state_of(&app, &sub_a), "active");
    // Without JavaScript: a confirm page first, in the dialog's words, carrying the reason.
    let confirm = provider_dev
        .submit(
            &approvals,
            &act(&sub_a, "end"),
            &[("reason", "Contract over")],
        )
        .await;
    assert_eq!(confirm.status(), 200);
    let confirm = confirm.text().await.unwrap();
    assert!(
        confirm.contains("name=\"reason\" value=\"Contract over\""),
        "{confirm}"
    );
    assert_eq!(state_of(&app, &sub_a), "active", "not yet");
    provider_dev
        .submit(
            &approvals,
            &act(&sub_a, "end"),
            &[("reason", "Contract over"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(state_of(&app, &sub_a), "cancelled");
    let page = dev.html(&format!("/teams/{a}/subscriptions/{sub_a}")).await;
    assert!(page.contains("by the provider") && page.contains("Contract over"));
    assert!(page.contains("ended the subscription to Weather – Standard: Contract over"));
}

#[actix_web::test]
async fn viewers_look_and_other_teams_see_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = app.listing(&admin, "Weather", "automatic").await;
    let team = admin.create_team("Buyers").await;
    let viewer = app
        .member(
            &admin,
            "view@example.com",
            "Viewer",
            Some((&team, "viewer")),
        )
        .await;
    let other = admin.create_team("Others").await;
    let outsider = app
        .member(&admin, "out@example.com", "Out", Some((&other, "admin")))
        .await;

    let plans = viewer
        .html(&format!("/marketplace/products/{}/plans", l.product))
        .await;
    assert!(!plans.contains("Subscribe to Standard"));
    assert!(plans.contains("Subscribing takes the admin or developer role"));
    let res = viewer.subscribe(&l.product, &l.plan, &team).await;
    expect_page(
        res,
        422,
        "Only a team&#39;s admins and developers can subscribe.",
    )
    .await;
    assert!(
        app.state
            .store
            .subscriptions_of_team(team.parse().unwrap())
            .unwrap()
            .is_empty()
    );

    let sub = id_in(&location(
        &admin.subscribe(&l.product, &l.plan, &team).await,
    ));
    let show = format!("/teams/{team}/subscriptions/{sub}");
    let page = viewer.html(&show).await;
    assert!(!page.contains("Cancel subscription</button>"));
    let res = viewer
        .submit(&show, &format!("{show}/cancel"), &[("confirmed", "yes")])
        .await;
    expect_page(res, 403, "Viewers can look").await;
    assert_eq!(state_of(&app, &sub), "active");

    assert_eq!(
        outsider
            .get(&format!("/teams/{team}/subscriptions"))
            .await
            .status(),
        404
    );
    assert_eq!(outsider.get(&show).await.status(), 404);
    let res = outsider
        .submit("/", &format!("{show}/cancel"), &[("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 404);
    // Nor through their own team's path.
    assert_eq!(
        outsider
            .get(&format!("/teams/{other}/subscriptions/{sub}"))
            .await
            .status(),
        404
    );
    assert_eq!(state_of(&app, &sub), "active");
}

#[actix_web::test]
async fn a_provider_decides_only_for_its_own_products() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let x = app.listing(&admin, "Weather", "manual").await;
    let y = app.listing(&admin, "Maps", "manual").await;
    let consumer = admin.create_team("Buyers").await;
    let sub_y = id_in(&location(
        &admin.subscribe(&y.product, &y.plan, &consumer).await,
    ));
    let x_dev = app
        .member(
            &admin,
            "x@example.com",
            "X",
            Some((&x.provider, "developer")),
        )
        .await;
    let approvals_x = format!("/provider/{}/approvals", x.provider);
    assert!(!x_dev.html(&approvals_x).await.contains("Buyers"));
    for what in ["approve", "reject", "end"] {
        let res = x_dev
            .submit(
                &approvals_x,
                &format!("/provider/{}/subscriptions/{sub_y}/{what}", x.provider),
                &[("reason", "mine now")],
            )
            .await;
        assert_eq!(res.status(), 404, "{what}");
    }
    assert_eq!(state_of(&app, &sub_y), "requested");

    // The consumer team cannot approve its own request, and is not a provider.
    let buyer = app
        .member(
            &admin,
            "buyer@example.com",
            "Buyer",
            Some((&consumer, "admin")),
        )
        .await;
    let res = buyer
        .submit(
            "/",
            &format!("/provider/{consumer}/subscriptions/{sub_y}/approve"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        buyer
            .get(&format!("/provider/{consumer}/approvals"))
            .await
            .status(),
        404
    );
    assert_eq!(state_of(&app, &sub_y), "requested");
}

#[actix_web::test]
async fn unpublishing_keeps_existing_subscriptions() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = app.listing(&admin, "Weather", "automatic").await;
    let team = admin.create_team("Buyers").await;
    let dev = app
        .member(&admin, "dev@example.com", "Dev", Some((&team, "developer")))
        .await;
    let sub = id_in(&location(&dev.subscribe(&l.product, &l.plan, &team).await));
    let show = format!("/provider/{}/products/{}", l.provider, l.product);
    admin
        .submit(&show, &format!("{show}/unpublish"), &[("confirmed", "yes")])
        .await;

    let market = dev.html("/marketplace").await;
    assert!(!market.contains("Weather for everyone"), "{market}");
    assert_eq!(state_of(&app, &sub), "active");
    // The subscribed team still reads the product, marked as not listed, and cannot subscribe anew.
    let page = dev
        .html(&format!("/marketplace/products/{}/plans", l.product))
        .await;
    assert!(page.contains("not listed in the Marketplace"));
    assert!(!page.contains("Subscribe to Standard"));
    let res = dev.subscribe(&l.product, &l.plan, &team).await;
    assert_eq!(res.status(), 422);
    // A team without a subscription does not see it at all.
    let other = admin.create_team("Others").await;
    let outsider = app
        .member(&admin, "out@example.com", "Out", Some((&other, "admin")))
        .await;
    assert_eq!(
        outsider
            .get(&format!("/marketplace/products/{}", l.product))
            .await
            .status(),
        404
    );
}

#[actix_web::test]
async fn two_decisions_at_once_are_applied_one_after_the_other() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let l = app.listing(&admin, "Weather", "manual").await;
    let consumer = admin.create_team("Buyers").await;
    let sub = id_in(&location(
        &admin.subscribe(&l.product, &l.plan, &consumer).await,
    ));
    let approvals = format!("/provider/{}/approvals", l.provider);
    let token = admin.token(&approvals).await;
    let act = |what: &str| format!("/provider/{}/subscriptions/{sub}/{what}", l.provider);
    let (approve, reject) = (act("approve"), act("reject"));
    let (a, b) = futures_util::join!(
        admin.post(&approve, &token, &[]),
        admin.post(&reject, &token, &[("reason", "no")]),
    );
    assert_eq!(
        (a.status(), b.status()),
        (303.try_into().unwrap(), 303.try_into().unwrap())
    );
    let state = state_of(&app, &sub);
    assert!(state == "active" || state == "rejected", "{state}");
    let trail = app
        .state
        .store
        .subject_audit(
            agora::domain::audit::Subject::Subscription(sub.parse().unwrap()),
            10,
        )
        .unwrap();
    let decisions = trail
        .iter()
        .filter(|r| r.action == "subscription.approved" || r.action == "subscription.rejected")
        .count();
    assert_eq!(decisions, 1, "exactly one decision was recorded");
}

#[actix_web::test]
async fn an_active_subscription_offers_request_access_as_the_next_step() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "automatic").await;
    let page = admin
        .html(&format!(
            "/teams/{}/subscriptions/{}",
            c.team, c.subscription
        ))
        .await;
    assert!(
        page.contains("Next: request access for an application"),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "/marketplace/products/{}/resources/{}/request-access?subscription={}&#38;from=/teams/{}/subscriptions/{}",
            c.listing.product, c.listing.resource, c.subscription, c.team, c.subscription
        )),
        "{page}"
    );
    assert!(page.contains("Request Access to Forecast"), "{page}");
}
