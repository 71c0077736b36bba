//! The API reference page: the OpenAPI document the API serves, rendered
//! on the server as a readable page (no scripts, no CDN), grouped by tag.

use askama::Template;
use serde_json::Value;

use crate::web::render::{Layout, PageResult, page};
use crate::web::session::Visitor;

pub struct Operation {
    pub method: String,
    pub path: String,
    pub anchor: String,
    pub summary: String,
    pub params: Vec<(String, String, String)>,
    pub body: String,
    pub responses: Vec<(String, String)>,
}

pub struct Group {
    pub name: String,
    pub description: String,
    pub operations: Vec<Operation>,
}

pub struct Schema {
    pub name: String,
    pub fields: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "api.html")]
struct ApiPage {
    layout: Layout,
    intro: String,
    groups: Vec<Group>,
    schemas: Vec<Schema>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// A schema's name from a `$ref`, or its type.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
        return one
            .iter()
            .map(type_of)
            .filter(|t| t != "null")
            .collect::<Vec<_>>()
            .join(" or ");
    }
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!("list of {}", type_of(&schema["items"]))
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
    }
}

fn content_type(content: &Value) -> String {
    content
        .as_object()
        .and_then(|c| c.values().next())
        .map(|m| type_of(&m["schema"]))
        .unwrap_or_default()
}

fn operations(doc: &Value) -> Vec<(String, Operation)> {
    let mut out = Vec::new();
    let Some(paths) = doc["paths"].as_object() else {
        return out;
    };
    for (path, item) in paths {
        let Some(methods) = item.as_object() else {
            continue;
        };
        for (method, op) in methods {
            let tag = op["tags"][0].as_str().unwrap_or("other").to_owned();
            let params = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            (
                                format!("{} ({})", text(&p["name"]), text(&p["in"])),
                                type_of(&p["schema"]),
                                text(&p["description"]),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let responses = op["responses"]
                .as_object()
                .map(|rs| {
                    rs.iter()
                        .map(|(code, r)| {
                            let body = content_type(&r["content"]);
                            let said = text(&r["description"]);
                            (
                                code.clone(),
                                [body, said]
                                    .into_iter()
                                    .filter(|s| !s.is_empty())
                                    .collect::<Vec<_>>()
                                    .join(": "),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push((
                tag,
                Operation {
                    anchor: format!("{method}-{path}")
                        .replace(['/', '{', '}'], "-")
                        .replace("--", "-"),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: text(&op["description"]),
                    params,
                    body: content_type(&op["requestBody"]["content"]),
                    responses,
                },
            ));
        }
    }
    out
}

fn schemas(doc: &Value) -> Vec<Schema> {
    let Some(all) = doc["components"]["schemas"].as_object() else {
        return Vec::new();
    };
    all.iter()
        .map(|(name, s)| Schema {
            name: name.clone(),
            fields: s["properties"]
                .as_object()
                .map(|ps| {
                    ps.iter()
                        .map(|(f, p)| (f.clone(), type_of(p), text(&p["description"])))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

pub async fn show(visitor: Visitor) -> PageResult {
    let doc = crate::api::document();
    let mut groups: Vec<Group> = doc["tags"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| Group {
                    name: text(&t["name"]),
                    description: text(&t["description"]),
                    operations: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    for (tag, op) in operations(&doc) {
        match groups.iter_mut().find(|g| g.name == tag) {
            Some(g) => g.operations.push(op),
            None => groups.push(Group {
                name: tag,
                description: String::new(),
                operations: vec![op],
            }),
        }
    }
    page(&ApiPage {
        layout: Layout::new(&visitor, "API reference"),
        intro: text(&doc["info"]["description"]),
        groups,
        schemas: schemas(&doc),
    })
}
