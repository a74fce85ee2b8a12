//! The three outputs of `pickle scan`: text (one line per finding, then a
//! verdict per file), JSON and SARIF 2.1.0.

use std::fmt::Write as _;

use pickle_core::scan::{Severity, Use, Verdict};

use super::{FileReport, use_name};
use crate::json::push_json_str;

/// The rules, for SARIF's `tool.driver.rules` and README.
pub const RULES: &[(&str, &str)] = &[
    ("PKL100", "call of a known-dangerous callable"),
    ("PKL101", "call of a callable computed at load time"),
    ("PKL102", "a dangerous or unknown callable reached through an allowed trampoline"),
    ("PKL110", "import of a known-dangerous global"),
    ("PKL111", "import or use of a global outside the allowlist"),
    ("PKL112", "a dotted name that walks a dunder attribute, a module alias or a method"),
    ("PKL120", "an extension code (copyreg registry): an unresolvable callable"),
    ("PKL130", "BUILD or items on a class, function or module"),
    ("PKL131", "BUILD or items on an object whose class the allowlist does not let receive them"),
    ("PKL140", "a nested pickle a loader unpickles"),
    ("PKL150", "a persistent id the loader's persistent_load resolves"),
    ("PKL170", "a container anomaly (duplicate members, mismatched names, data before the archive)"),
    ("PKL171", "TorchScript code in an archive"),
    ("PKL190", "the file could not be read to its end"),
];

/// One finding flattened for output.
struct Row<'r> {
    member: Option<&'r str>,
    stream: Option<usize>,
    offset: u64,
    opcode: Option<&'static str>,
    global: Option<&'r str>,
    written_as: Option<&'r str>,
    callee_offset: Option<u64>,
    used: Option<Use>,
    severity: Severity,
    rule: &'static str,
    reason: &'r str,
}

fn rows(file: &FileReport) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = file
        .findings()
        .map(|(member, offset, f)| Row {
            member,
            stream: Some(f.stream),
            offset,
            opcode: Some(f.opcode),
            global: f.global.as_deref(),
            written_as: f.written_as.as_deref(),
            callee_offset: f.callee_offset,
            used: Some(f.used),
            severity: f.severity,
            rule: f.rule,
            reason: &f.reason,
        })
        .collect();
    rows.extend(file.notes.iter().map(|n| Row {
        member: n.member.as_deref(),
        stream: None,
        offset: n.offset,
        opcode: None,
        global: None,
        written_as: None,
        callee_offset: None,
        used: None,
        severity: n.severity,
        rule: n.rule,
        reason: &n.reason,
    }));
    rows
}

/// `path[:member][#stream]@offset severity use rule: reason` per finding,
/// then `path: verdict`, then a summary line. `skipped` are files of
/// scanned directories that are not pickles.
pub fn text(files: &[FileReport], skipped: &[String]) -> String {
    let mut out = String::new();
    let mut counts = [0usize; 4];
    for file in files {
        for r in rows(file) {
            let _ = write!(out, "{}", file.path);
            if let Some(m) = r.member {
                let _ = write!(out, ":{m}");
            }
            if let Some(s) = r.stream.filter(|&s| s > 0) {
                let _ = write!(out, "#{s}");
            }
            let _ =
                writeln!(out, "@{} {} {} {}: {}", r.offset, r.severity.as_str(), use_name(r.used), r.rule, r.reason);
        }
        for e in &file.errors {
            let _ = writeln!(out, "{}: error: {e}", file.path);
        }
        let verdict = file.verdict();
        counts[verdict as usize] += 1;
        let _ = writeln!(out, "{}: {}", file.path, verdict.as_str());
    }
    let _ = writeln!(
        out,
        "scanned {} file{}: {} safe, {} unknown, {} dangerous, {} error{}",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        counts[Verdict::Safe as usize],
        counts[Verdict::Unknown as usize],
        counts[Verdict::Dangerous as usize],
        counts[Verdict::Error as usize],
        if counts[Verdict::Error as usize] == 1 { "" } else { "s" },
    );
    if !skipped.is_empty() {
        let _ = writeln!(
            out,
            "skipped {} file(s) of the directories that are not pickles: {}",
            skipped.len(),
            skipped.join(", ")
        );
    }
    out
}

fn js(out: &mut String, s: &str) {
    push_json_str(out, s.chars().map(u32::from));
}

fn js_opt(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => js(out, s),
        None => out.push_str("null"),
    }
}

fn num_opt(out: &mut String, n: Option<u64>) {
    match n {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push_str("null"),
    }
}

