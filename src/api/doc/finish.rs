//! What every operation of the API shares, added to the generated document
//! in one place. Which problem answers an operation can give follows from
//! what it takes: a query, a body or an `Idempotency-Key` can be malformed
//! (400) or invalid (422); every call needs a token (401); a path names
//! objects that may not be there for this token (404); a change can be
//! forbidden to a read-only token (403) or refused in the object's present
//! state (409); anything can fail inside (500). Problem answers are never
//! stored (`Cache-Control: no-store`); a replayed create says so
//! (`Idempotent-Replayed`); a create that makes a readable object names it
//! (`Location`).

use serde_json::{Map, Value, json};

use crate::api::once::HEADER as IDEMPOTENCY_KEY;

const PROBLEM: &str = "application/problem+json";

/// The answers that can hold a secret, sent with `Cache-Control: no-store`.
const SECRET_SCHEMAS: [&str; 3] = ["CredentialWithSecret", "SecretView", "EndpointWithSecret"];

/// The standard description of each problem status.
fn said(status: &str) -> &'static str {
    match status {
        "400" => "The query, the body or a header is not what this call takes; `detail` says why.",
        "401" => "No valid bearer token: none was sent, or it is unknown, revoked or expired.",
        "403" => {
            "The token may not do this: it is read-only, its person's role is too low, or the call needs a person's token."
        }
        "404" => "Nothing is there, or nothing this token can see.",
        "409" => {
            "Refused in the object's present state, or a request with this `Idempotency-Key` is still being handled."
        }
        "410" => "It is no longer there to be had.",
        "413" => "The body is larger than the API takes (64 KiB).",
        "422" => "Invalid input: `errors` holds a message for each field.",
        _ => "The server could not complete the request; the cause is logged.",
    }
}

/// The description of a success answer that says nothing more.
fn success(status: &str) -> &'static str {
    match status {
        "201" => "Created.",
        "204" => "Done; there is no body.",
        _ => "Done.",
    }
}

fn header(description: &str, schema: Value) -> Value {
    json!({ "description": description, "schema": schema })
}

fn no_store() -> Value {
    header(
        "`no-store`: no cache keeps this answer.",
        json!({ "type": "string", "enum": ["no-store"] }),
    )
}

/// Completes every operation of `doc` with what the API's rules imply.
pub fn complete(doc: &mut Value) {
    let readable: Vec<String> = doc["paths"]
        .as_object()
        .map(|paths| {
            paths
                .iter()
                .filter(|(_, item)| item.get("get").is_some())
                .map(|(path, _)| path.clone())
                .collect()
        })
        .unwrap_or_default();
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(methods) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in methods.iter_mut() {
            // A create answers `Location` where its object can be read.
            let locates = readable.iter().any(|r| {
                r.strip_prefix(path.as_str())
                    .and_then(|rest| rest.strip_prefix("/{"))
                    .is_some_and(|rest| rest.ends_with('}') && !rest.contains('/'))
            });
            operation(path, method, op, locates);
        }
    }
}

