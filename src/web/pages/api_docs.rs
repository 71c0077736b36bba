//! The API reference page: the OpenAPI document the API serves, rendered
//! on the server as a readable page (no scripts, no CDN), grouped by tag.
//! Its descriptions are markdown, rendered and sanitised as product
//! descriptions are; every operation has an anchor named by its
//! `operationId`, listed at the top. The document does not change while
//! Agora runs, so the page is built once.

use std::sync::OnceLock;

use askama::Template;
use serde_json::Value;

use crate::domain::markdown;
use crate::web::render::{Layout, PageResult, page};
use crate::web::session::Visitor;

/// A row of a table: a name, its type, and its description as HTML.
pub struct Row {
    pub name: String,
    pub kind: String,
    pub about_html: String,
}

pub struct Operation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description_html: String,
    pub params: Vec<Row>,
    pub body: String,
    pub responses: Vec<Row>,
}

pub struct Group {
    pub name: String,
    pub description: String,
    pub operations: Vec<Operation>,
}

pub struct Schema {
    pub name: String,
    pub description_html: String,
    /// For an enum: its values.
    pub values: Vec<String>,
    pub fields: Vec<Row>,
}

struct Reference {
    intro_html: String,
    groups: Vec<Group>,
    schemas: Vec<Schema>,
}

#[derive(Template)]
#[template(path = "api.html")]
struct ApiPage<'a> {
    layout: Layout,
    intro_html: &'a str,
    groups: &'a [Group],
    schemas: &'a [Schema],
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// A description as sanitised HTML.
fn html(v: &Value) -> String {
    markdown::render(v.as_str().unwrap_or_default())
}

/// A schema's name from a `$ref`, its values, or its type.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let words: Vec<String> = values.iter().map(text).collect();
        return format!("one of {}", words.join(", "));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(one) = schema.get(key).and_then(Value::as_array) {
            return one
                .iter()
                .map(type_of)
                .filter(|t| t != "null")
                .collect::<Vec<_>>()
                .join(" or ");
        }
    }
    let format = schema.get("format").and_then(Value::as_str);
    let base = match schema.get("type") {
        Some(Value::String(t)) if t == "array" => {
            return format!("list of {}", type_of(&schema["items"]));
        }
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        _ if schema.get("additionalProperties").is_some() => "map of text".to_owned(),
        _ => "any".to_owned(),
    };
    match format {
        Some(f) if base == "string" => format!("string ({f})"),
        _ => base,
    }
}

fn content_type(content: &Value) -> String {
    content
        .as_object()
        .and_then(|c| c.values().next())
        .map(|m| type_of(&m["schema"]))
        .unwrap_or_default()
}

fn operation(path: &str, method: &str, op: &Value) -> Operation {
    let params = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Row {
            name: format!("{} ({})", text(&p["name"]), text(&p["in"])),
            kind: type_of(&p["schema"]),
            about_html: html(&p["description"]),
        })
        .collect();
    let responses = op["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(code, r)| Row {
            name: code.clone(),
            kind: content_type(&r["content"]),
            about_html: html(&r["description"]),
        })
        .collect();
    Operation {
        id: text(&op["operationId"]),
        method: method.to_uppercase(),
        path: path.to_owned(),
        summary: text(&op["summary"]),
        description_html: html(&op["description"]),
        params,
        body: content_type(&op["requestBody"]["content"]),
        responses,
    }
}

fn schemas(doc: &Value) -> Vec<Schema> {
    let Some(all) = doc["components"]["schemas"].as_object() else {
        return Vec::new();
    };
    all.iter()
        .map(|(name, s)| Schema {
            name: name.clone(),
            description_html: html(&s["description"]),
            values: s["enum"]
                .as_array()
                .into_iter()
                .flatten()
                .map(text)
                .collect(),
            fields: s["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(f, p)| Row {
                    name: f.clone(),
                    kind: type_of(p),
                    about_html: html(&p["description"]),
                })
                .collect(),
        })
        .collect()
}

fn build(doc: &Value) -> Reference {
    let mut groups: Vec<Group> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| Group {
            name: text(&t["name"]),
            description: text(&t["description"]),
            operations: Vec::new(),
        })
        .collect();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let tag = op["tags"][0].as_str().unwrap_or("other").to_owned();
            let op = operation(path, method, op);
            match groups.iter_mut().find(|g| g.name == tag) {
                Some(g) => g.operations.push(op),
                None => groups.push(Group {
                    name: tag,
                    description: String::new(),
                    operations: vec![op],
                }),
            }
        }
    }
    Reference {
        intro_html: html(&doc["info"]["description"]),
        groups,
        schemas: schemas(doc),
    }
}

pub async fn show(visitor: Visitor) -> PageResult {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    let r = REFERENCE.get_or_init(|| build(&crate::api::document()));
    page(&ApiPage {
        layout: Layout::new(&visitor, "API reference"),
        intro_html: &r.intro_html,
        groups: &r.groups,
        schemas: &r.schemas,
    })
}
