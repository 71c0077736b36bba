//! The JSON API as a script uses it: the seed journey with a token alone,
//! and its boundaries — tokens only (never the session cookie), other
//! teams' objects not found, read-only tokens refused, problems as
//! `application/problem+json`, cursor pages and `Idempotency-Key`.

mod common;

use std::time::Duration;

use common::api::Api;
use common::*;
use serde_json::{Value, json};

/// A provider (manual access approval) and a consumer team, each with a
/// token: the consumer's a read-write personal token of its admin.
struct Setup {
    app: TestApp,
    admin: Browser,
    provider: String,
    product: String,
    resource: String,
    plan: String,
    team: String,
    consumer: Api,
    provider_api: Api,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let provider = admin.create_team("Weather provider").await;
    admin.make_provider(&provider).await;
    let product = admin
        .create_product(&provider, "Weather", "Forecasts for everyone", "demo")
        .await;
    let resource = admin
        .add_resource(&provider, &product, "Forecast API", "/weather/", "manual")
        .await;
    let plan = admin
        .add_plan(&provider, &product, "Standard", &[&resource], "automatic")
        .await;
    assert_eq!(admin.publish(&provider, &product).await.status(), 303);
    let team = admin.create_team("Payments").await;
    let token = admin
        .personal_token("CI of Payments", "read-write", Some(&team))
        .await;
    let provider_token = admin
        .team_token(&provider, "Approvals bot", "read-write")
        .await;
    Setup {
        consumer: Api::new(&app.base, &token),
        provider_api: Api::new(&app.base, &provider_token),
        app,
        admin,
        provider,
        product,
        resource,
        plan,
        team,
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

async fn gateway(app: &TestApp, key: &str) -> u16 {
    authorize(
        app,
        &[("X-API-Key", key), ("X-Original-URI", "/weather/today")],
    )
    .await
    .status()
    .as_u16()
}

#[actix_web::test]
async fn the_seed_journey_runs_through_the_api_alone() {
    let s = setup().await;
    let (api, t) = (&s.consumer, &s.team);

    let (status, teams) = api.get("/teams").await;
    assert_eq!(status, 200);
    assert_eq!(teams["items"].as_array().unwrap().len(), 1, "{teams}");
    assert_eq!(teams["items"][0]["id"], json!(t));

    let (status, products) = api.get("/products").await;
    assert_eq!(status, 200);
    assert_eq!(products["items"][0]["plans"][0]["id"], json!(s.plan));

    let (status, app) = api
        .post(
            &format!("/teams/{t}/applications"),
            json!({"name": "Checkout", "description": "The shop"}),
        )
        .await;
    assert_eq!(status, 201, "{app}");
    let application = id(&app);

    let (status, sub) = api
        .post(
            &format!("/teams/{t}/subscriptions"),
            json!({"product": s.product, "plan": s.plan}),
        )
        .await;
    assert_eq!(
        (status, sub["state"].as_str()),
        (201, Some("active")),
        "{sub}"
    );

    let (status, access) = api
        .post(
            &format!("/teams/{t}/access-requests"),
            json!({
                "product": s.product, "resource": s.resource,
                "application": application, "subscription": id(&sub),
            }),
        )
        .await;
    assert_eq!(status, 201, "{access}");
    assert_eq!(access["approval"], "pending");
    assert_eq!(access["name"], "Checkout – Forecast API");

    // The provider approves with its service token.
    let (status, provided) = s
        .provider_api
        .get(&format!("/teams/{}/provided/access-requests", s.provider))
        .await;
    assert_eq!(status, 200);
    assert_eq!(provided["items"][0]["id"], access["id"]);
    let (status, approved) = s
        .provider_api
        .post(
            &format!(
                "/teams/{}/provided/access-requests/{}/approve",
                s.provider,
                id(&access)
            ),
            Value::Null,
        )
        .await;
    assert_eq!(
        (status, approved["approval"].as_str()),
        (200, Some("approved"))
    );
    s.app.run_due().await;

    let (status, made) = api
        .post(
            &format!("/teams/{t}/credentials"),
            json!({"application": application, "access": id(&access), "name": "CI key", "kind": "api_key"}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let key = made["secret"]
        .as_str()
        .expect("the key, shown once")
        .to_owned();
    assert!(key.starts_with("agora_"), "{key}");
    let credential = id(&made);
    let path = format!("/teams/{t}/credentials/{credential}");
    // The embedded plane may already have carried it out.
    assert!(
        matches!(made["state"].as_str(), Some("Pending" | "Active")),
        "{made}"
    );
    s.app.run_due().await;
    let (_, c) = api.get(&path).await;
    assert_eq!(c["state"], "Active", "{c}");
    assert!(c.get("secret").is_none(), "a read never shows the secret");
    assert_eq!(gateway(&s.app, &key).await, 200);

    let (status, c) = api.post(&format!("{path}/suspend"), Value::Null).await;
    assert_eq!(
        (status, c["desired"].as_str()),
        (200, Some("inactive")),
        "{c}"
    );
    assert_eq!(gateway(&s.app, &key).await, 403, "suspended at once");
    s.app.run_due().await;

    let (status, c) = api.post(&format!("{path}/enable"), Value::Null).await;
    assert_eq!(
        (status, c["desired"].as_str()),
        (200, Some("active")),
        "{c}"
    );
    s.app.run_due().await;
    assert_eq!(gateway(&s.app, &key).await, 200);

    let (status, renewed) = api
        .post(&format!("{path}/renew"), json!({"grace": "1h"}))
        .await;
    assert_eq!(status, 200, "{renewed}");
    let new_key = renewed["secret"].as_str().expect("the new key").to_owned();
    assert_ne!(new_key, key);
    assert_eq!(renewed["secret_version"], 2);
    s.app.run_due().await;
    assert_eq!(gateway(&s.app, &new_key).await, 200);
    assert_eq!(
        gateway(&s.app, &key).await,
        200,
        "the old key works for its grace"
    );

    let (status, revealed) = api.post(&format!("{path}/reveal"), Value::Null).await;
    assert_eq!(status, 200, "{revealed}");
    assert_eq!(revealed["secret"], json!(new_key));

    let (status, c) = api.post(&format!("{path}/delete"), Value::Null).await;
    assert_eq!(
        (status, c["state"].as_str()),
        (200, Some("Deleting")),
        "{c}"
    );
    assert_eq!(gateway(&s.app, &new_key).await, 401, "deleted at once");

    let (status, audit) = api.get(&format!("/teams/{t}/audit?limit=200")).await;
    assert_eq!(status, 200);
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    assert!(actions.contains(&"credential.viewed"), "{actions:?}");
}

#[actix_web::test]
async fn the_api_takes_tokens_only_never_the_session_cookie() {
    let s = setup().await;
    // A signed-in browser's cookie does not reach the API.
    let res = s.admin.get("/api/v1/teams").await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["type"], "urn:agora:problem:unauthenticated");
    for bad in [
        "agt_0123456789abcdef_".to_owned() + &"0".repeat(56),
        "agora_0123456789abcdef_".to_owned() + &"0".repeat(56),
        s.consumer.token.replacen("agt_", "agt_0", 1),
        String::new(),
    ] {
        let (status, body) = Api::new(&s.app.base, &bad).get("/teams").await;
        assert_eq!(status, 401, "{bad}: {body}");
    }
}

#[actix_web::test]
async fn other_teams_objects_are_not_found_and_read_tokens_cannot_write() {
    let s = setup().await;
    let t = &s.team;
    let (_, app) = s
        .consumer
        .post(
            &format!("/teams/{t}/applications"),
            json!({"name": "Checkout"}),
        )
        .await;
    let app_path = format!("/teams/{t}/applications/{}", id(&app));
    // The provider's service token reaches its own team only.
    for path in [
        format!("/teams/{t}"),
        app_path.clone(),
        format!("/teams/{t}/credentials"),
    ] {
        let (status, body) = s.provider_api.get(&path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["type"], "urn:agora:problem:not-found");
    }
    // A personal token limited to one team does not reach another of the person's.
    let (status, _) = s
        .consumer
        .get(&format!("/teams/{}/products", s.provider))
        .await;
    assert_eq!(status, 404);
    // A read-only token reads and never writes.
    let reader = Api::new(
        &s.app.base,
        &s.admin.personal_token("Reader", "read", None).await,
    );
    let (status, _) = reader.get(&app_path).await;
    assert_eq!(status, 200);
    let (status, body) = reader
        .post(
            &format!("/teams/{t}/applications"),
            json!({"name": "Other"}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["type"], "urn:agora:problem:forbidden");
    let (status, _) = reader
        .post(&format!("{app_path}/archive"), Value::Null)
        .await;
    assert_eq!(status, 403);
    let (_, list) = s.consumer.get(&format!("/teams/{t}/applications")).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "nothing was made"
    );
}

#[actix_web::test]
async fn bad_input_is_a_problem_with_field_errors_and_changes_nothing() {
    let s = setup().await;
    let t = &s.team;
    let (status, body) = s
        .consumer
        .post(&format!("/teams/{t}/applications"), json!({"name": ""}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["type"], "urn:agora:problem:invalid");
    assert!(body["errors"]["name"].is_string(), "{body}");
    let (status, body) = s
        .consumer
        .post(&format!("/teams/{t}/applications"), json!({"nom": "x"}))
        .await;
    assert_eq!(status, 400, "unknown fields are refused: {body}");
    let res = s
        .consumer
        .request(reqwest::Method::POST, &format!("/teams/{t}/applications"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let (status, _) = s
        .consumer
        .get(&format!("/teams/{t}/applications?limit=0"))
        .await;
    assert_eq!(status, 400);
    let (status, _) = s
        .consumer
        .get(&format!("/teams/{t}/applications?cursor=nope"))
        .await;
    assert_eq!(status, 400);
    let (status, _) = s.consumer.get("/teams/not-an-id").await;
    assert_eq!(status, 404);
    let (_, list) = s.consumer.get(&format!("/teams/{t}/applications")).await;
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn lists_come_a_page_at_a_time_in_creation_order() {
    let s = setup().await;
    let t = &s.team;
    for n in 0..5 {
        let (status, _) = s
            .consumer
            .post(
                &format!("/teams/{t}/applications"),
                json!({"name": format!("App {n}")}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let mut names = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = s
            .consumer
            .get(&format!("/teams/{t}/applications?limit=2&cursor={cursor}"))
            .await;
        assert_eq!(status, 200);
        for a in page["items"].as_array().unwrap() {
            names.push(a["name"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(names, ["App 0", "App 1", "App 2", "App 3", "App 4"]);
}

#[actix_web::test]
async fn a_retried_create_with_one_idempotency_key_makes_one_object() {
    let s = setup().await;
    let t = &s.team;
    let send = || async {
        let req = s
            .consumer
            .request(reqwest::Method::POST, &format!("/teams/{t}/applications"))
            .header("Idempotency-Key", "create-checkout-1")
            .json(&json!({"name": "Checkout"}));
        let res = req.send().await.unwrap();
        let replayed = res.headers().contains_key("idempotent-replayed");
        let (status, body) = common::api::answer(res).await;
        (status, replayed, body)
    };
    let (first, replayed, a) = send().await;
    assert_eq!((first, replayed), (201, false), "{a}");
    let (again, replayed, b) = send().await;
    assert_eq!((again, replayed), (200, true), "{b}");
    assert_eq!(a["id"], b["id"]);
    let (_, list) = s.consumer.get(&format!("/teams/{t}/applications")).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Another token's same key is its own.
    let other = Api::new(
        &s.app.base,
        &s.admin
            .personal_token("Other CI", "read-write", Some(t))
            .await,
    );
    let res = other
        .request(reqwest::Method::POST, &format!("/teams/{t}/applications"))
        .header("Idempotency-Key", "create-checkout-1")
        .json(&json!({"name": "Checkout"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        409,
        "the name is taken: a second create was tried"
    );
}

#[actix_web::test]
async fn revealing_needs_a_read_write_personal_token_and_revoked_or_expired_tokens_stop() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (cred, _, _) = admin.create_credential(&h, "Key", "api_key").await;
    let path = format!("/teams/{}/credentials/{cred}/reveal", h.c.team);
    let team_admin_token = admin.team_token(&h.c.team, "Bot", "read-write").await;
    let (status, body) = Api::new(&app.base, &team_admin_token)
        .post(&path, Value::Null)
        .await;
    assert_eq!(status, 403, "a service token acts for no person: {body}");
    let reader = admin.personal_token("Reader", "read", None).await;
    let (status, _) = Api::new(&app.base, &reader).post(&path, Value::Null).await;
    assert_eq!(status, 403);
    let writer = Api::new(
        &app.base,
        &admin.personal_token("Writer", "read-write", None).await,
    );
    let res = writer
        .request(reqwest::Method::POST, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");

    // Revoked: refused from the next call.
    let page = admin.html("/account/tokens").await;
    let token_id = writer.token.split('_').nth(1).unwrap().to_owned();
    assert!(page.contains(&token_id), "listed by its id");
    let res = admin
        .submit(
            "/account/tokens",
            &format!("/account/tokens/{token_id}/revoke"),
            &[("confirmed", "yes")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (status, _) = writer.get("/teams").await;
    assert_eq!(status, 401);

    // Expired: refused once its days are over.
    let short = admin
        .submit(
            "/account/tokens",
            "/account/tokens",
            &[
                ("name", "Short"),
                ("scope", "read"),
                ("expires_in_days", "1"),
            ],
        )
        .await;
    let to = location(&short);
    let html = admin.html(&to).await;
    let short = Api::new(&app.base, &input_value(&html, "secret"));
    assert_eq!(short.get("/teams").await.0, 200);
    app.advance(Duration::from_secs(86_400 + 1));
    let (status, body) = short.get("/teams").await;
    assert_eq!(status, 401);
    assert_eq!(body["detail"], "This token has expired.");
}

#[actix_web::test]
async fn the_openapi_document_is_served_and_names_every_route() {
    let s = setup().await;
    let res = reqwest::get(format!("{}/api/v1/openapi.json", s.app.base))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    let router = include_str!("../src/api/mod.rs");
    let mut routes = 0;
    let mut rest = router;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let path = rest.split('"').nth(1).unwrap();
        if path == "/openapi.json" {
            continue;
        }
        routes += 1;
        let full = format!("/api/v1{path}");
        let documented = paths.keys().any(|p| {
            let (a, b): (Vec<&str>, Vec<&str>) =
                (p.split('/').collect(), full.split('/').collect());
            a.len() == b.len()
                && a.iter()
                    .zip(&b)
                    .all(|(x, y)| x == y || (x.starts_with('{') && y.starts_with('{')))
        });
        assert!(documented, "{full} is not in the OpenAPI document");
    }
    assert!(routes > 30, "{routes}");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
