//! Holds every answer of the JSON API that a test provokes to the served
//! OpenAPI document: the status must be documented for that operation, the
//! content type must be one its response lists, the body must match that
//! response's schema (formats included), and the headers a client reads
//! (`Location`, `Cache-Control`, `Idempotent-Replayed`, `Retry-After`,
//! `WWW-Authenticate`) must be declared where they are sent. A test whose
//! app answered outside the document fails when the app is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use agora::api::tap::{Exchange, Tap};
use serde_json::Value;

/// The headers a generated client may read, so each must be declared.
const READ_HEADERS: [&str; 5] = [
    "location",
    "cache-control",
    "idempotent-replayed",
    "retry-after",
    "www-authenticate",
];

pub struct Contract {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
    violations: Mutex<Vec<String>>,
    /// How many answers were held to the document.
    pub heard: std::sync::atomic::AtomicUsize,
}

impl Contract {
    pub fn new() -> Arc<Self> {
        let doc = serde_json::to_value(agora::api::document()).expect("document");
        Arc::new(Self {
            doc,
            validators: Mutex::default(),
            violations: Mutex::default(),
            heard: Default::default(),
        })
    }

    /// The tap that holds the app's answers to the document.
    pub fn tap(self: &Arc<Self>) -> Tap {
        let me = self.clone();
        Arc::new(move |x| me.hold(&x))
    }

    pub fn violations(&self) -> Vec<String> {
        self.violations.lock().unwrap().clone()
    }

    /// Checks one answer; what breaks the document is kept as a violation.
    pub fn hold(&self, x: &Exchange) {
        if let Err(why) = self.check(x) {
            let at = format!("{} {} ({})", x.method, x.path, x.status);
            let body = String::from_utf8_lossy(&x.body);
            self.violations
                .lock()
                .unwrap()
                .push(format!("{at}: {why}\n    body: {body:.400}"));
        }
    }

    fn check(&self, x: &Exchange) -> Result<(), String> {
        // Routes that are not operations (unknown paths, another method on
        // a known path) answer the API's 404 problem; only operations have
        // a contract.
        let Some(pattern) = &x.pattern else {
            return Ok(());
        };
        let method = x.method.to_lowercase();
        let Some(op) = self.doc["paths"].get(pattern).and_then(|p| p.get(&method)) else {
            return Ok(());
        };
        self.heard
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let status = x.status.to_string();
        let Some(response) = op["responses"]
            .get(&status)
            .or_else(|| op["responses"].get("default"))
        else {
            return Err(format!("status {status} is not documented"));
        };
        let response = self.resolve(response);
        let header = |name: &str| {
            x.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        for name in READ_HEADERS {
            if header(name).is_some() {
                let declared = response["headers"]
                    .as_object()
                    .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case(name)));
                if !declared {
                    return Err(format!("header `{name}` is sent but not declared"));
                }
            }
        }
        let content = response.get("content").and_then(Value::as_object);
        if x.body.is_empty() {
            return match content {
                Some(c) if !c.is_empty() && x.method != "HEAD" => {
                    Err("the body is empty but the document describes one".to_owned())
                }
                _ => Ok(()),
            };
        }
        let Some(content) = content else {
            return Err("a body is sent but the document describes none".to_owned());
        };
        let ct = header("content-type").unwrap_or_default();
        let ct = ct.split(';').next().unwrap_or_default().trim();
        let Some(media) = content.get(ct) else {
            let listed: Vec<&String> = content.keys().collect();
            return Err(format!("content type `{ct}` is not one of {listed:?}"));
        };
        let body: Value =
            serde_json::from_slice(&x.body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let key = format!("{pattern} {method} {status} {ct}");
        let validator = self.validator(&key, &media["schema"])?;
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("the body does not match: {}", errors.join("; ")))
        }
    }

    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => self
                .doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or(&Value::Null),
            None => v,
        }
    }

    fn validator(&self, key: &str, schema: &Value) -> Result<Arc<jsonschema::Validator>, String> {
        let mut cache = self.validators.lock().unwrap();
        if let Some(v) = cache.get(key) {
            return Ok(v.clone());
        }
        // The schema's `#/components/...` references resolve in a root
        // that carries the document's components beside it.
        let mut root = match schema {
            Value::Object(_) => schema.clone(),
            other => serde_json::json!({ "allOf": [other] }),
        };
        root["components"] = self.doc["components"].clone();
        let v = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| format!("the document's schema does not compile: {e}"))?;
        let v = Arc::new(v);
        cache.insert(key.to_owned(), v.clone());
        Ok(v)
    }
}

/// Fails the test (unless it is failing already) when its app answered
/// outside the document.
pub struct Guard(pub Arc<Contract>);

impl Drop for Guard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let v = self.0.violations();
        if !v.is_empty() {
            panic!(
                "the API answered outside its OpenAPI document {} time(s):\n{}",
                v.len(),
                v.join("\n")
            );
        }
    }
}
