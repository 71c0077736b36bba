//! What `/gateway/authorize` trusts: only the header the configured proxy
//! writes, the path read one canonical way, and routes that never nest
//! across products. The same attacks through real proxies are in
//! tests/proxies.rs.

mod common;

use common::*;

async fn status(app: &TestApp, headers: &[(&str, &str)]) -> u16 {
    authorize(app, headers).await.status().as_u16()
}

async fn body(app: &TestApp, headers: &[(&str, &str)]) -> (u16, String) {
    let res = authorize(app, headers).await;
    let s = res.status().as_u16();
    (s, res.text().await.unwrap())
}

#[actix_web::test]
async fn a_client_chosen_resource_header_is_ignored_unless_the_deployment_says_its_proxy_sets_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (_, key, _) = admin.create_credential(&h, "Key", "api_key").await;
    app.run_due().await;
    let weather = h.c.listing.resource.as_str();
    let spoofed = [
        ("X-API-Key", key.as_str()),
        ("X-Agora-Resource", weather),
        ("X-Original-URI", "/billing/invoices"),
    ];
    assert_eq!(
        status(&app, &spoofed).await,
        403,
        "the header chose nothing"
    );
    let without_uri = [("X-API-Key", key.as_str()), ("X-Agora-Resource", weather)];
    assert_eq!(
        status(&app, &without_uri).await,
        400,
        "no URI: a deployment error"
    );

    let app = spawn_app_with(&[("AGORA_GATEWAY__RESOURCE_HEADER", "true")]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (_, key, _) = admin.create_credential(&h, "Key", "api_key").await;
    app.run_due().await;
    let weather = h.c.listing.resource.as_str();
    let named = [("X-API-Key", key.as_str()), ("X-Agora-Resource", weather)];
    assert_eq!(status(&app, &named).await, 200, "the proxy's own header");
    let only_uri = [
        ("X-API-Key", key.as_str()),
        ("X-Original-URI", "/weather/x"),
    ];
    assert_eq!(
        status(&app, &only_uri).await,
        400,
        "the header is then required"
    );
    let twice = reqwest::Client::new()
        .get(format!("{}/gateway/authorize", app.base))
        .header("X-API-Key", &key)
        .header("X-Agora-Resource", weather)
        .header("X-Agora-Resource", weather)
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 400, "appended, not overwritten");
}

#[actix_web::test]
async fn only_the_configured_proxys_uri_header_is_read() {
    // nginx (the default): X-Original-URI alone.
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (_, key, _) = admin.create_credential(&h, "Key", "api_key").await;
    app.run_due().await;
    let k = key.as_str();
    assert_eq!(
        status(&app, &[("X-API-Key", k), ("X-Original-URI", "/weather/x")]).await,
        200
    );
    let (s, why) = body(&app, &[("X-API-Key", k), ("X-Forwarded-Uri", "/weather/x")]).await;
    assert_eq!((s, why.as_str()), (400, "the proxy sent no X-Original-URI"));
    let both = [
        ("X-API-Key", k),
        ("X-Forwarded-Uri", "/weather/x"),
        ("X-Original-URI", "/billing/x"),
    ];
    assert_eq!(
        status(&app, &both).await,
        403,
        "X-Forwarded-Uri changes nothing"
    );
    let twice = reqwest::Client::new()
        .get(format!("{}/gateway/authorize", app.base))
        .header("X-API-Key", k)
        .header("X-Original-URI", "/weather/x")
        .header("X-Original-URI", "/billing/x")
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 400, "a URI header sent twice");
    let appended = reqwest::Client::new()
        .get(format!("{}/gateway/authorize/weather/x", app.base))
        .header("X-API-Key", k)
        .send()
        .await
        .unwrap();
    assert_eq!(appended.status(), 400, "the appended path is Envoy's alone");

    // Caddy and Traefik: X-Forwarded-Uri alone.
    for proxy in ["caddy", "traefik"] {
        let app = spawn_app_with(&[("AGORA_GATEWAY__PROXY", proxy)]).await;
        let admin = app.admin().await;
        let h = app.holder(&admin, "embedded").await;
        let (_, key, _) = admin.create_credential(&h, "Key", "api_key").await;
        app.run_due().await;
        let k = key.as_str();
        let ok = [("X-API-Key", k), ("X-Forwarded-Uri", "/weather/x")];
        assert_eq!(status(&app, &ok).await, 200, "{proxy}");
        let spoof = [
            ("X-API-Key", k),
            ("X-Original-URI", "/weather/x"),
            ("X-Forwarded-Uri", "/billing/x"),
        ];
        assert_eq!(
            status(&app, &spoof).await,
            403,
            "{proxy}: X-Original-URI is a client's"
        );
        let only = [("X-API-Key", k), ("X-Original-URI", "/weather/x")];
        assert_eq!(status(&app, &only).await, 400, "{proxy}");
    }

    // Envoy: the appended path alone.
    let app = spawn_app_with(&[("AGORA_GATEWAY__PROXY", "envoy")]).await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (_, key, _) = admin.create_credential(&h, "Key", "api_key").await;
    app.run_due().await;
    let call = |path: &'static str, uri: &'static str| {
        let (base, key) = (app.base.clone(), key.clone());
        async move {
            reqwest::Client::new()
                .get(format!("{base}/gateway/authorize{path}"))
                .header("X-API-Key", key)
                .header("X-Original-URI", uri)
                .header("X-Forwarded-Uri", uri)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(call("/weather/today?city=Oslo", "/billing/").await, 200);
    assert_eq!(call("/billing/x", "/weather/x").await, 403);
    assert_eq!(call("", "/weather/x").await, 403, "no path: not a resource");
}

#[actix_web::test]
async fn a_path_is_read_one_canonical_way_and_ambiguous_ones_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (_, key, _) = admin.create_credential(&h, "Key", "api_key").await;
    // A second API of another provider, beside /weather/.
    app.listing(&admin, "Billing", "automatic").await;
    app.run_due().await;
    for (uri, expected) in [
        ("/weather/today?city=Oslo", 200),
        ("/weather", 200),
        ("/weather/", 200),
        ("/weather/a/../today", 200),
        ("/weather/./today", 200),
        ("/%77eather/today", 200),
        ("/weather/a%20b", 200),
        ("/weatherx", 403),
        ("/weatherx/today", 403),
        ("/Weather/today", 403),
        ("/billing/x", 403),
        ("/weather/../billing/x", 403),
        ("/weather/%2e%2e/billing/x", 403),
        ("/weather/.%2E/billing/x", 403),
        ("/weather%2F..%2Fbilling/x", 403),
        ("/weather/..%2fbilling/x", 403),
        ("/weather/..%5Cbilling/x", 403),
        ("/weather/..\\billing/x", 403),
        ("/weather/%00", 403),
        ("/weather/%0d%0aX: y", 403),
        ("/weather/%", 403),
        ("/weather/%zz", 403),
        ("/weather//x", 403),
        ("//weather/x", 403),
        ("/../weather/x", 403),
        ("/weather/../../weather/x", 403),
        ("http://api.example.com/weather/x", 403),
        ("weather/x", 403),
        ("*", 403),
    ] {
        let (s, why) = body(&app, &[("X-API-Key", &key), ("X-Original-URI", uri)]).await;
        assert_eq!(s, expected, "{uri}: {why}");
    }
    let (_, why) = body(&app, &[("X-API-Key", &key), ("X-Original-URI", "/a%2Fb")]).await;
    assert_eq!(why, "path refused: encoded slash or backslash");
}

