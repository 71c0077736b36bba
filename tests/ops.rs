mod common;

use common::*;

#[actix_web::test]
async fn healthz_answers_json_when_storage_answers() {
    let app = spawn_app().await;
    let res = app.browser().get("/healthz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[actix_web::test]
async fn livez_answers_without_reading_storage() {
    let app = spawn_app().await;
    let res = app.browser().get("/livez").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    let b = app.browser();
    b.get("/setup").await;
    b.get("/teams/01KBCDEFGHJKMNPQRSTVWXYZ00").await;
    let text = b.get("/metrics").await.text().await.unwrap();
    assert!(text.contains("agora_build_info{version=\""), "{text}");
    assert!(
        text.contains(
            "agora_http_requests_total{method=\"GET\",route=\"/setup\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("route=\"/teams/{team_id}\",status=\"303\"} 1"),
        "raw paths never become labels: {text}"
    );
    assert!(
        text.contains("agora_http_request_duration_seconds_bucket{route=\"/setup\",le=\"+Inf\"} 1"),
        "{text}"
    );
}

#[actix_web::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let b = app.browser();
    for path in ["/setup", "/nope", "/static/agora.css", "/healthz"] {
        let res = b.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'")
                && csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
    }
}

#[actix_web::test]
async fn pages_use_no_inline_script_and_label_every_control() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Payments").await;
    for path in [
        "/",
        "/setup",
        "/login",
        "/account/password",
        "/admin/teams",
        "/admin/teams/new",
        "/admin/users",
        "/admin/users/new",
        &format!("/teams/{team}"),
    ] {
        let res = admin.get(path).await;
        let html = res.text().await.unwrap();
        assert!(
            !html.contains("<script>") && !html.contains("onclick="),
            "{path}"
        );
        // Every visible control has a label pointing at its id.
        for tag in ["<input ", "<select ", "<textarea "] {
            for part in html.split(tag).skip(1) {
                let head = &part[..part.find('>').unwrap()];
                if head.contains("type=\"hidden\"") {
                    continue;
                }
                let id = head
                    .split("id=\"")
                    .nth(1)
                    .map(|r| &r[..r.find('"').unwrap()])
                    .unwrap_or_else(|| panic!("{path}: control without id: {head}"));
                assert!(
                    html.contains(&format!("for=\"{id}\"")),
                    "{path}: no label for {id}"
                );
            }
        }
    }
}

#[actix_web::test]
async fn static_files_are_served_from_the_binary() {
    let app = spawn_app().await;
    let res = app.browser().get("/static/agora.css").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(
        app.browser().get("/static/../Cargo.toml").await.status(),
        404
    );
}

#[actix_web::test]
async fn an_oversized_form_is_refused() {
    let app = spawn_app().await;
    let b = app.browser();
    let token = b.token("/setup").await;
    // Within the body limit, a field past its own limit gets its message.
    let long = "x".repeat(100_000);
    let res = b.post("/setup", &token, &[("email", long.as_str())]).await;
    assert_eq!(res.status(), 422);
    // Past the body limit, a page that says the limit.
    let huge = "x".repeat(1_400_000);
    let res = b.post("/setup", &token, &[("email", huge.as_str())]).await;
    expect_page(res, 413, "at most 1.25 MiB").await;
    assert!(!app.state.store.has_users());
}

/// A gauge's value in the metrics text.
fn gauge(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} in {text}"))
}

#[actix_web::test]
async fn metrics_report_open_provisioning_work_and_the_gateways_credentials() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let text = admin.get("/metrics").await.text().await.unwrap();
    let flushes = gauge(&text, "agora_store_flushes_total");
    let answers = gauge(&text, "agora_store_flush_answers_total");
    admin.create_credential(&h, "CI key", "api_key").await;
    admin.create_credential(&h, "CI key 2", "api_key").await;
    app.run_due().await;
    let text = admin.get("/metrics").await.text().await.unwrap();
    assert_eq!(gauge(&text, "agora_provisioning_tasks"), 0.0);
    assert_eq!(gauge(&text, "agora_gateway_credentials"), 2.0);
    // Each create was answered after a flush: the flushing thread counts them.
    assert!(text.contains("# TYPE agora_store_flushes_total counter"));
    assert!(gauge(&text, "agora_store_flushes_total") >= flushes + 2.0);
    assert!(gauge(&text, "agora_store_flush_answers_total") >= answers + 2.0);
    assert!(gauge(&text, "agora_store_flush_seconds_total") > 0.0);

    // Work handed to people stays open until they mark it done.
    let app = spawn_app_with(&[("AGORA_DATAPLANES__OPS__KIND", "manual")]).await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "ops", "automatic").await;
    let res = admin.request_access_for(&c).await;
    assert_eq!(res.status(), 303);
    app.run_due().await;
    let text = admin.get("/metrics").await.text().await.unwrap();
    assert_eq!(gauge(&text, "agora_provisioning_tasks"), 1.0);
    assert_eq!(gauge(&text, "agora_gateway_credentials"), 0.0);
}

/// 40 requests at once with made-up methods: none becomes a series of its
/// own; provisioning outcomes per data plane, the process and the backup's
/// age are reported.
#[actix_web::test]
async fn metrics_keep_a_fixed_set_of_series_and_report_work_and_backups() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let client = reqwest::Client::new();
    let sends = (0..40).map(|i| {
        let method = reqwest::Method::from_bytes(format!("X{i}ATTACK").as_bytes()).unwrap();
        client.request(method, format!("{}/teams", app.base)).send()
    });
    for res in futures_util::future::join_all(sends).await {
        assert!(res.unwrap().status().is_client_error());
    }
    let h = app.holder(&admin, "embedded").await;
    admin.create_credential(&h, "counted", "api_key").await;
    app.run_due().await;
    let text = admin.get("/metrics").await.text().await.unwrap();
    assert!(!text.contains("ATTACK"), "{text}");
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(
        text.contains(
            "agora_work_total{work=\"provisioning\",target=\"embedded\",outcome=\"done\"}"
        ),
        "{text}"
    );
    for name in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
    ] {
        assert!(gauge(&text, name) > 0.0, "{name}");
    }
    assert_eq!(gauge(&text, "agora_backup_age_seconds"), -1.0);
    let res = admin.submit("/admin/backups", "/admin/backups", &[]).await;
    assert_eq!(res.status(), 303);
    app.advance(std::time::Duration::from_secs(90));
    let text = admin.get("/metrics").await.text().await.unwrap();
    assert_eq!(gauge(&text, "agora_backup_age_seconds"), 90.0);
}

#[actix_web::test]
async fn metrics_can_require_a_bearer_token() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.token");
    std::fs::write(&file, "a-long-scraper-token-1234\n").unwrap();
    let app = spawn_app_with(&[("AGORA_METRICS__TOKEN_FILE", file.to_str().unwrap())]).await;
    let client = reqwest::Client::new();
    let url = format!("{}/metrics", app.base);
    let res = client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(!res.text().await.unwrap().contains("agora_"));
    for wrong in ["a-long-scraper-token-123", "a-long-scraper-token-12345", ""] {
        let res = client.get(&url).bearer_auth(wrong).send().await.unwrap();
        assert_eq!(res.status(), 401, "{wrong:?}");
    }
    let res = client
        .get(&url)
        .bearer_auth("a-long-scraper-token-1234")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("agora_build_info"));
    // A session cookie is no substitute.
    let admin = app.admin().await;
    assert_eq!(admin.get("/metrics").await.status(), 401);
}
