//! Runs python3 with the helpers of `tests/python` for the derive tests.
// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;

use pickle_core::{EncodeOptions, ToPickle};

/// `tests/python`.
pub fn python_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("python")
}

/// Runs `script` with python3 (the helpers importable, `extra_path` too),
/// `stdin` as its input; returns its stdout lines. Panics with its stderr.
pub fn python_with_path(script: &str, stdin: &str, extra_path: Option<&std::path::Path>) -> Vec<String> {
    let helpers = python_dir();
    let mut path = vec![helpers.as_path()];
    path.extend(extra_path);
    path.reverse();
    let mut cmd = pickle_test_support::python3(&path);
    cmd.arg("-c").arg(script);
    let out = pickle_test_support::run_ok(cmd, stdin.as_bytes());
    String::from_utf8_lossy(&out).lines().map(str::to_owned).collect()
}

/// [`python_with_path`] without an extra path.
pub fn python(script: &str, stdin: &str) -> Vec<String> {
    python_with_path(script, stdin, None)
}

/// `value` pickled at every protocol 0-5, as hex lines.
pub fn all_protocols<T: ToPickle + ?Sized>(value: &T) -> String {
    (0..=5u8)
        .map(|p| {
            let bytes = pickle_core::to_vec_with(value, EncodeOptions::default().protocol(p)).expect("encodes");
            hex(&bytes) + "\n"
        })
        .collect()
}

pub use pickle_test_support::{hex, unhex};

/// Parses the `kind protocol hex` lines of `dump_all`.
/// `(class style, protocol, pickle)` triples.
pub type Dumps = Vec<(String, u8, Vec<u8>)>;

/// Parses the `kind protocol hex` lines of `dump_all`.
pub fn dumps(lines: &[String]) -> Dumps {
    lines
        .iter()
        .filter_map(|l| {
            let mut parts = l.split(' ');
            let (kind, proto, hex) = (parts.next()?, parts.next()?, parts.next()?);
            Some((kind.to_owned(), proto.parse().ok()?, unhex(hex)))
        })
        .collect()
}

/// The (kind, protocol) pairs dump_all writes for the five class styles.
pub const DUMPS_PER_VALUE: usize = 6 + 6 + 4 + 6 + 4;

/// How many class styles `derive_helper.LOAD_KINDS` has: plain, dataclass,
/// slots dataclass, `__slots__`.
pub const KINDS: usize = 4;

/// Python builds the classes of `spec` in each class style the default
/// state form loads into (`LOAD_KINDS`), loads the six
/// pickles (one per protocol) with them, prints each one's description (6
/// lines per style), runs `modify` on the first object and writes it back
/// with every class style.
pub fn round_trip(spec: &str, pickles: &str, modify: &str) -> (Vec<String>, Dumps) {
    let script = format!(
        "from derive_helper import *\nimport json\nspec = json.loads('''{spec}''')\n\
         raws = read_pickles()\nfor kind in LOAD_KINDS:\n    classes(spec, kind)\n    for b in raws:\n        \
         emit(describe(pickle.loads(b)))\nclasses(spec)\n\
         def make():\n    obj = pickle.loads(raws[0])\n    {modify}\n    return obj\n\
         dump_all(make, spec)\n"
    );
    let lines = python(&script, pickles);
    let (described, rest) = lines.split_at(6 * KINDS);
    (described.to_vec(), dumps(rest))
}
