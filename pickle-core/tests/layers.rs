//! The dependency rule of pickle-core's layout (docs/ARCHITECTURE.md),
//! checked over the `crate::`, `super::` and `self::` paths of every source
//! file, and the absence of module cycles.
//!
//! Layers, lowest first; a file may use its own top-level module and any
//! lower layer, nothing else:
//!
//! | rank | modules |
//! |---|---|
//! | 0 | `error` |
//! | 1 | `format`, `value`, `options`, `identity` (leaves) |
//! | 2 | `de`, `ser` (each blind to the other) |
//! | 3 | `pyclass`, `scan` (each blind to the other) |
//! | 4 | `types` (nothing depends on it) |
//!
//! `lib.rs` and `private.rs` are the facades and may use anything; nothing
//! inside the crate may use the facade's re-exports. Inside `de`, the
//! machine sees only `de::input` and `de::sink`. Test modules (from
//! `#[cfg(test)]` to the end of a file) are not checked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type ModPath = Vec<String>;

const LAYERS: &[(&str, u8)] = &[
    ("error", 0),
    ("format", 1),
    ("value", 1),
    ("options", 1),
    ("identity", 1),
    ("de", 2),
    ("ser", 2),
    ("pyclass", 3),
    ("scan", 3),
    ("types", 4),
];

/// What `de::machine` may use inside `de`.
const MACHINE_SEES: &[&str] = &["input", "sink", "machine"];

/// The module path of a source file relative to `src/`.
fn module_of(rel: &str) -> ModPath {
    let rel = rel.trim_end_matches(".rs");
    let mut parts: Vec<String> = rel.split('/').map(str::to_owned).collect();
    match parts.last().map(String::as_str) {
        Some("lib") if parts.len() == 1 => parts.clear(),
        Some("private") if parts.len() == 1 => parts = vec!["__private".into()],
        Some("mod") => {
            parts.pop();
        }
        _ => {}
    }
    parts
}

/// The source without comments and without the test module at its end.
fn code_of(source: &str) -> String {
    let mut out = String::new();
    for line in source.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        let code = match line.find(" //") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path that starts with `crate`, `super` or `self`, with `use`
/// groups (`use crate::{a, b::c}`) expanded to their first segment.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = ["crate", "super", "self"].iter().find(|w| {
            let w: Vec<char> = w.chars().collect();
            chars[i..].starts_with(&w)
                && (i == 0 || !is_ident(chars[i - 1]))
                && chars[i + w.len()..].starts_with(&[':', ':'])
        });
        let Some(word) = starts else {
            i += 1;
            continue;
        };
        let mut segs = vec![word.to_string()];
        i += word.len();
        read_rest(&chars, &mut i, &mut segs, &mut out);
    }
    out
}

/// Reads `::seg::seg...` after `segs`, expanding a `{...}` group.
fn read_rest(chars: &[char], i: &mut usize, segs: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    while chars[*i..].starts_with(&[':', ':']) {
        *i += 2;
        if chars.get(*i) == Some(&'{') {
            *i += 1;
            loop {
                while chars.get(*i).is_some_and(|c| c.is_whitespace() || *c == ',') {
                    *i += 1;
                }
                match chars.get(*i) {
                    None => return,
                    Some('}') => {
                        *i += 1;
                        return;
                    }
                    _ => {}
                }
                let mut inner = segs.clone();
                let start = *i;
                while chars.get(*i).is_some_and(|&c| is_ident(c)) {
                    *i += 1;
                }
                if start == *i {
                    // Not a path segment (`*`, a nested group we skip): move on.
                    *i += 1;
                    continue;
                }
                inner.push(chars[start..*i].iter().collect());
                read_rest(chars, i, &mut inner, out);
                // Skip `as name` and anything else up to the next item.
                while chars.get(*i).is_some_and(|&c| c != ',' && c != '}') {
                    *i += 1;
                }
            }
        }
        let start = *i;
        while chars.get(*i).is_some_and(|&c| is_ident(c)) {
            *i += 1;
        }
        if start == *i {
            break;
        }
        segs.push(chars[start..*i].iter().collect());
    }
    out.push(segs.clone());
}

