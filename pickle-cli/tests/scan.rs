//! `pickle scan` on a corpus of malicious and benign files made by
//! `tests/python/scan_corpus.py` (NumPy, pandas and scikit-learn ones in the
//! pandas3 venv), checked file by file against the labels the script
//! writes, against CPython's own unpickler (which globals it resolves), and
//! through the command line: exit codes, JSON, SARIF, policies.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use pickle_cli::scan::{FileReport, scan_bytes};
use pickle_core::scan::{Scanner, Verdict};
use pickle_test_support::{TempDir, run, venv_python};

/// The corpus, made once per test binary run, or `None` without the venv.
fn corpus() -> Option<&'static Path> {
    static DIR: std::sync::OnceLock<Option<(TempDir, PathBuf)>> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let python = venv_python("pandas3")?;
        let dir = TempDir::new("scan-corpus");
        let out = dir.path().join("corpus");
        let mut cmd = std::process::Command::new(python);
        cmd.arg(common::python_dir().join("scan_corpus.py")).arg(&out);
        let output = run(cmd, b"");
        assert!(output.status.success(), "scan_corpus.py failed: {}", String::from_utf8_lossy(&output.stderr));
        Some((dir, out))
    })
    .as_ref()
    .map(|(_, p)| p.as_path())
}

fn labels(dir: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(dir.join("labels.tsv")).expect("labels.tsv");
    text.lines()
        .map(|l| {
            let mut parts = l.split('\t').map(str::to_owned);
            let mut next = || parts.next().expect("three columns");
            (next(), next(), next())
        })
        .collect()
}

fn scan_file(dir: &Path, rel: &str) -> FileReport {
    let data = std::fs::read(dir.join(rel)).expect("corpus file");
    scan_bytes(rel, &data, &Scanner::new())
}

#[test]
fn every_corpus_file_gets_its_label() {
    let Some(dir) = corpus() else { return };
    let mut wrong = Vec::new();
    let mut counts: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    for (rel, kind, expect) in labels(dir) {
        let report = scan_file(dir, &rel);
        let verdict = report.verdict().as_str();
        *counts.entry((kind.clone(), verdict)).or_default() += 1;
        if verdict != expect {
            let why: Vec<String> = report.findings().map(|(_, at, f)| format!("@{at} {}", f.reason)).collect();
            wrong.push(format!("{rel}: expected {expect}, got {verdict} {why:?} {:?}", report.errors));
        }
    }
    eprintln!("verdicts by kind: {counts:?}");
    assert!(wrong.is_empty(), "{} files misjudged:\n{}", wrong.len(), wrong.join("\n"));
    // The acceptance bar, stated on its own: no malicious file safe, at
    // least 95% dangerous (here all), no benign file dangerous.
    let malicious: usize = counts.iter().filter(|((k, _), _)| k == "malicious").map(|(_, n)| n).sum();
    let dangerous = counts.get(&("malicious".into(), "dangerous")).copied().unwrap_or(0);
    assert!(malicious >= 120 && dangerous * 100 >= malicious * 95, "{dangerous} of {malicious}");
    assert_eq!(counts.get(&("benign".into(), "dangerous")), None);
    assert!(counts.get(&("benign".into(), "safe")).copied().unwrap_or(0) >= 50);
}

