// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The layering of `src/`, enforced: nothing outside `cli/` (and the binary) imports `cli`, and no two
//! top-level modules depend on each other, directly or through others. The rules and the diagram are
//! in docs/design-decisions.md ("Layering"); this test reads every `crate::…` and `super::…` path
//! in the library's sources (comments excluded) and fails naming the files that break them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules it uses → the files that use them.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// The module path of a source file relative to `src/`: `a/b/mod.rs` → [a, b], `a/b.rs` → [a, b].
fn module_path(relative: &str) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The top-level modules a path starting at `at` names: `crate::x::…` → x, `super::…` resolved
/// against the file's module, `crate::{a::X, b}` → a and b.
fn referenced_tops(module: &[String], code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = code.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let starts_word = i == 0 || !is_ident(bytes[i - 1]);
        let rest = &code[i..];
        if starts_word && rest.starts_with("crate::") {
            collect_after(&code[i + "crate::".len()..], &mut out);
            i += "crate::".len();
            continue;
        }
        if starts_word && rest.starts_with("super::") {
            // Count the chain of `super::` and resolve it against the file's module.
            let mut depth = 0;
            let mut j = i;
            while code[j..].starts_with("super::") {
                depth += 1;
                j += "super::".len();
            }
            if depth == module.len() {
                collect_after(&code[j..], &mut out);
            } else if depth < module.len() && depth > 0 {
                out.insert(module[0].clone());
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

/// After `crate::`: one name, or a `{…}` group of paths whose first names count.
fn collect_after(text: &str, out: &mut BTreeSet<String>) {
    if let Some(group) = text.strip_prefix('{') {
        let mut depth = 1;
        let mut item_start = true;
        let mut name = String::new();
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            if depth == 1 && c == ',' {
                item_start = true;
                name.clear();
                continue;
            }
            if depth == 1 && item_start {
                if c.is_alphanumeric() || c == '_' {
                    name.push(c);
                } else if !name.is_empty() {
                    out.insert(std::mem::take(&mut name));
                    item_start = false;
                } else if !c.is_whitespace() {
                    item_start = false;
                }
            }
        }
        if item_start && !name.is_empty() {
            out.insert(name);
        }
        return;
    }
    let name: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if !name.is_empty() {
        out.insert(name);
    }
}

/// Code without `//` comment lines: doc links name modules without depending on them.
fn code_of(source: &str) -> String {
    source
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") {
                ""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The dependency graph between top-level modules of `files` (path relative to `src/` → source).
fn graph(files: &BTreeMap<String, String>) -> Graph {
    let tops: BTreeSet<String> = files
        .keys()
        .filter_map(|f| module_path(f).first().cloned())
        .collect();
    let mut graph = Graph::new();
    for (file, source) in files {
        let module = module_path(file);
        let Some(top) = module.first() else { continue };
        for used in referenced_tops(&module, &code_of(source)) {
            if &used != top && tops.contains(&used) {
                graph
                    .entry(top.clone())
                    .or_default()
                    .entry(used)
                    .or_default()
                    .insert(file.clone());
            }
        }
    }
    graph
}

/// Every rule the graph breaks, as readable lines.
fn violations(graph: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for (top, uses) in graph {
        if top != "cli" {
            if let Some(files) = uses.get("cli") {
                out.push(format!("{top} imports cli (only the binary may): {files:?}"));
            }
        }
    }
    // A cycle: a module that reaches itself. Report each once, by its smallest member.
    let mut reported: BTreeSet<BTreeSet<String>> = BTreeSet::new();
    for start in graph.keys() {
        if let Some(cycle) = find_cycle(graph, start) {
            let members: BTreeSet<String> = cycle.iter().cloned().collect();
            if reported.insert(members) {
                let mut edges = Vec::new();
                for pair in cycle.windows(2) {
                    edges.push(format!(
                        "{} → {} in {:?}",
                        pair[0], pair[1], graph[&pair[0]][&pair[1]]
                    ));
                }
                out.push(format!(
                    "import cycle {}: {}",
                    cycle.join(" → "),
                    edges.join("; ")
                ));
            }
        }
    }
    out
}

/// A path `start → … → start`, if there is one.
fn find_cycle(graph: &Graph, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last()?;
        for next in graph.get(last).map(|u| u.keys()).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_string());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

fn read_sources(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            out.insert(relative, std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn the_library_never_imports_cli_and_has_no_import_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    read_sources(&src, &src, &mut files);
    // The binary is the edge that may use everything.
    files.remove("main.rs");
    let graph = graph(&files);
    // The reader sees the real edges (a reader that finds nothing would pass any tree).
    assert!(graph["cli"].contains_key("builder"), "{graph:?}");
    assert!(graph["coordinator"].contains_key("builder"), "{graph:?}");
    assert!(graph["builder"].contains_key("snapshot"), "{graph:?}");
    let broken = violations(&graph);
    assert!(
        broken.is_empty(),
        "the layering is broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_checker_finds_cli_imports_and_cycles_in_every_path_form() {
    let files: BTreeMap<String, String> = [
        ("cli/mod.rs", "use crate::builder::BuildRequest;"),
        (
            "builder/mod.rs",
            "use crate::{snapshot::Layer, image};\n// crate::cli in a comment is fine\n",
        ),
        ("builder/stage.rs", "fn f() { super::super::cli::parse(); }"),
        ("snapshot/mod.rs", "pub mod layer;"),
        ("snapshot/layer.rs", "use crate::image::Digest;"),
        ("image/mod.rs", "pub mod assembled;"),
        ("image/assembled.rs", "use crate::snapshot::LayerBlob;"),
    ]
    .into_iter()
    .map(|(f, s)| (f.to_string(), s.to_string()))
    .collect();
    let broken = violations(&graph(&files));
    assert!(
        broken
            .iter()
            .any(|v| v.starts_with("builder imports cli") && v.contains("builder/stage.rs")),
        "{broken:?}"
    );
    assert!(
        broken
            .iter()
            .any(|v| v.contains("import cycle image → snapshot → image")),
        "{broken:?}"
    );
    assert!(
        broken
            .iter()
            .any(|v| v.contains("import cycle builder → cli → builder")),
        "{broken:?}"
    );
    assert_eq!(broken.len(), 3, "{broken:?}");
    assert!(
        graph(&files)["builder"].contains_key("image"),
        "grouped imports count"
    );
}