fn operation(path: &str, method: &str, op: &mut Value, locates: bool) {
    let params: Vec<Value> = op["parameters"].as_array().cloned().unwrap_or_default();
    let takes_key = params
        .iter()
        .any(|p| p["in"] == "header" && p["name"] == IDEMPOTENCY_KEY);
    if let Some(ps) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in ps.iter_mut().filter(|p| p["name"] == IDEMPOTENCY_KEY) {
            p["schema"] = json!({
                "type": "string",
                "minLength": 1,
                "maxLength": crate::api::once::MAX_KEY,
                "pattern": "^[!-~]+$",
            });
        }
    }
    let takes_query = params.iter().any(|p| p["in"] == "query");
    let takes_body = optional_body(op);
    let writes = method != "get";

    let mut wanted = vec!["401", "500"];
    if takes_query || takes_body || takes_key {
        wanted.push("400");
    }
    if path.contains('{') {
        wanted.push("404");
    }
    if writes {
        wanted.extend(["403", "409"]);
    }
    if takes_body || takes_key {
        wanted.push("422");
    }
    if takes_body {
        wanted.push("413");
    }
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    for status in wanted {
        responses
            .entry(status)
            .or_insert_with(|| json!({ "description": said(status) }));
    }
    for (status, response) in responses.iter_mut() {
        if status.starts_with('2') && response["description"].as_str().is_none_or(str::is_empty) {
            response["description"] = Value::String(success(status).to_owned());
        }
        if status.starts_with('4') || status.starts_with('5') {
            problem(status, response, takes_key);
            continue;
        }
        let secret = holds_secret(response);
        let headers = response
            .as_object_mut()
            .map(|r| r.entry("headers").or_insert_with(|| json!({})));
        let Some(Value::Object(headers)) = headers else {
            continue;
        };
        if secret {
            headers.insert("Cache-Control".to_owned(), no_store());
        }
        if status == "201" && locates {
            headers.insert(
                "Location".to_owned(),
                header(
                    "The path of the new object.",
                    json!({ "type": "string", "format": "uri-reference" }),
                ),
            );
        }
        if status == "200" && takes_key {
            headers.insert(
                "Idempotent-Replayed".to_owned(),
                header(
                    "`true` when this answer replays an earlier request with the same `Idempotency-Key`: nothing new was made.",
                    json!({ "type": "string", "enum": ["true"] }),
                ),
            );
        }
        if headers.is_empty()
            && let Some(r) = response.as_object_mut()
        {
            r.remove("headers");
        }
    }
}

/// Whether an answer's schema can carry a secret: those are never stored.
fn holds_secret(response: &Value) -> bool {
    response["content"].as_object().is_some_and(|c| {
        c.values().any(|m| {
            let name = m["schema"]["$ref"].as_str().unwrap_or_default();
            SECRET_SCHEMAS
                .iter()
                .any(|s| name.ends_with(&format!("/{s}")))
        })
    })
}

/// Gives a problem response its content and headers.
fn problem(status: &str, response: &mut Value, takes_key: bool) {
    let Some(r) = response.as_object_mut() else {
        return;
    };
    let description = r
        .get("description")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| said(status).to_owned());
    r.insert("description".to_owned(), Value::String(description));
    r.insert(
        "content".to_owned(),
        json!({ PROBLEM: { "schema": { "$ref": "#/components/schemas/Problem" } } }),
    );
    let mut headers = Map::new();
    headers.insert("Cache-Control".to_owned(), no_store());
    if status == "401" {
        headers.insert(
            "WWW-Authenticate".to_owned(),
            header(
                "`Bearer realm=\"agora\"`: the scheme the API takes.",
                json!({ "type": "string" }),
            ),
        );
    }
    if status == "409" && takes_key {
        headers.insert(
            "Retry-After".to_owned(),
            header(
                "Sent while a request with this `Idempotency-Key` is still being handled: the seconds to wait before sending it again.",
                json!({ "type": "integer", "minimum": 1 }),
            ),
        );
    }
    if status == "422" && takes_key {
        let d = r["description"].as_str().unwrap_or_default().to_owned();
        if !d.contains(IDEMPOTENCY_KEY) {
            r.insert(
                "description".to_owned(),
                Value::String(format!(
                    "{d} Also: this `{IDEMPOTENCY_KEY}` was sent before with another request (`urn:agora:problem:idempotency-key-reused`), and nothing was done."
                )),
            );
        }
    }
    r.insert("headers".to_owned(), Value::Object(headers));
}

/// Whether `op` takes a body; a body it may leave out is typed as its
/// object, not as "null or object", so a client can simply omit it.
fn optional_body(op: &mut Value) -> bool {
    let Some(body) = op.get_mut("requestBody") else {
        return false;
    };
    let required = body["required"].as_bool().unwrap_or(false);
    if let Some(content) = body["content"].as_object_mut() {
        for media in content.values_mut() {
            let schema = &mut media["schema"];
            if required {
                continue;
            }
            let inner = schema["oneOf"].as_array().and_then(|one| {
                let rest: Vec<&Value> = one.iter().filter(|s| s["type"] != "null").collect();
                (rest.len() == 1 && rest.len() < one.len()).then(|| rest[0].clone())
            });
            if let Some(inner) = inner {
                *schema = inner;
            }
        }
    }
    true
}
