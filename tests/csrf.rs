//! Every POST route refuses a request without the session's CSRF token, and
//! such a request changes nothing.

mod common;

use common::*;

#[actix_web::test]
async fn every_post_route_refuses_a_missing_or_foreign_token() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Payments").await;
    let link = admin
        .invite("inv@example.com", "Inv", Some((&team, "viewer")))
        .await;
    let invitation = app.path_of(&link);
    let page = admin.html(&format!("/teams/{team}")).await;
    let me = user_id_in(&page, ADMIN_EMAIL);
    let people = admin.html("/admin/users").await;
    let invited = invited_user_id(&people);
    let l = app.listing(&admin, "Weather", "manual").await;
    let (pv, pr, rs, pl) = (&l.provider, &l.product, &l.resource, &l.plan);
    let res = admin.subscribe(pr, pl, &team).await;
    assert_eq!(res.status(), 303);
    let sub = location(&res).rsplit('/').next().unwrap().to_owned();
    let product_fields = vec![("name", "Forged"), ("summary", "Forged")];
    let app_id = admin.create_application(&team, "Mobile").await;
    let apps = format!("/teams/{team}/applications");
    let res = admin.request_access(pr, rs, &app_id, &sub, &[]).await;
    assert_eq!(res.status(), 422, "the subscription is not active yet");

    let routes: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/setup".into(),
            vec![
                ("email", "x@example.com"),
                ("display_name", "X"),
                ("password", "xxxxxxxxxxxx"),
                ("password_again", "xxxxxxxxxxxx"),
            ],
        ),
        (
            "/login".into(),
            vec![("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
        ),
        ("/logout".into(), vec![]),
        (
            "/account/password".into(),
            vec![
                ("current", ADMIN_PASSWORD),
                ("password", "changed password"),
                ("password_again", "changed password"),
            ],
        ),
        (
            invitation.clone(),
            vec![
                ("password", "invited password"),
                ("password_again", "invited password"),
            ],
        ),
        (
            format!("/teams/{team}/members"),
            vec![("email", "inv@example.com"), ("role", "admin")],
        ),
        (
            format!("/teams/{team}/members/{me}/role"),
            vec![("role", "viewer")],
        ),
        (format!("/teams/{team}/members/{me}/remove"), vec![]),
        (
            "/admin/teams/new".into(),
            vec![("name", "Forged"), ("admin_email", ADMIN_EMAIL)],
        ),
        (
            "/admin/users/new".into(),
            vec![("email", "forged@example.com"), ("display_name", "F")],
        ),
        (format!("/admin/users/{invited}/invitation"), vec![]),
        ("/admin/backups".into(), vec![]),
        (
            format!("/admin/teams/{pv}/provider"),
            vec![("provider", "no")],
        ),
        (
            format!("/marketplace/products/{pr}/plans/{pl}/subscribe"),
            vec![("team_id", &team)],
        ),
        (
            format!("/teams/{team}/subscriptions/{sub}/cancel"),
            vec![("confirmed", "yes")],
        ),
        (
            format!("/provider/{pv}/products/new"),
            product_fields.clone(),
        ),
        (format!("/provider/{pv}/products/{pr}/edit"), product_fields),
        (format!("/provider/{pv}/products/{pr}/publish"), vec![]),
        (format!("/provider/{pv}/products/{pr}/unpublish"), vec![]),
        (
            format!("/provider/{pv}/products/{pr}/resources/new"),
            vec![("name", "Forged"), ("route", "/forged/")],
        ),
        (
            format!("/provider/{pv}/products/{pr}/resources/{rs}"),
            vec![("name", "Forged"), ("route", "/forged/")],
        ),
        (
            format!("/provider/{pv}/products/{pr}/plans/new"),
            vec![("name", "Forged")],
        ),
        (
            format!("/provider/{pv}/products/{pr}/plans/{pl}"),
            vec![("name", "Forged")],
        ),
        (
            format!("/provider/{pv}/subscriptions/{sub}/approve"),
            vec![],
        ),
        (
            format!("/provider/{pv}/subscriptions/{sub}/reject"),
            vec![("reason", "forged")],
        ),
        (
            format!("/provider/{pv}/subscriptions/{sub}/end"),
            vec![("reason", "forged")],
        ),
        (format!("{apps}/new"), vec![("name", "Forged")]),
        (format!("{apps}/{app_id}/edit"), vec![("name", "Forged")]),
        (
            format!("{apps}/{app_id}/archive"),
            vec![("confirmed", "yes")],
        ),
        (
            format!("{apps}/{app_id}/delete"),
            vec![("confirmed", "yes")],
        ),
        (
            format!("/marketplace/products/{pr}/resources/{rs}/request-access"),
            vec![("application", &app_id), ("subscription", &sub)],
        ),
        (format!("/provider/{pv}/access/{app_id}/approve"), vec![]),
        (
            format!("/provider/{pv}/access/{app_id}/reject"),
            vec![("reason", "forged")],
        ),
        (
            format!("/provider/{pv}/access/{app_id}/provisioned"),
            vec![],
        ),
        (
            format!("/provider/{pv}/access/{app_id}/failed"),
            vec![("reason", "forged")],
        ),
        (format!("/provider/{pv}/access/{app_id}/retry"), vec![]),
        (
            format!("{apps}/{app_id}/access/{app_id}/credentials/new"),
            vec![("name", "Forged"), ("kind", "api_key")],
        ),
        (
            format!("/teams/{team}/credentials/{app_id}/view"),
            vec![("password", ADMIN_PASSWORD)],
        ),
        (
            format!("/teams/{team}/credentials/{app_id}/delete"),
            vec![("confirmed", "yes")],
        ),
        (
            format!("/provider/{pv}/credentials/{app_id}/delete"),
            vec![("reason", "forged")],
        ),
        (format!("/provider/{pv}/tasks/{app_id}/provisioned"), vec![]),
        (
            format!("/provider/{pv}/tasks/{app_id}/failed"),
            vec![("reason", "forged")],
        ),
        (format!("/provider/{pv}/tasks/{app_id}/retry"), vec![]),
        ("/notifications/read".into(), vec![]),
        (format!("/notifications/{app_id}/read"), vec![]),
        (
            "/account/tokens".into(),
            vec![("name", "Forged"), ("scope", "read-write")],
        ),
        (
            "/account/tokens/0123456789abcdef/revoke".into(),
            vec![("confirmed", "yes")],
        ),
        (
            format!("/teams/{team}/tokens"),
            vec![("name", "Forged"), ("scope", "read-write")],
        ),
        (
            format!("/teams/{team}/tokens/0123456789abcdef/revoke"),
            vec![("confirmed", "yes")],
        ),
        ("/password/forgot".into(), vec![("email", ADMIN_EMAIL)]),
        (
            "/password/reset/unknown-token".into(),
            vec![
                ("password", "forged passphrase"),
                ("password_again", "forged passphrase"),
            ],
        ),
        ("/account/email".into(), vec![("topics", "credentials")]),
        (
            format!("/teams/{team}/webhooks"),
            vec![
                ("url", "https://evil.example/in"),
                ("events", "credential.created"),
            ],
        ),
        (
            format!("/teams/{team}/webhooks/{app_id}"),
            vec![
                ("url", "https://evil.example/in"),
                ("events", "credential.created"),
            ],
        ),
        (format!("/teams/{team}/webhooks/{app_id}/test"), vec![]),
        (
            format!("/teams/{team}/webhooks/{app_id}/remove"),
            vec![("confirmed", "yes")],
        ),
        (
            format!("/teams/{team}/webhooks/{app_id}/deliveries/{app_id}/redeliver"),
            vec![],
        ),
        (
            format!("/provider/{pv}/credentials/suspend-all"),
            vec![("reason", "forged"), ("confirmed", "yes")],
        ),
        (
            format!("{apps}/{app_id}/suspend-credentials"),
            vec![("reason", "forged"), ("confirmed", "yes")],
        ),
    ];

    // Keep this list complete: it must name as many routes as the router has POST routes.
    // (The gateway's POST /oauth/token is a machine endpoint outside this router:
    // it has no session and authenticates the client itself. The JSON API's
    // routes take no cookie at all: tests/api_matrix.rs shows each refuses one.
    // POST /security/leaked-keys is a machine endpoint too: it reads no
    // session and takes only a body signed with its own secret, which
    // tests/incidents.rs attacks.)
    let router = include_str!("../src/web/mod.rs");
    assert_eq!(
        router.matches("web::post()").count() - 1,
        routes.len(),
        "a POST route is missing from this test"
    );

    let other_session_token = app.browser().token("/login").await;
    for (action, fields) in &routes {
        let res = admin.post_without_token(action, fields).await;
        assert_eq!(res.status(), 403, "{action} without a token");
        assert!(res.text().await.unwrap().contains("Form expired"));
        let res = admin.post(action, &other_session_token, fields).await;
        assert_eq!(res.status(), 403, "{action} with another visitor's token");
    }

    // Nothing changed.
    assert_eq!(admin.get("/").await.status(), 200, "still signed in");
    let me_id = me.parse().unwrap();
    assert!(
        app.state.store.tokens_of_user(me_id).unwrap().is_empty(),
        "no token made"
    );
    assert_eq!(app.state.store.users().unwrap().len(), 2);
    assert_eq!(app.state.store.teams().unwrap().len(), 2);
    let product = app
        .state
        .store
        .product(pr.parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(product.details.name, "Weather");
    assert!(product.is_published());
    assert_eq!(app.state.store.products().unwrap().len(), 1);
    assert_eq!(app.state.store.resources(product.id).unwrap().len(), 1);
    assert_eq!(app.state.store.plans(product.id).unwrap().len(), 1);
    let sub = app
        .state
        .store
        .subscription(sub.parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(sub.state.as_str(), "requested");
    assert!(
        app.state
            .store
            .team(pv.parse().unwrap())
            .unwrap()
            .unwrap()
            .provider
    );
    assert_eq!(
        app.state
            .store
            .members(team.parse().unwrap())
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.browser().get(&invitation).await.status(),
        200,
        "the invitation is unused"
    );
    assert_eq!(
        app.browser()
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        303,
        "password unchanged"
    );
}
