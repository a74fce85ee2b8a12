//! `pickle dis F` against `python3 -m pickletools F` on a corpus that CPython
//! writes (tests/python/dis_corpus.py): stdout must be byte-identical, and on
//! malformed input both must fail (status 1) after the same partial output.

mod common;

use std::path::{Path, PathBuf};

use common::{TempDir, pickle, python, run, run_ok};

fn corpus(dir: &Path, sub: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir.join(sub)).expect("corpus dir").map(|entry| entry.expect("dir entry").path()).collect();
    files.sort();
    files
}

/// Splits the output of `python3 -m pickletools F1 F2 ...` into each file's
/// disassembly, using the `==> F <==` preamble it prints before each.
fn split_by_preamble(text: &str, files: &[PathBuf]) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = text;
    for (i, file) in files.iter().enumerate() {
        let preamble = format!("==> {} <==\n", file.display());
        rest = rest.strip_prefix(&preamble).unwrap_or_else(|| panic!("missing preamble for file {i}: {preamble}"));
        let end = files
            .get(i + 1)
            .map_or(rest.len(), |next| rest.find(&format!("==> {} <==\n", next.display())).expect("next preamble"));
        parts.push(rest[..end].to_string());
        rest = &rest[end..];
    }
    parts
}

#[test]
fn dis_matches_pickletools_on_valid_pickles() {
    let dir = TempDir::new("dis");
    let mut gen_cmd = python();
    gen_cmd.arg(common::python_dir().join("dis_corpus.py")).arg(dir.path());
    run_ok(gen_cmd, b"");
    let files = corpus(dir.path(), "good");
    // 6 protocols x (37 objects + 1 with everything) + 2 extra at p2+, buffers,
    // a two-pickle file and 14 hand-written Python 2 style pickles.
    assert_eq!(files.len(), 253, "corpus size changed");

    let mut pickletools = python();
    pickletools.args(["-m", "pickletools"]).args(&files);
    let expected = String::from_utf8(run_ok(pickletools, b"")).expect("pickletools prints UTF-8");
    let expected = split_by_preamble(&expected, &files);

    let mut compared = 0;
    for (file, want) in files.iter().zip(&expected) {
        let mut cmd = pickle();
        cmd.arg("dis").arg(file);
        let got = run_ok(cmd, b"");
        assert_eq!(String::from_utf8_lossy(&got), *want, "pickle dis {} differs from pickletools", file.display());
        compared += 1;
    }
    eprintln!("pickle dis matched python3 -m pickletools on {compared} valid pickles");
    assert_eq!(compared, 253);
}

#[test]
fn dis_fails_where_pickletools_fails_with_the_same_partial_output() {
    let dir = TempDir::new("dis-bad");
    let mut gen_cmd = python();
    gen_cmd.arg(common::python_dir().join("dis_corpus.py")).arg(dir.path());
    run_ok(gen_cmd, b"");
    let files = corpus(dir.path(), "bad");
    assert_eq!(files.len(), 77, "corpus size changed");

    // pickletools stops at the first error, so each file is its own run;
    // two workers keep the wall time down.
    let (left, right) = files.split_at(files.len() / 2);
    let compared: usize = std::thread::scope(|s| {
        let workers = [left, right].map(|part| {
            s.spawn(move || {
                part.iter().for_each(check_bad);
                part.len()
            })
        });
        workers.into_iter().map(|w| w.join().expect("worker")).sum()
    });
    eprintln!("pickle dis matched python3 -m pickletools on {compared} malformed pickles");
    assert_eq!(compared, 77);
}

fn check_bad(file: &PathBuf) {
    let mut pickletools = python();
    pickletools.args(["-m", "pickletools"]).arg(file);
    let want = run(pickletools, b"");
    assert_eq!(want.status.code(), Some(1), "pickletools accepted {}", file.display());

    let mut cmd = pickle();
    cmd.arg("dis").arg(file);
    let got = run(cmd, b"");
    assert_eq!(got.status.code(), Some(1), "pickle dis accepted {}", file.display());
    assert_eq!(String::from_utf8_lossy(&got.stdout), String::from_utf8_lossy(&want.stdout), "{}", file.display());
    let stderr = String::from_utf8_lossy(&got.stderr);
    let prefix = format!("pickle: {}: ", file.display());
    assert!(stderr.starts_with(&prefix) && stderr.contains(" at byte "), "{}: {stderr}", file.display());
}
