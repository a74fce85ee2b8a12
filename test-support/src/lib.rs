//! What the workspace's test suites share: temporary directories, running
//! CPython (the default `python3` or a pyenv version), and hex for test
//! data. A dev-dependency only; it does not depend on pickle-core, so every
//! crate's tests can use it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A fresh directory under the system temp dir, removed when dropped.
#[derive(Debug)]
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    /// A new empty directory whose name starts with `pickle-rs-{label}-`.
    pub fn new(label: &str) -> TempDir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("pickle-rs-{label}-"))
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temp dir for {label}: {e}"));
        TempDir(dir)
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Writes `contents` to the file `name` in the directory; its path.
    pub fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }
}

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("test-support sits in the workspace").to_path_buf()
}

/// `python3` from PATH with a reproducible environment: `path` on
/// PYTHONPATH, PYTHONHASHSEED=0 (set order is the same on every run), no
/// bytecode files, UTF-8 standard streams.
pub fn python3(path: &[&Path]) -> Command {
    python_at("python3", path)
}

/// [`python3`] for another interpreter.
pub fn python_at(interpreter: impl AsRef<std::ffi::OsStr>, path: &[&Path]) -> Command {
    let mut cmd = Command::new(interpreter);
    let joined = std::env::join_paths(path).expect("paths without the separator");
    cmd.env("PYTHONPATH", joined)
        .env("PYTHONHASHSEED", "0")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8");
    cmd
}

/// The CPython `major.minor` installed under pyenv, newest patch first, or
/// `None` where the machine does not have it: tests skip with a message.
pub fn pyenv_python(version: &str) -> Option<PathBuf> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")))?;
    let prefix = format!("{version}.");
    let mut found: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir(root.join("versions"))
        .ok()?
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let patch: u32 = name.strip_prefix(&prefix)?.parse().ok()?;
            let exe = root.join("versions").join(&name).join("bin").join(format!("python{version}"));
            exe.exists().then_some((vec![patch], exe))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, exe)| exe)
}

/// The python of the venv `target/venvs/{name}` that `scripts/venvs.sh`
/// makes from `tests/python/venvs/{name}.txt`, or `None` where it has not
/// been made. `scripts/test.sh` (what CI runs) makes every venv and sets
/// `PICKLE_RS_REQUIRE_VENVS=1`, under which a missing venv is a failure
/// rather than a skip.
pub fn venv_python(name: &str) -> Option<PathBuf> {
    let dir = workspace_root().join("target").join("venvs").join(name);
    let exe = dir.join("bin").join("python");
    if dir.join(".stamp").exists() && exe.exists() {
        return Some(exe);
    }
    if std::env::var_os("PICKLE_RS_REQUIRE_VENVS").is_some_and(|v| v == "1") {
        panic!("the venv {} is missing: run scripts/venvs.sh", dir.display());
    }
    eprintln!("skipped: no venv {} (run scripts/venvs.sh)", dir.display());
    None
}

/// Runs `cmd` to the end with `stdin` as its input (fed from a thread, so a
/// large input cannot deadlock against a large output).
pub fn run(mut cmd: Command, stdin: &[u8]) -> Output {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let input = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{shown} did not finish: {e}"));
    let _ = feeder.join();
    output
}

/// [`run`] for a command that must succeed: its stdout, or a panic that
/// shows its status, stdout and stderr.
pub fn run_ok(cmd: Command, stdin: &[u8]) -> Vec<u8> {
    let shown = format!("{cmd:?}");
    let out = run(cmd, stdin);
    assert!(
        out.status.success(),
        "{shown} failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex (either case) as bytes; panics on anything else.
pub fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex {text:?}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap_or_else(|_| panic!("bad hex {text:?}")))
        .collect()
}

/// The names of the files in `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_temp_dirs_go_away() {
        assert_eq!(hex(b"\x00\xab"), "00ab");
        assert_eq!(unhex("00AB"), b"\x00\xab");
        let dir = TempDir::new("self-test");
        let path = dir.file("b", b"x");
        dir.file("a", b"");
        assert_eq!(file_names(dir.path()), ["a", "b"]);
        let root = dir.path().to_path_buf();
        drop(dir);
        assert!(!path.exists() && !root.exists());
    }

    #[test]
    fn python3_runs_with_the_environment() {
        let mut cmd = python3(&[Path::new("/nonexistent-a"), Path::new("/b")]);
        cmd.args([
            "-c",
            "import os, sys; print(os.environ['PYTHONPATH'], os.environ['PYTHONHASHSEED'], sys.stdin.read())",
        ]);
        let out = String::from_utf8(run_ok(cmd, b"in")).expect("UTF-8");
        assert_eq!(out, "/nonexistent-a:/b 0 in\n");
    }
}

/// A global allocator that counts the bytes allocated, for tests that
/// measure a decode's peak memory. A test binary installs it with
/// `#[global_allocator] static A: pickle_test_support::Counting = pickle_test_support::Counting;`
/// and measures with [`peak_of`]; it should hold only tests that do not run
/// concurrently with each other's measurements.
#[derive(Debug)]
pub struct Counting;

static CURRENT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

// SAFETY: every call forwards to the system allocator with the same layout;
// the counters only observe sizes.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        let p = unsafe { std::alloc::System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `alloc` with `layout`.
        unsafe { std::alloc::System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
    }
}

/// Runs `f` and returns its result and the most bytes it had allocated at
/// once beyond what was allocated before (with [`Counting`] installed).
pub fn peak_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    use std::sync::atomic::Ordering::Relaxed;
    let before = CURRENT.load(Relaxed);
    PEAK.store(before, Relaxed);
    let r = f();
    (r, PEAK.load(Relaxed).saturating_sub(before))
}
