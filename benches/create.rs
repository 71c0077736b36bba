//! Create Credential alone, through the JSON API and the page, against the
//! release binary: one consumer team with provisioned access on the
//! embedded data plane, 16 connections, each create flushed before it is
//! answered. A quick loop for work on the create path; the figures of
//! record come from the `load` bench on its realistic database.
//!
//! Run: `cargo bench --bench create`. `AGORA_LOAD_SECONDS` sets the seconds
//! per run (default 5), `AGORA_CREATE_CONCURRENCY` the connections (16).
//! The server's pid and each phase go to stderr, for `perf record -p`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use common::binary::{Binary, free_port};
use common::load::{Flushes, MakeRequest, drive_for, gauges};
use common::*;

fn main() {
    let secs: u64 = std::env::var("AGORA_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let concurrency: usize = std::env::var("AGORA_CREATE_CONCURRENCY")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16);
    let (dir, holder) = actix_web::rt::System::new().block_on(async {
        let app = spawn_app_with(&[("AGORA_LOG__LEVEL", "error")]).await;
        let admin = app.admin().await;
        let holder = app.holder(&admin, "embedded").await;
        (app.stop().await, holder)
    });
    let (server, _) = Binary::start(dir.path(), free_port(), &[]);
    let base = server.base.clone();
    eprintln!("server: pid {}", server.pid());

    actix_web::rt::System::new().block_on(async {
        let person = Browser::at(&base);
        let res = person.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(res.status(), 303);
        let cookie = session_cookie(&res)
            .split(';')
            .next()
            .expect("a cookie pair")
            .to_owned();
        let api_token = person.personal_token("Create", "read-write", None).await;
        let api: MakeRequest = {
            let url = format!("{base}/api/v1/teams/{}/credentials", holder.c.team);
            let (app, access) = (holder.c.application.clone(), holder.access.clone());
            Arc::new(move |c: &reqwest::Client, w, i| {
                c.post(&url)
                    .bearer_auth(&api_token)
                    .json(&serde_json::json!({
                        "application": app,
                        "access": access,
                        "name": format!("api {w}-{i}"),
                        "kind": "api_key",
                    }))
            })
        };
        let page: MakeRequest = {
            let path = holder.new_credential_path();
            let url = format!("{base}{path}");
            let token = person.token(&path).await;
            Arc::new(move |c: &reqwest::Client, w, i| {
                c.post(&url).header("cookie", &cookie).form(&[
                    ("name", format!("page {w}-{i}")),
                    ("kind", "api_key".to_owned()),
                    ("csrf", token.clone()),
                ])
            })
        };
        drive_for(1, concurrency, api.clone(), 201).await;
        eprintln!("phase: API create credential");
        let before = gauges(&base).await;
        let api_run = drive_for(secs, concurrency, api, 201).await;
        let api_flushes = Flushes::between(&before, &gauges(&base).await);
        eprintln!("phase: Create Credential POST");
        let before = gauges(&base).await;
        let page_run = drive_for(secs, concurrency, page, 303).await;
        let page_flushes = Flushes::between(&before, &gauges(&base).await);
        println!("| route | concurrency | requests/s | p50 | p99 | errors |");
        println!("|---|---|---|---|---|---|");
        println!(
            "| API: `POST` create credential (flushed) | {concurrency} | {} |",
            api_run.cells()
        );
        println!(
            "| Create Credential POST (flushed) | {concurrency} | {} |",
            page_run.cells()
        );
        println!(
            "flushes during the API's create: {api_flushes}; during the page's: {page_flushes}"
        );
    });
    server.stop();
}
