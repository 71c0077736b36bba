//! Schemathesis against the served OpenAPI document, on a seeded server with
//! a read-write token: no answer is a 5xx, and every answer conforms to the
//! document (status, content type, body). The document's path parameters
//! are narrowed to the seeded objects' ids, so the calls reach real teams,
//! applications and credentials instead of only 404s.
//!
//! Needs `schemathesis` (PyPI); `.ci/run` installs it. Without it the test
//! says so and passes on a developer machine, and fails under CI.

mod common;

use std::process::Command;

use common::*;
use serde_json::{Value, json};

fn schemathesis() -> Option<String> {
    let found = Command::new("schemathesis")
        .arg("--version")
        .output()
        .ok()?;
    found.status.success().then(|| "schemathesis".to_owned())
}

#[actix_web::test]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let Some(st) = schemathesis() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "schemathesis is missing under CI: .ci/run installs it"
        );
        eprintln!("skipped: schemathesis is not installed (pip install schemathesis)");
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (cred, _, _) = admin.create_credential(&h, "Fuzzed key", "api_key").await;
    app.run_due().await;
    let l = &h.c.listing;
    let token = admin.personal_token("Fuzzer", "read-write", None).await;

    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<(&str, Vec<String>)> = vec![
        ("team", vec![h.c.team.clone(), l.provider.clone()]),
        ("product", vec![l.product.clone()]),
        ("resource", vec![l.resource.clone()]),
        ("plan", vec![l.plan.clone()]),
        ("subscription", vec![h.c.subscription.clone()]),
        ("application", vec![h.c.application.clone()]),
        ("access", vec![h.access.clone()]),
        ("credential", vec![cred.clone()]),
    ];
    let mut doc = doc;
    for item in doc["paths"].as_object_mut().unwrap().values_mut() {
        for op in item.as_object_mut().unwrap().values_mut() {
            // `get_mut`: indexing a missing key would insert a null.
            let Some(params) = op.get_mut("parameters").and_then(|p| p.as_array_mut()) else {
                continue;
            };
            for p in params.iter_mut() {
                if p["in"] != "path" {
                    continue;
                }
                if let Some((_, values)) = ids.iter().find(|(n, _)| p["name"] == *n) {
                    p["schema"] = json!({"type": "string", "enum": values});
                }
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("openapi.json");
    std::fs::write(&schema, serde_json::to_vec(&doc).unwrap()).unwrap();

    let base = app.base.clone();
    let examples = std::env::var("AGORA_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "15".into());
    let out = actix_web::rt::task::spawn_blocking(move || {
        Command::new(st)
            .current_dir(dir.path())
            .args(["run", schema.to_str().unwrap(), "--url", &base])
            .args(["-H", &format!("Authorization: Bearer {token}")])
            .args([
                "-c",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            ])
            .args(["-n", &examples, "--seed", "7", "--no-color", "-w", "1"])
            .args(["--phases", "examples,coverage,fuzzing"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in text
        .lines()
        .filter(|l| l.contains(" generated, ") || l.contains("Missing test data"))
    {
        eprintln!("schemathesis: {}", line.trim());
    }
}
