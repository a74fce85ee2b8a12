//! Helpers shared by the CPython interop tests: where the files are and how
//! to run their Python scripts; the rest comes from pickle-test-support.
// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The `tests` crate's directory (`tests/` of the workspace).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/python`, where the Python helpers live.
pub fn python_dir() -> PathBuf {
    crate_dir().join("python")
}

/// `tests/golden`, the committed golden files.
pub fn golden_dir() -> PathBuf {
    crate_dir().join("golden")
}

/// `python3` from PATH running `tests/python/<script>`, with `tests/python`
/// on PYTHONPATH (so `import sample_classes` works) and PYTHONHASHSEED=0 (so
/// set order is the same on every run).
pub fn python_script(script: &str) -> Command {
    let mut cmd = python();
    cmd.arg(python_dir().join(script));
    cmd
}

/// `python3` with `tests/python` on PYTHONPATH.
pub fn python() -> Command {
    pickle_test_support::python3(&[&python_dir()])
}

/// For a failed comparison of two long strings: both in full when short,
/// else the window around the first difference.
pub fn show_difference(expected: &str, got: &str) -> String {
    const FULL: usize = 4000;
    if expected.len() + got.len() <= FULL {
        return format!("expected: {expected}\n     got: {got}");
    }
    let at = expected.bytes().zip(got.bytes()).take_while(|(a, b)| a == b).count();
    let window = |s: &str| {
        let mut lo = at.saturating_sub(300);
        while !s.is_char_boundary(lo) {
            lo -= 1;
        }
        let mut hi = (at + 300).min(s.len());
        while !s.is_char_boundary(hi) {
            hi += 1;
        }
        format!("...{}...", &s[lo..hi])
    };
    format!(
        "the texts ({} and {} bytes) first differ at byte {at}\nexpected: {}\n     got: {}",
        expected.len(),
        got.len(),
        window(expected),
        window(got)
    )
}