/// The module a path names: the longest prefix that is a module of the crate.
fn resolve(from: &ModPath, path: &[String], modules: &BTreeSet<ModPath>) -> Option<ModPath> {
    let mut base: ModPath = Vec::new();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => rest = &path[1..],
        Some("self") | Some("super") => {
            base = from.clone();
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "self" => {}
                    "super" => {
                        base.pop()?;
                    }
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    let mut best = base.clone();
    let mut cur = base;
    for seg in rest {
        cur.push(seg.clone());
        if modules.contains(&cur) {
            best = cur.clone();
        } else {
            break;
        }
    }
    Some(best)
}

fn rank(top: &str) -> Option<u8> {
    LAYERS.iter().find(|(name, _)| *name == top).map(|&(_, r)| r)
}

fn is_facade(m: &ModPath) -> bool {
    m.is_empty() || m[0] == "__private"
}

/// The rule's violations and the module cycles among `files` (paths
/// relative to `src/`, with their sources).
fn check(files: &[(String, String)]) -> Vec<String> {
    let modules: BTreeSet<ModPath> = files.iter().map(|(rel, _)| module_of(rel)).collect();
    let mut problems = Vec::new();
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (rel, source) in files {
        let from = module_of(rel);
        edges.entry(from.clone()).or_default();
        for path in paths_in(&code_of(source)) {
            let Some(to) = resolve(&from, &path, &modules) else { continue };
            let shown = path.join("::");
            if is_facade(&from) {
                continue;
            }
            if to.is_empty() {
                problems.push(format!("{rel}: `{shown}` uses the crate root's re-export; use its module"));
                continue;
            }
            let (ft, tt) = (&from[0], &to[0]);
            if ft != tt {
                match (rank(ft), rank(tt)) {
                    (Some(a), Some(b)) if b < a => {}
                    (Some(a), Some(b)) => {
                        problems.push(format!("{rel}: `{shown}`: layer {ft} ({a}) may not use {tt} ({b})"))
                    }
                    _ => problems.push(format!("{rel}: `{shown}`: {ft} or {tt} is in no layer")),
                }
            } else if from.get(1).map(String::as_str) == Some("machine")
                && ft == "de"
                && !MACHINE_SEES.contains(&to.get(1).map_or("", String::as_str))
            {
                problems.push(format!("{rel}: `{shown}`: the machine may use only {MACHINE_SEES:?} inside de"));
            }
            // A file using its own ancestor is part of that module's inside.
            let ancestor = to.len() <= from.len() && from[..to.len()] == to[..];
            if !ancestor {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    for cycle in cycles(&edges) {
        let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
        problems.push(format!("module cycle: {}", names.join(" -> ")));
    }
    problems
}

/// The strongly connected components of more than one module (Tarjan).
fn cycles(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    struct T<'e> {
        edges: &'e BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'e ModPath, usize>,
        low: BTreeMap<&'e ModPath, usize>,
        stack: Vec<&'e ModPath>,
        out: Vec<Vec<ModPath>>,
    }
    impl<'e> T<'e> {
        fn visit(&mut self, v: &'e ModPath) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let Some((w, _)) = self.edges.get_key_value(w) else { continue };
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.stack.contains(&w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let pos = self.stack.iter().rposition(|m| *m == v).expect("on the stack");
                let scc: Vec<ModPath> = self.stack.split_off(pos).into_iter().cloned().collect();
                if scc.len() > 1 {
                    self.out.push(scc);
                }
            }
        }
    }
    let mut t = T { edges, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), out: Vec::new() };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read src").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).expect("under src").to_string_lossy().replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&path).expect("read source")));
        }
    }
}

#[test]
fn pickle_core_follows_the_layer_rule_and_has_no_module_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 20, "found only {} files under {}", files.len(), root.display());
    let tops: BTreeSet<String> =
        files.iter().filter_map(|(rel, _)| module_of(rel).first().cloned()).filter(|t| t != "__private").collect();
    for top in &tops {
        assert!(rank(top).is_some(), "module `{top}` is in no layer: add it to LAYERS and docs/ARCHITECTURE.md");
    }
    let problems = check(&files);
    assert!(problems.is_empty(), "layer rule broken:\n{}", problems.join("\n"));
}

fn file(rel: &str, source: &str) -> (String, String) {
    (rel.to_owned(), source.to_owned())
}

#[test]
fn the_check_catches_upward_uses_cycles_and_facade_uses() {
    let files = vec![
        file("lib.rs", "mod value; mod de; mod ser; pub use de::from_slice;"),
        file("value/mod.rs", "use crate::de::Context; // an upward use\n"),
        file("de/mod.rs", "mod a; mod b; use crate::ser::Encoder;"),
        file("de/a.rs", "use super::b::{X, Y as Z};"),
        file("de/b.rs", "fn f() { super::a::g(); crate::from_slice(); }"),
        file("de/machine/mod.rs", "use crate::de::{a, machine::x};"),
        file("ser/mod.rs", "use crate::{value::Value, error::Error};\n#[cfg(test)]\nmod tests { use crate::de::Z; }"),
        file("error.rs", ""),
    ];
    let problems = check(&files);
    let expect = [
        "value/mod.rs: `crate::de::Context`: layer value (1) may not use de (2)",
        "de/mod.rs: `crate::ser::Encoder`: layer de (2) may not use ser (2)",
        "de/b.rs: `crate::from_slice` uses the crate root's re-export; use its module",
        "de/machine/mod.rs: `crate::de::a`: the machine may use only [\"input\", \"sink\", \"machine\"] inside de",
        "module cycle: de -> ser -> value",
        "module cycle: de::a -> de::b",
    ];
    for e in expect {
        assert!(problems.iter().any(|p| p == e), "missing {e:?} in {problems:#?}");
    }
    assert_eq!(problems.len(), expect.len(), "{problems:#?}");
}
