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