#[test]
fn findings_name_the_offset_the_opcode_and_the_global() {
    let Some(dir) = corpus() else { return };
    let report = scan_file(dir, "malicious/reduce_os_system_p0.pkl");
    let found: Vec<(u64, &str, Option<&str>, &str, &str)> =
        report.findings().map(|(_, at, f)| (at, f.opcode, f.global.as_deref(), f.used.as_str(), f.rule)).collect();
    assert_eq!(
        found,
        [(0, "GLOBAL", Some("os.system"), "import", "PKL110"), (19, "REDUCE", Some("os.system"), "call", "PKL100")]
    );
    // Python 2 names are judged by what Python 3 maps them to.
    let report = scan_file(dir, "malicious/compat_commands_getoutput.pkl");
    let first = report.findings().next().expect("a finding").2;
    assert_eq!(
        (first.offset, first.global.as_deref(), first.written_as.as_deref()),
        (2, Some("subprocess.getoutput"), Some("commands.getoutput"))
    );
    // A callable computed at load time; its callee's offset is where the call that made it is.
    let report = scan_file(dir, "malicious/functools_partial_wrapper.pkl");
    let dynamic = report.findings().find(|(_, _, f)| f.rule == "PKL101").expect("a dynamic call").2;
    assert_eq!((dynamic.opcode, dynamic.callee_offset), ("REDUCE", Some(43)));
    // Fail closed: the stream breaks after its payload; the payload stands.
    let report = scan_file(dir, "malicious/broken_pickle_after_payload.pkl");
    assert_eq!(report.verdict(), Verdict::Dangerous);
    let error = report.parts[0].report.error.as_ref().expect("the break");
    assert_eq!((error.kind(), error.offset()), (pickle_core::ErrorKind::InvalidOpcode, Some(24)));
    // A pickle inside a pickle: findings carry the inner offset.
    let report = scan_file(dir, "malicious/nested_pickle_loads_bytes.pkl");
    assert!(
        report.findings().any(|(_, _, f)| f.reason.starts_with("in the pickle pickle.loads loads, at its byte 14:"))
    );
    // Containers: the member and the legacy layout are named.
    let report = scan_file(dir, "malicious/torchzip_duplicate_member.pt");
    let members: Vec<Option<&str>> = report.parts.iter().map(|p| p.member.as_deref()).collect();
    assert_eq!(members, [Some("archive/data.pkl"), Some("archive/data.pkl")]);
    assert_eq!(scan_file(dir, "benign/torch_like_legacy.pt").container, "legacy-torch");
}

#[test]
fn every_global_cpython_resolves_is_reported() {
    let Some(dir) = corpus() else { return };
    let files: Vec<String> = labels(dir)
        .into_iter()
        .map(|(rel, _, _)| rel)
        .filter(|rel| matches!(scan_file(dir, rel).container, "pickle" | "legacy-torch"))
        .collect();
    let mut cmd = common::python();
    cmd.arg(common::python_dir().join("scan_oracle.py")).current_dir(dir).args(&files);
    let output = run(cmd, b"");
    assert!(output.status.success(), "scan_oracle.py: {}", String::from_utf8_lossy(&output.stderr));
    let oracle = String::from_utf8(output.stdout).expect("utf-8");
    let mut checked = 0;
    let mut missing = Vec::new();
    for rel in &files {
        let report = scan_file(dir, rel);
        let ours: BTreeSet<&str> =
            report.parts.iter().flat_map(|p| p.report.imports.iter().map(|i| i.global.as_str())).collect();
        for global in oracle_globals(&oracle, rel) {
            checked += 1;
            if !ours.contains(global.as_str()) {
                missing.push(format!("{rel}: {global}"));
            }
        }
    }
    eprintln!("{checked} globals CPython resolved in {} files", files.len());
    assert!(checked > 300, "only {checked} globals checked");
    assert!(missing.is_empty(), "globals CPython resolved that the scan did not report:\n{}", missing.join("\n"));
}

/// The globals the oracle lists for `rel` (a tiny reader of its JSON: an
/// object of string arrays, with names that need no escapes).
fn oracle_globals(json: &str, rel: &str) -> Vec<String> {
    let key = format!("\"{rel}\": [");
    let Some(start) = json.find(&key) else { panic!("the oracle skipped {rel}") };
    let rest = &json[start + key.len()..];
    let list = &rest[..rest.find(']').expect("a closed list")];
    list.split(", ").filter(|s| !s.is_empty()).map(|s| s.trim_matches('"').to_owned()).collect()
}

