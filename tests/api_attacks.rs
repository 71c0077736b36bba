//! The API's trust boundary as an attacker meets it: headers of their own
//! choosing, the token where the API does not take it, odd path encodings
//! sent raw (no client library tidies them), oversized bodies, and 40
//! requests at once.

mod common;

use std::io::{Read, Write};

use common::api::Api;
use common::*;
use serde_json::json;

/// Sends one raw HTTP/1.1 request and returns the status code.
fn raw(base: &str, request: &str) -> u16 {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

struct Two {
    app: TestApp,
    mine: String,
    theirs: String,
    my_token: String,
    their_token: String,
}

async fn two_teams() -> Two {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mine = admin.create_team("Mine").await;
    let theirs = admin.create_team("Theirs").await;
    let my_token = admin.team_token(&mine, "Mine bot", "read-write").await;
    let their_token = admin.team_token(&theirs, "Their bot", "read-write").await;
    let theirs_api = Api::new(&app.base, &their_token);
    let (status, _) = theirs_api
        .post(
            &format!("/teams/{theirs}/applications"),
            json!({"name": "Secret app"}),
        )
        .await;
    assert_eq!(status, 201);
    Two {
        app,
        mine,
        theirs,
        my_token,
        their_token,
    }
}

#[actix_web::test]
async fn a_client_cannot_choose_how_its_token_is_read() {
    let t = two_teams().await;
    let url = format!("{}/api/v1/teams/{}/applications", t.app.base, t.theirs);
    let c = reqwest::Client::new();
    let status = |r: reqwest::Response| r.status().as_u16();
    // A second Authorization header, whichever comes first.
    for (a, b) in [
        (t.their_token.as_str(), "garbage"),
        ("garbage", t.their_token.as_str()),
        (t.my_token.as_str(), t.their_token.as_str()),
    ] {
        let res = c
            .get(&url)
            .header("Authorization", format!("Bearer {a}"))
            .header("Authorization", format!("Bearer {b}"))
            .send()
            .await
            .unwrap();
        assert_eq!(status(res), 401, "two tokens sent");
    }
    // The token anywhere but the Authorization header is not read.
    let res = c
        .get(format!("{url}?access_token={}", t.their_token))
        .send()
        .await
        .unwrap();
    assert_eq!(status(res), 401);
    let res = c
        .get(&url)
        .header("Cookie", format!("agora_session={}", t.their_token))
        .send()
        .await
        .unwrap();
    assert_eq!(status(res), 401);
    let res = c
        .get(&url)
        .header("X-API-Key", &t.their_token)
        .send()
        .await
        .unwrap();
    assert_eq!(status(res), 401);
    let res = c
        .get(&url)
        .basic_auth(&t.their_token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(status(res), 401);
    // A gateway API key is not an API token, nor the other way round.
    let res = c
        .get(&url)
        .bearer_auth(t.their_token.replacen("agt_", "agora_", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(status(res), 401);
    // The scheme's case does not matter; the token's does.
    let res = c
        .get(&url)
        .header("Authorization", format!("bEaReR {}", t.their_token))
        .send()
        .await
        .unwrap();
    assert_eq!(status(res), 200);
    let res = c
        .get(&url)
        .bearer_auth(t.their_token.to_uppercase())
        .send()
        .await
        .unwrap();
    assert_eq!(status(res), 401);
}

#[actix_web::test]
async fn odd_path_encodings_never_reach_another_teams_objects() {
    let t = two_teams().await;
    let auth = format!("Authorization: Bearer {}\r\n", t.my_token);
    let (mine, theirs) = (&t.mine, &t.theirs);
    let encoded: String = theirs
        .chars()
        .map(|c| format!("%{:02X}", c as u32))
        .collect();
    for path in [
        format!("/api/v1/teams/{mine}/../{theirs}/applications"),
        format!("/api/v1/teams/{mine}/%2E%2E/{theirs}/applications"),
        format!("/api/v1/teams/{mine}%2F..%2F{theirs}/applications"),
        format!("/api/v1/teams/{encoded}/applications"),
        format!("/api/v1/teams/{}/applications", theirs.to_lowercase()),
        format!("/api/v1/teams/{theirs}%00/applications"),
        format!("/api/v1//teams/{theirs}/applications"),
        format!("http://127.0.0.1/api/v1/teams/{theirs}/applications"),
    ] {
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n");
        let status = raw(&t.app.base, &req);
        assert!(
            matches!(status, 400 | 404),
            "GET {path} with another team's token: {status}"
        );
    }
    // Their own team, written as plainly, is theirs.
    let req = format!(
        "GET /api/v1/teams/{theirs}/applications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        t.their_token
    );
    assert_eq!(raw(&t.app.base, &req), 200);
}

#[actix_web::test]
async fn bodies_past_the_bound_are_refused_without_a_server_error() {
    let t = two_teams().await;
    let api = Api::new(&t.app.base, &t.my_token);
    let huge = "x".repeat(200_000);
    let res = api
        .request(
            reqwest::Method::POST,
            &format!("/teams/{}/applications", t.mine),
        )
        .header("Content-Type", "application/json")
        .body(format!("{{\"name\":\"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 400 | 413),
        "{}",
        res.status()
    );
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let res = api
        .request(
            reqwest::Method::POST,
            &format!("/teams/{}/applications", t.mine),
        )
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let (_, list) = api.get(&format!("/teams/{}/applications", t.mine)).await;
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn forty_creates_at_once_make_one_object() {
    let t = two_teams().await;
    let api = Api::new(&t.app.base, &t.my_token);
    let path = format!("/teams/{}/applications", t.mine);
    // With one Idempotency-Key: one is made, the others replay it or are told it is in flight.
    let sends = (0..40).map(|_| {
        let (api, path) = (api.clone(), path.clone());
        async move {
            api.request(reqwest::Method::POST, &path)
                .header("Idempotency-Key", "same-key")
                .json(&json!({"name": "Checkout"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| matches!(s, 200 | 201 | 409)),
        "{statuses:?}"
    );
    // Without a key, one name is still taken once: the team's actor applies them in turn.
    let sends = (0..40).map(|_| {
        let (api, path) = (api.clone(), path.clone());
        async move { api.post(&path, json!({"name": "Billing"})).await.0 }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| matches!(s, 201 | 409)),
        "{statuses:?}"
    );
    let (_, list) = api.get(&path).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

/// The gateway's and the API's routes are matched before the pages': a path
/// under `/api/v1` that names nothing, raw or dot-encoded, gets the API's
/// problem answer, never a page; the pages and `/api` still answer as
/// pages.
#[actix_web::test]
async fn api_paths_that_name_nothing_get_the_apis_answer_not_a_page() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    for path in ["/api/v1/nothing", "/api/v1/teams/x/nothing", "/api/v1/"] {
        let res = client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            kind.starts_with("application/problem+json"),
            "{path}: {kind}"
        );
    }
    for path in [
        "/api/v1/%2e%2e/login",
        "/api/v1/../login",
        "/gateway/authorize/../../login",
    ] {
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert_ne!(raw(&app.base, &req), 200, "{path} reached a page");
    }
    for path in ["/api", "/login"] {
        let res = client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
    }
}

/// A team with two live API keys on the embedded data plane, and a script's
/// read-write token for it.
struct Rotation {
    app: TestApp,
    admin: Browser,
    api: Api,
    team: String,
    c1: String,
    c2: String,
    key2: String,
}

async fn rotation() -> Rotation {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (c1, _, _) = admin.create_credential(&h, "First", "api_key").await;
    let (c2, key2, _) = admin.create_credential(&h, "Second", "api_key").await;
    app.run_due().await;
    let token = admin
        .personal_token("Rotation script", "read-write", Some(&h.c.team))
        .await;
    Rotation {
        api: Api::new(&app.base, &token),
        team: h.c.team,
        app,
        admin,
        c1,
        c2,
        key2,
    }
}

/// POSTs `body` (raw JSON text) with an `Idempotency-Key`; the status,
/// whether it was a replay, and the answer.
async fn keyed(api: &Api, path: &str, key: &str, body: &str) -> (u16, bool, serde_json::Value) {
    let res = api
        .request(reqwest::Method::POST, path)
        .header("Idempotency-Key", key)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let replayed = res.headers().contains_key("idempotent-replayed");
    if res.status() == 422 {
        let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with("application/problem+json"), "{kind}");
    }
    let (status, body) = common::api::answer(res).await;
    (status, replayed, body)
}

impl Rotation {
    fn renew_path(&self, credential: &str) -> String {
        format!("/teams/{}/credentials/{credential}/renew", self.team)
    }

    async fn version(&self, credential: &str) -> serde_json::Value {
        let (status, c) = self
            .api
            .get(&format!("/teams/{}/credentials/{credential}", self.team))
            .await;
        assert_eq!(status, 200, "{c}");
        c["secret_version"].clone()
    }
}

fn reused(problem: &serde_json::Value) -> bool {
    problem["type"] == "urn:agora:problem:idempotency-key-reused"
        && problem["status"] == 422
        && problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Idempotency-Key"))
}

#[actix_web::test]
async fn one_idempotency_key_renews_one_credential_and_a_second_credential_is_refused_not_replayed()
{
    let r = rotation().await;
    let grace = r#"{"grace": "1h"}"#;
    let (status, replayed, first) = keyed(&r.api, &r.renew_path(&r.c1), "rotate-1", grace).await;
    assert_eq!((status, replayed), (200, false), "{first}");
    assert_eq!(first["secret_version"], 2);

    let (status, replayed, problem) = keyed(&r.api, &r.renew_path(&r.c2), "rotate-1", grace).await;
    assert_eq!((status, replayed), (422, false), "{problem}");
    assert!(reused(&problem), "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("another target"),
        "{problem}"
    );
    assert_eq!(r.version(&r.c2).await, 1, "the second key is not renewed");
    r.app.run_due().await;
    let old = gateway_status(&r.app, &r.key2).await;
    assert_eq!(old, 200, "the second credential's secret is unchanged");

    let (status, replayed, second) = keyed(&r.api, &r.renew_path(&r.c2), "rotate-2", grace).await;
    assert_eq!((status, replayed), (200, false), "{second}");
    assert_eq!(second["secret_version"], 2);
    let new_key = second["secret"].as_str().expect("the new secret");
    assert_ne!(new_key, r.key2);
    r.app.stop().await;
}

#[actix_web::test]
async fn an_idempotency_key_replays_only_the_same_request_and_refuses_another_body_or_route() {
    let r = rotation().await;
    let path = r.renew_path(&r.c1);
    let (status, _, first) = keyed(&r.api, &path, "rotate-1", r#"{"grace":"1h"}"#).await;
    assert_eq!(status, 200, "{first}");
    assert!(first["secret"].is_string(), "{first}");

    // The same request again (spacing aside): its result, renewed once.
    let (status, replayed, again) = keyed(&r.api, &path, "rotate-1", r#"{ "grace" : "1h" }"#).await;
    assert_eq!((status, replayed), (200, true), "{again}");
    assert_eq!(again["id"], first["id"]);
    assert!(again["secret"].is_null(), "a replay never shows the secret");
    assert_eq!(r.version(&r.c1).await, 2, "renewed once");

    // Another body: refused, nothing done.
    let (status, replayed, problem) = keyed(&r.api, &path, "rotate-1", r#"{"grace":"24h"}"#).await;
    assert_eq!((status, replayed), (422, false), "{problem}");
    assert!(reused(&problem), "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("another body"),
        "{problem}"
    );
    assert_eq!(r.version(&r.c1).await, 2);

    // Another route: refused, not a misleading 404, and nothing made.
    let apps = format!("/teams/{}/applications", r.team);
    let (status, replayed, problem) = keyed(&r.api, &apps, "rotate-1", r#"{"name":"Ops"}"#).await;
    assert_eq!((status, replayed), (422, false), "{problem}");
    assert!(reused(&problem), "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("another route"),
        "{problem}"
    );
    let (_, list) = r.api.get(&apps).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    r.app.stop().await;
}

#[actix_web::test]
async fn another_caller_s_idempotency_key_of_the_same_name_is_its_own() {
    let r = rotation().await;
    let path = r.renew_path(&r.c1);
    let body = r#"{"grace":"1h"}"#;
    let (status, _, first) = keyed(&r.api, &path, "rotate-1", body).await;
    assert_eq!(status, 200, "{first}");
    let other = Api::new(
        &r.app.base,
        &r.admin
            .team_token(&r.team, "Other script", "read-write")
            .await,
    );
    let (status, replayed, theirs) = keyed(&other, &path, "rotate-1", body).await;
    assert_eq!((status, replayed), (200, false), "{theirs}");
    assert_eq!(theirs["secret_version"], 3, "renewed again, by its own key");
    let secret = theirs["secret"].as_str().expect("its own new secret");
    assert_ne!(Some(secret), first["secret"].as_str());
    // Each replays its own result.
    let (_, replayed, mine) = keyed(&r.api, &path, "rotate-1", body).await;
    assert!(replayed && mine["secret"].is_null(), "{mine}");
    assert_eq!(r.version(&r.c1).await, 3);
    r.app.stop().await;
}

async fn gateway_status(app: &TestApp, key: &str) -> u16 {
    authorize(
        app,
        &[("X-API-Key", key), ("X-Original-URI", "/weather/today")],
    )
    .await
    .status()
    .as_u16()
}
