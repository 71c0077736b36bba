//! The API's document is a contract. Its committed copy, `docs/openapi.json`,
//! is what clients were generated from: a change that would break them (an
//! operation gone or renamed, a newly required field or parameter, a field
//! of an answer gone) must come with a new `info.version` and its entry in
//! `docs/api.md`. The copy is kept equal to the served document, so every
//! change to the contract shows in review.
//!
//! After a deliberate change: `AGORA_BLESS_OPENAPI=1 cargo test --test
//! api_contract` rewrites the copy (breaking changes still need the version).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use agora::api::tap::Exchange;
use common::contract::Contract;
use serde_json::{Value, json};

const COPY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
const NOTES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md");

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            out.push((path.clone(), method.clone(), op));
        }
    }
    out
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or(&Value::Null),
        None => v,
    }
}

/// The properties and required fields of every object reachable from `v`,
/// by its place (`body.values`, `answer.items[]`); the parts of an `allOf`
/// (a flattened view) are one object.
type Shapes = BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>;

fn shapes(doc: &Value, v: &Value, at: String, out: &mut Shapes, depth: usize) {
    if depth > 12 {
        return;
    }
    let v = resolve(doc, v);
    if let Some(ps) = v["properties"].as_object() {
        let entry = out.entry(at.clone()).or_default();
        entry.0.extend(ps.keys().cloned());
        entry.1.extend(
            v["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().map(str::to_owned)),
        );
        for (name, p) in ps {
            shapes(doc, p, format!("{at}.{name}"), out, depth + 1);
        }
    }
    for key in ["items", "additionalProperties"] {
        if v[key].is_object() {
            shapes(doc, &v[key], format!("{at}[]"), out, depth + 1);
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for s in v[key].as_array().into_iter().flatten() {
            shapes(doc, s, at.clone(), out, depth + 1);
        }
    }
}

fn shapes_of(doc: &Value, v: &Value, root: &str) -> Shapes {
    let mut out = Shapes::new();
    shapes(doc, v, root.to_owned(), &mut out, 0);
    out
}

/// What in `new` breaks a client generated from `old`.
fn breaking(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let news = operations(new);
    for (path, method, was) in operations(old) {
        let name = format!("{} {path}", method.to_uppercase());
        let Some((_, _, now)) = news.iter().find(|(p, m, _)| *p == path && *m == method) else {
            out.push(format!("{name}: the operation is gone"));
            continue;
        };
        if was["operationId"] != now["operationId"] {
            out.push(format!(
                "{name}: operationId {} became {}",
                was["operationId"], now["operationId"]
            ));
        }
        let params = |op: &Value| -> BTreeSet<String> {
            op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["required"] == true)
                .map(|p| format!("{} ({})", p["name"], p["in"]))
                .collect()
        };
        for p in params(now).difference(&params(was)) {
            out.push(format!("{name}: parameter {p} is now required"));
        }
        if now["requestBody"]["required"] == true && was["requestBody"]["required"] != true {
            out.push(format!("{name}: a body is now required"));
        }
        for (ct, media) in now["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let before = shapes_of(old, &was["requestBody"]["content"][ct]["schema"], "body");
            for (at, (_, req)) in shapes_of(new, &media["schema"], "body") {
                if let Some((_, was_req)) = before.get(&at) {
                    for f in req.difference(was_req) {
                        out.push(format!("{name}: `{at}.{f}` is now required"));
                    }
                }
            }
        }
        for (status, r) in was["responses"].as_object().into_iter().flatten() {
            let r = resolve(old, r);
            for (ct, media) in r["content"].as_object().into_iter().flatten() {
                let now_schema = &resolve(new, &now["responses"][status])["content"][ct]["schema"];
                let after = shapes_of(new, now_schema, "answer");
                for (at, (props, _)) in shapes_of(old, &media["schema"], "answer") {
                    let kept = after.get(&at).map(|(p, _)| p.clone()).unwrap_or_default();
                    for f in props.difference(&kept) {
                        out.push(format!("{name} ({status}): `{at}.{f}` is gone"));
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn the_committed_document_changes_only_with_its_version() {
    let new = agora::api::document();
    let bless = std::env::var_os("AGORA_BLESS_OPENAPI").is_some();
    let old: Value = match std::fs::read_to_string(COPY) {
        Ok(text) => serde_json::from_str(&text).expect("docs/openapi.json is JSON"),
        Err(_) if bless => new.clone(),
        Err(e) => panic!("docs/openapi.json holds the last released document: {e}"),
    };
    let version = new["info"]["version"].as_str().unwrap().to_owned();
    let broken = breaking(&old, &new);
    assert!(
        broken.is_empty() || old["info"]["version"] != new["info"]["version"],
        "these changes break generated clients, yet info.version is still {version}:\n{}",
        broken.join("\n")
    );
    let notes = std::fs::read_to_string(NOTES).unwrap();
    assert!(
        notes.contains(&format!("## {version}")),
        "docs/api.md has no `## {version}` entry saying what changed"
    );
    if bless {
        let text = serde_json::to_string_pretty(&new).unwrap() + "\n";
        std::fs::write(COPY, text).unwrap();
        return;
    }
    assert!(
        old == new,
        "the served document differs from docs/openapi.json: check the change, then \
         rewrite the copy with AGORA_BLESS_OPENAPI=1 cargo test --test api_contract"
    );
}

#[test]
fn removing_an_operation_or_requiring_a_field_is_seen_as_breaking() {
    let old = agora::api::document();
    let mut gone = old.clone();
    gone["paths"]["/api/v1/teams/{team}/credentials"]
        .as_object_mut()
        .unwrap()
        .remove("get");
    assert_eq!(
        breaking(&old, &gone),
        ["GET /api/v1/teams/{team}/credentials: the operation is gone"]
    );
    let mut stricter = old.clone();
    stricter["components"]["schemas"]["ApplicationBody"]["required"] =
        json!(["name", "description"]);
    let found = breaking(&old, &stricter);
    assert!(
        found
            .iter()
            .any(|b| b.contains("`body.description` is now required")),
        "{found:?}"
    );
    let mut fewer = old.clone();
    fewer["components"]["schemas"]["CredentialView"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("state");
    let found = breaking(&old, &fewer);
    assert!(
        found.iter().any(|b| b.contains("`answer.state` is gone")),
        "{found:?}"
    );
    assert!(breaking(&old, &old).is_empty());
}

fn exchange(method: &str, pattern: &str, status: u16, body: Value) -> Exchange {
    Exchange {
        method: method.to_owned(),
        pattern: Some(pattern.to_owned()),
        path: pattern.to_owned(),
        status,
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: serde_json::to_vec(&body).unwrap().into(),
    }
}

#[test]
fn an_answer_outside_the_document_is_a_violation() {
    let contract = Contract::new();
    let teams = "/api/v1/teams";
    // An undocumented status.
    contract.hold(&exchange("GET", teams, 418, json!({})));
    // A body of another shape.
    contract.hold(&exchange("GET", teams, 200, json!({"items": [{"id": 1}]})));
    // A value outside an enum.
    let team =
        json!({"id": "x", "name": "n", "description": "", "provider": false, "role": "owner"});
    contract.hold(&exchange(
        "GET",
        teams,
        200,
        json!({"items": [team], "next_cursor": null}),
    ));
    // A header a client reads, undeclared.
    let mut x = exchange("GET", teams, 200, json!({"items": [], "next_cursor": null}));
    x.headers
        .push(("idempotent-replayed".to_owned(), "true".to_owned()));
    contract.hold(&x);
    // A problem sent as plain JSON.
    contract.hold(&exchange("GET", teams, 401, json!({"type": "x"})));
    let v = contract.violations();
    assert_eq!(v.len(), 5, "{v:#?}");
    assert!(v[0].contains("status 418 is not documented"), "{}", v[0]);
    assert!(v[1].contains("does not match"), "{}", v[1]);
    assert!(v[2].contains("does not match"), "{}", v[2]);
    assert!(
        v[3].contains("`idempotent-replayed` is sent but not declared"),
        "{}",
        v[3]
    );
    assert!(v[4].contains("content type `application/json`"), "{}", v[4]);
    // And a conforming answer is not.
    let ok = Contract::new();
    ok.hold(&exchange(
        "GET",
        teams,
        200,
        json!({"items": [], "next_cursor": null}),
    ));
    assert!(ok.violations().is_empty(), "{:?}", ok.violations());
}

#[actix_web::test]
async fn the_reference_page_renders_markdown_and_links_every_operation() {
    let app = common::spawn_app().await;
    let res = reqwest::get(format!("{}/api", app.base)).await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    // Markdown, not its marks: `code` is <code>, and no backtick is left.
    assert!(
        html.contains("<code>Authorization: Bearer &lt;API token&gt;</code>"),
        "the intro's code spans are rendered"
    );
    assert!(!html.contains('`'), "a backtick is shown raw");
    // Every operation has its own anchor, named by its operationId, and a
    // link to it from the list at the top.
    let doc = agora::api::document();
    for (path, method, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap();
        assert!(html.contains(&format!("id=\"{id}\"")), "{method} {path}");
        assert!(html.contains(&format!("href=\"#{id}\"")), "{method} {path}");
    }
    // Enums show their values.
    assert!(
        html.contains("<code>end-grace</code>"),
        "the action verbs are listed"
    );
}
