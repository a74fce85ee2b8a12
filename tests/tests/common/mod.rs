//! Helpers shared by the CPython interop tests: where the files are, how to
//! run `python3`, and temporary directories.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

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
    let mut cmd = Command::new("python3");
    cmd.arg(python_dir().join(script))
        .env("PYTHONPATH", python_dir())
        .env("PYTHONHASHSEED", "0")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8");
    cmd
}

/// Runs a command to the end and panics, showing its output, unless it
/// succeeded.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (is python3 on PATH?)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A directory under the system temp dir, removed when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory whose name starts with `prefix`.
    pub fn new(prefix: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("pickle-rs-{prefix}-{}-{n}", std::process::id()));
        if path.exists() {
            std::fs::remove_dir_all(&path).expect("remove a stale temp dir");
        }
        std::fs::create_dir_all(&path).expect("create a temp dir");
        TempDir(path)
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The file names in a directory, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").file_name().into_string().expect("a UTF-8 file name"))
        .collect();
    names.sort();
    names
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

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lowercase or uppercase hex as bytes; panics on anything else.
pub fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex {text:?}");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}