fn pickle_scan(args: &[&str], dir: &Path) -> (i32, String, String) {
    let mut cmd = common::pickle();
    cmd.arg("scan").args(args).current_dir(dir);
    let out = run(cmd, b"");
    let code = out.status.code().expect("an exit code");
    (code, String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn exit_codes_say_safe_dangerous_or_unread() {
    let Some(dir) = corpus() else { return };
    let safe = "benign/plain_data_p4.pkl";
    let unknown = "benign/dataclass_p4.pkl";
    let bad = "malicious/reduce_os_system_p0.pkl";
    assert_eq!(pickle_scan(&[safe], dir).0, 0);
    assert_eq!(pickle_scan(&[safe, unknown], dir).0, 0, "unknown passes without --strict");
    assert_eq!(pickle_scan(&["--strict", safe, unknown], dir).0, 1);
    assert_eq!(pickle_scan(&[safe, bad], dir).0, 1);
    let (code, out, _) = pickle_scan(&["missing.pkl"], dir);
    assert_eq!(code, 2);
    assert!(out.contains("missing.pkl: error:"), "{out}");
    assert_eq!(pickle_scan(&["labels.tsv"], dir).0, 2, "not a pickle");
    // Dangerous wins over a read error.
    assert_eq!(pickle_scan(&["missing.pkl", bad], dir).0, 1);
    assert_eq!(pickle_scan(&["--format", "yaml", safe], dir).0, 2, "bad usage");
    // A whole directory, recursively; what is plainly not a pickle there
    // (a README) is skipped, while a file named on the command line must be one.
    let (code, out, _) = pickle_scan(&["benign"], dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 dangerous, 0 errors"), "{out}");
    let mixed = TempDir::new("scan-mixed");
    mixed.file("README.txt", b"not a pickle");
    mixed.file("model.pkl", &std::fs::read(dir.join(safe)).expect("corpus file"));
    let (code, out, _) = pickle_scan(&[mixed.path().to_str().expect("utf-8 path")], dir);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("scanned 1 file: 1 safe") && out.contains("skipped 1 file(s)") && out.contains("README.txt"),
        "{out}"
    );
    let (code, out, _) = pickle_scan(&["--format", "json", mixed.path().to_str().expect("utf-8 path")], dir);
    assert_eq!(code, 0);
    assert!(out.contains("\"skipped\": [\"") && out.contains("README.txt\"]}"), "{out}");
}

#[test]
fn a_policy_file_allows_an_application_s_classes_but_never_a_dangerous_one() {
    let Some(dir) = corpus() else { return };
    let policy = dir.join("app.policy");
    std::fs::write(&policy, "# the application's own classes\ncorpus_app:Point\nos:system  # ignored: dangerous\n")
        .expect("policy");
    let with = ["--strict", "--policy", "app.policy"];
    assert_eq!(pickle_scan(&[&with[..], &["benign/dataclass_p4.pkl"]].concat(), dir).0, 0);
    assert_eq!(pickle_scan(&[&with[..], &["benign/enum_member_p4.pkl"]].concat(), dir).0, 1);
    assert_eq!(pickle_scan(&[&with[..], &["malicious/reduce_os_system_p0.pkl"]].concat(), dir).0, 1);
    std::fs::write(&policy, "corpus_app.Point\n").expect("policy");
    let (code, _, err) = pickle_scan(&["--policy", "app.policy", "benign/dataclass_p4.pkl"], dir);
    assert_eq!(code, 2);
    assert!(err.contains("line 1: \"corpus_app.Point\" is not `module:qualname`"), "{err}");
}

#[test]
fn json_and_sarif_parse_and_carry_the_findings() {
    let Some(dir) = corpus() else { return };
    let files =
        ["malicious/reduce_os_system_p0.pkl", "malicious/torchzip_name_mismatch.pt", "benign/plain_data_p0.pkl"];
    let (code, json, _) = pickle_scan(&[&["--format", "json"][..], &files].concat(), dir);
    assert_eq!(code, 1);
    let (code, sarif, _) = pickle_scan(&[&["--format", "sarif"][..], &files].concat(), dir);
    assert_eq!(code, 1);
    // CPython's json module checks both.
    let check = r#"
import json, sys
doc = json.loads(open(sys.argv[1]).read())
files = {f["path"]: f for f in doc["files"]}
f = files["malicious/reduce_os_system_p0.pkl"]
assert f["verdict"] == "dangerous", f
assert [(x["offset"], x["global"], x["use"]) for x in f["findings"]] == [(0, "os.system", "import"), (19, "os.system", "call")], f
assert all(x["reason"] for x in f["findings"])
z = files["malicious/torchzip_name_mismatch.pt"]
assert z["container"] == "zip" and any(x["member"] == "archive/data.pkl" and x["use"] == "call" for x in z["findings"]), z
assert any(x["rule"] == "PKL170" for x in z["findings"]), z
assert files["benign/plain_data_p0.pkl"]["verdict"] == "safe"
s = json.loads(open(sys.argv[2]).read())
assert s["version"] == "2.1.0"
run = s["runs"][0]
rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
results = run["results"]
assert all(r["ruleId"] in rules for r in results)
assert {r["locations"][0]["physicalLocation"]["region"]["byteOffset"] for r in results
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "malicious/reduce_os_system_p0.pkl"} == {0, 19}
assert any(r["level"] == "error" for r in results)
print("ok")
"#;
    let tmp = TempDir::new("scan-json");
    let j = tmp.file("scan.json", json.as_bytes());
    let s = tmp.file("scan.sarif", sarif.as_bytes());
    let mut cmd = common::python();
    cmd.arg("-c").arg(check).arg(&j).arg(&s);
    let out = run(cmd, b"");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