/// `{"schema": "pickle-scan/1", "files": [{"path", "verdict", "container",
/// "errors", "findings": [{"offset", "global", "use", "reason", ...}],
/// "imports": [...]}], "skipped": [paths of directories' files that are not
/// pickles]}`.
pub fn json(files: &[FileReport], skipped: &[String]) -> String {
    let mut out = String::from("{\"schema\": \"pickle-scan/1\", \"files\": [");
    for (i, file) in files.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str("{\"path\": ");
        js(&mut out, &file.path);
        let _ = write!(
            out,
            ", \"verdict\": \"{}\", \"container\": \"{}\", \"errors\": [",
            file.verdict().as_str(),
            file.container
        );
        for (j, e) in file.errors.iter().enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            js(&mut out, e);
        }
        out.push_str("], \"findings\": [");
        for (j, r) in rows(file).iter().enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{{\"offset\": {}, \"global\": ", r.offset);
            js_opt(&mut out, r.global);
            let _ = write!(out, ", \"use\": \"{}\", \"reason\": ", use_name(r.used));
            js(&mut out, r.reason);
            let _ = write!(out, ", \"severity\": \"{}\", \"rule\": \"{}\", \"opcode\": ", r.severity.as_str(), r.rule);
            js_opt(&mut out, r.opcode);
            out.push_str(", \"member\": ");
            js_opt(&mut out, r.member);
            out.push_str(", \"stream\": ");
            num_opt(&mut out, r.stream.map(|s| s as u64));
            out.push_str(", \"written_as\": ");
            js_opt(&mut out, r.written_as);
            out.push_str(", \"callee_offset\": ");
            num_opt(&mut out, r.callee_offset);
            out.push('}');
        }
        out.push_str("], \"imports\": [");
        let imports = file.parts.iter().flat_map(|p| p.report.imports.iter().map(move |imp| (p, imp)));
        for (j, (part, imp)) in imports.enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{{\"offset\": {}, \"global\": ", part.base + imp.offset);
            js(&mut out, &imp.global);
            out.push_str(", \"member\": ");
            js_opt(&mut out, part.member.as_deref());
            let _ = write!(out, ", \"allowed\": {}}}", imp.allowed);
        }
        out.push_str("]}");
    }
    out.push_str("], \"skipped\": [");
    for (i, path) in skipped.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        js(&mut out, path);
    }
    out.push_str("]}\n");
    out
}

/// SARIF 2.1.0, for code-scanning dashboards: one result per finding and
/// per error, located by byte offset (and line 1, for viewers that only
/// show lines); archive members are logical locations.
pub fn sarif(files: &[FileReport]) -> String {
    let mut out = String::from(
        "{\"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\", \"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"pickle scan\", ",
    );
    let _ = write!(
        out,
        "\"version\": \"{}\", \"informationUri\": \"https://github.com/pickle-rs/pickle-rs\", \"rules\": [",
        env!("CARGO_PKG_VERSION")
    );
    for (i, (id, text)) in RULES.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{{\"id\": \"{id}\", \"shortDescription\": {{\"text\": ");
        js(&mut out, text);
        out.push_str("}}");
    }
    out.push_str("]}}, \"results\": [");
    let mut first = true;
    let mut result = |out: &mut String,
                      file: &FileReport,
                      rule: &str,
                      level: &str,
                      text: &str,
                      member: Option<&str>,
                      offset: u64| {
        if !first {
            out.push_str(", ");
        }
        first = false;
        let _ = write!(out, "{{\"ruleId\": \"{rule}\", \"level\": \"{level}\", \"message\": {{\"text\": ");
        js(out, text);
        out.push_str("}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ");
        js(out, &file.path);
        let _ = write!(out, "}}, \"region\": {{\"byteOffset\": {offset}, \"byteLength\": 1, \"startLine\": 1}}}}");
        if let Some(m) = member {
            out.push_str(", \"logicalLocations\": [{\"fullyQualifiedName\": ");
            js(out, m);
            out.push_str(", \"kind\": \"member\"}]");
        }
        let _ = write!(
            out,
            "}}], \"partialFingerprints\": {{\"pickleScan/v1\": \"{rule}:{}:{offset}\"}}}}",
            member.unwrap_or("")
        );
    };
    for file in files {
        for r in rows(file) {
            let level = if r.severity == Severity::Dangerous { "error" } else { "warning" };
            result(&mut out, file, r.rule, level, r.reason, r.member, r.offset);
        }
        for e in &file.errors {
            result(&mut out, file, "PKL190", "error", e, None, 0);
        }
    }
    out.push_str("]}]}\n");
    out
}