#[actix_web::test]
async fn routes_of_different_products_never_nest_drafts_included() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.listing(&admin, "Weather", "automatic").await;
    let other = admin.create_team("Other provider").await;
    admin.make_provider(&other).await;
    let draft = admin.create_product(&other, "Rival", "A draft", "x").await;
    let page = format!("/provider/{other}/products/{draft}/resources/new");
    let add = |route: &'static str| {
        let (admin, page) = (&admin, page.clone());
        async move {
            admin
                .submit(
                    &page,
                    &page,
                    &[
                        ("name", "Nested"),
                        ("route", route),
                        ("dataplane", "embedded"),
                        ("credential_types", "api_key"),
                        ("access_approval", "automatic"),
                        ("rows", "0"),
                        ("action", "save"),
                    ],
                )
                .await
        }
    };
    for route in ["/weather/v2/", "/weather/v2/deep/"] {
        let res = add(route).await;
        assert_eq!(res.status(), 422, "{route} inside /weather/");
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&format!("The route {route} overlaps /weather/")),
            "{html}"
        );
    }
    // A draft's route blocks a published product's wider one, too.
    assert_eq!(add("/maps/v2/").await.status(), 303);
    let third = admin.create_team("Third provider").await;
    admin.make_provider(&third).await;
    let maps = admin.create_product(&third, "Maps", "Maps", "x").await;
    let page = format!("/provider/{third}/products/{maps}/resources/new");
    let res = admin
        .submit(
            &page,
            &page,
            &[
                ("name", "Maps"),
                ("route", "/maps/"),
                ("dataplane", "embedded"),
                ("credential_types", "api_key"),
                ("access_approval", "automatic"),
                ("rows", "0"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("overlaps /maps/v2/"));
    // Neighbours on whole segments do not overlap; nesting within one product is allowed.
    assert_eq!(add("/weatherx/").await.status(), 303);
    assert_eq!(add("/maps/v2/admin/").await.status(), 303);
}

#[actix_web::test]
async fn only_published_products_take_calls() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (_, key, _) = admin.create_credential(&h, "Key", "api_key").await;
    app.run_due().await;
    let call = [
        ("X-API-Key", key.as_str()),
        ("X-Original-URI", "/weather/today"),
    ];
    assert_eq!(status(&app, &call).await, 200);
    let l = &h.c.listing;
    let page = format!("/provider/{}/products/{}", l.provider, l.product);
    let res = admin
        .submit(&page, &format!("{page}/unpublish"), &[("confirmed", "yes")])
        .await;
    assert_eq!(res.status(), 303);
    let (s, why) = body(&app, &call).await;
    assert_eq!((s, why.as_str()), (403, "unknown resource"));
    assert_eq!(admin.publish(&l.provider, &l.product).await.status(), 303);
    assert_eq!(status(&app, &call).await, 200);
}
