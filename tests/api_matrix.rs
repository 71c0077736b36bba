//! The API's authorisation census, read from its router so a new route
//! cannot be forgotten: every route refuses the session cookie (401: no
//! cookie auth, so no CSRF either); another team's token finds none of this
//! team's objects (404); a viewer's token and a read-only token change
//! nothing (403/404), while they read.

mod common;

use common::api::Api;
use common::*;
use serde_json::json;

/// (method, pattern) of every route of `/api/v1`, read from the router.
fn api_routes() -> Vec<(String, String)> {
    let router = include_str!("../src/api/mod.rs");
    let mut out = Vec::new();
    let mut rest = router;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let path = rest.split('"').nth(1).unwrap().to_owned();
        let call = &rest[..rest.find(".to(").unwrap()];
        let method = ["get", "post", "put", "delete"]
            .into_iter()
            .find(|m| call.contains(&format!("web::{m}()")))
            .unwrap();
        out.push((method.to_uppercase(), path));
    }
    out
}

#[actix_web::test]
async fn every_api_route_refuses_cookies_other_teams_and_readers() {
    let routes = api_routes();
    assert!(routes.len() > 35, "{routes:?}");
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (cred, _, _) = admin.create_credential(&h, "Matrix key", "api_key").await;
    app.run_due().await;
    let l = &h.c.listing;
    let viewer = app
        .member(
            &admin,
            "viewer@example.com",
            "Viewer",
            Some((&h.c.team, "viewer")),
        )
        .await;
    let viewer_api = Api::new(
        &app.base,
        &viewer.personal_token("Viewer's", "read-write", None).await,
    );
    let reader = Api::new(
        &app.base,
        &admin.personal_token("Reader", "read", None).await,
    );
    let other = admin.create_team("Others").await;
    let outsider = Api::new(
        &app.base,
        &admin.team_token(&other, "Other bot", "read-write").await,
    );
    let note = "01KDVDNA000000000000000000";
    let hooks = format!("/teams/{}/webhooks", h.c.team);
    let res = admin
        .submit(
            &hooks,
            &hooks,
            &[
                ("url", "https://hooks.example.com/agora"),
                ("events", "credential.created"),
            ],
        )
        .await;
    let endpoint = location(&res).split('/').rev().nth(1).unwrap().to_owned();
    let fill = |pattern: &str, team: &str| -> String {
        pattern
            .replace("{team}", team)
            .replace("{product}", &l.product)
            .replace("{resource}", &l.resource)
            .replace("{plan}", &l.plan)
            .replace("{subscription}", &h.c.subscription)
            .replace("{application}", &h.c.application)
            .replace("{access}", &h.access)
            .replace("{credential}", &cred)
            .replace("{notification}", note)
            .replace("{action}", "suspend")
            .replace("{decision}", "approve")
            .replace("{publishing}", "unpublish")
            .replace("{endpoint}", &endpoint)
            .replace("{delivery}", note)
            .replace("{consumer}", &h.c.team)
    };
    let before = || {
        let c = app
            .state
            .store
            .credential(cred.parse().unwrap())
            .unwrap()
            .unwrap();
        let team = h.c.team.parse().unwrap();
        (
            c.desired,
            app.state.store.applications_of(team).unwrap().len(),
            app.state.store.subscriptions_of_team(team).unwrap().len(),
            app.state.store.products().unwrap().len(),
            app.state
                .store
                .product(l.product.parse().unwrap())
                .unwrap()
                .unwrap()
                .state,
        )
    };
    let was = before();
    let body = json!({});
    for (method, pattern) in &routes {
        if pattern == "/openapi.json" {
            continue;
        }
        let method: reqwest::Method = method.parse().unwrap();
        // The consumer team's objects, and the provider's for provider routes.
        let own_team = if pattern.contains("/products") && pattern.starts_with("/teams/")
            || pattern.contains("/provided/")
        {
            &l.provider
        } else {
            &h.c.team
        };
        let path = fill(pattern, own_team);
        let url = format!("{}/api/v1{path}", app.base);

        // The signed-in admin's cookie (and a valid CSRF token) is not enough.
        let csrf = admin.token("/notifications").await;
        let res = admin
            .client
            .request(method.clone(), &url)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            401,
            "{method} {pattern} with a session cookie"
        );

        // Another team's token: nothing of this team is there.
        if pattern.contains("{team}") {
            let res = outsider
                .request(method.clone(), &path)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 404, "{method} {pattern} by another team");
        }

        // A viewer and a read-only token: no change of the team's gets through.
        let of_team = pattern.contains("{team}");
        for (who, api) in [("viewer", &viewer_api), ("read-only", &reader)] {
            if !of_team && who == "viewer" {
                continue;
            }
            let res = api
                .request(method.clone(), &path)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            if method == reqwest::Method::GET {
                // Viewers read neither the provider's side nor the team's
                // webhooks (its admins' business).
                let reachable = who == "read-only"
                    || !pattern.contains("/provided/")
                        && !pattern.starts_with("/teams/{team}/products")
                        && !pattern.contains("/webhooks");
                if reachable {
                    assert_eq!(status, 200, "GET {pattern} by a {who} token");
                }
            } else {
                assert!(
                    matches!(status, 400 | 403 | 404),
                    "{method} {pattern} by a {who} token: {status}"
                );
            }
        }
    }
    assert_eq!(before(), was, "nothing changed");
}
