//! The layers import downward only: nothing below the front ends imports
//! `web` or `api`, and the graph of top-level modules has no cycle. Read
//! from the source files themselves, so a new import that runs upward fails
//! here before it lands.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Modules below both front ends: none of them may import `web` or `api`.
const BELOW_FRONT_ENDS: [&str; 15] = [
    "ops",
    "outgoing",
    "scheduler",
    "actors",
    "dataplane",
    "gateway",
    "marketplace",
    "store",
    "domain",
    "crypto",
    "config",
    "clock",
    "metrics",
    "telemetry",
    "lib",
];

const FRONT_ENDS: [&str; 2] = ["web", "api"];

/// The top-level module a source file belongs to: `src/web/pages/x.rs` → `web`.
fn module_of(rel: &Path) -> String {
    let mut parts = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string());
    let first = parts.next().unwrap_or_default();
    first.trim_end_matches(".rs").to_owned()
}

/// The top-level modules a file's text names through `crate::…`, also inside
/// `use crate::{a::x, b}` groups.
fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = matching_brace(group);
            for item in split_top_level(&group[..end]) {
                if let Some(name) = first_ident(item.trim()) {
                    out.insert(name);
                }
            }
        } else if let Some(name) = first_ident(rest) {
            out.insert(name);
        }
    }
    out
}

fn matching_brace(s: &str) -> usize {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    s.len()
}

fn split_top_level(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0usize, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn first_ident(s: &str) -> Option<String> {
    let name: String = s
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty() && name != "self").then_some(name)
}

fn source_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Edges between top-level modules: from → the modules it imports.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut files = Vec::new();
    source_files(src, &mut files);
    let mut graph: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap().to_path_buf();
        let from = module_of(&rel);
        let text = std::fs::read_to_string(&file).unwrap();
        for to in imports(&text) {
            if to != from {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .push(rel.display().to_string());
            }
        }
    }
    graph
}

/// A cycle of modules, if the graph has one.
fn cycle(graph: &BTreeMap<String, BTreeMap<String, Vec<String>>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(|m| m.keys()) {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn nothing_below_the_front_ends_imports_them() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut wrong = Vec::new();
    for low in BELOW_FRONT_ENDS {
        for front in FRONT_ENDS {
            if let Some(files) = graph.get(low).and_then(|m| m.get(front)) {
                wrong.push(format!("{low} imports {front} in {files:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that run upward: {wrong:#?}");
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert_eq!(cycle(&graph), None, "edges: {graph:#?}");
}

#[test]
fn the_reading_finds_grouped_imports_and_cycles() {
    let names = imports(
        "use crate::{web::AppState, ops::{a, b}, self};\nlet x = crate::store::Store::open();",
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["ops", "store", "web"]
    );
    let mut graph: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    graph
        .entry("a".into())
        .or_default()
        .insert("b".into(), vec![]);
    graph
        .entry("b".into())
        .or_default()
        .insert("c".into(), vec![]);
    assert_eq!(cycle(&graph), None);
    graph
        .entry("c".into())
        .or_default()
        .insert("a".into(), vec![]);
    assert_eq!(
        cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}
