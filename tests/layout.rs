//! The crate's modules depend in one direction: no module uses, directly or through others, one
//! that uses it. Read from the sources: every `crate::<module>` path outside comments, in `use`
//! lines and in code alike.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

/// The first segment of every `crate::` path in `source`, `crate::{a, b::c}` included.
fn crate_modules(source: &str) -> BTreeSet<String> {
    let mut modules = BTreeSet::new();
    let identifier = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // A grouped `use` on one line; rustfmt keeps this crate's short enough.
                let inner = group.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    let name = identifier(item.trim());
                    if !name.is_empty() {
                        modules.insert(name);
                    }
                }
            } else {
                let name = identifier(rest);
                if !name.is_empty() {
                    modules.insert(name);
                }
            }
        }
    }
    modules
}

fn read(path: &str) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Each module of `src/lib.rs` and the modules of the crate it uses.
fn crate_graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = env!("CARGO_MANIFEST_DIR");
    let lib = read(&format!("{root}/src/lib.rs"));
    let modules: Vec<String> = lib
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub mod "))
        .map(|name| name.trim_end_matches(';').to_string())
        .collect();
    assert!(
        modules.len() >= 10,
        "read the modules of src/lib.rs: {modules:?}"
    );
    modules
        .iter()
        .map(|module| {
            // A module is a file, or a folder whose files are all its own.
            let file = format!("{root}/src/{module}.rs");
            let source = if std::path::Path::new(&file).exists() {
                read(&file)
            } else {
                let folder = format!("{root}/src/{module}");
                let mut files: Vec<_> = fs::read_dir(&folder)
                    .unwrap_or_else(|e| panic!("{folder}: {e}"))
                    .map(|entry| entry.expect("a folder entry").path())
                    .filter(|path| path.extension().is_some_and(|e| e == "rs"))
                    .collect();
                files.sort();
                files
                    .iter()
                    .map(|path| read(&path.to_string_lossy()))
                    .collect()
            };
            let mut used = crate_modules(&source);
            used.remove(module);
            (module.clone(), used)
        })
        .collect()
}

/// A circle of modules in `graph`, first to last, if there is one (depth-first search).
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut circle = path[at..].to_vec();
            circle.push(module.to_string());
            return Some(circle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_string());
        for used in graph.get(module).into_iter().flatten() {
            if let Some(circle) = visit(used, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(module.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_uses_one_that_uses_it_back() {
    let graph = crate_graph();
    for (module, used) in &graph {
        for name in used {
            assert!(
                graph.contains_key(name),
                "{module} uses crate::{name}, which src/lib.rs does not declare"
            );
        }
    }
    if let Some(circle) = find_circle(&graph) {
        panic!("an import circle: {}", circle.join(" → "));
    }
}

#[test]
fn the_circle_finder_finds_one() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]
            .into_iter()
            .map(|(m, u)| (m.to_string(), BTreeSet::from([u.to_string()])))
            .collect();
    assert_eq!(find_circle(&graph).unwrap(), ["a", "b", "c", "a"]);
}

#[test]
fn the_reader_finds_every_form_of_path() {
    let source = "use crate::a::B;\nuse crate::{c, d::E};\nlet x = crate::f::g(); // crate::h\n";
    let found: Vec<_> = crate_modules(source).into_iter().collect();
    assert_eq!(found, ["a", "c", "d", "f"]);
}
