//! Helpers of the CLI's integration tests: the built binary and CPython with
//! the fixture modules on its path; the rest comes from pickle-test-support.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `pickle-cli/tests/python`, the fixture modules.
pub fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}

/// `python3` with the fixture modules importable.
pub fn python() -> Command {
    pickle_test_support::python3(&[&python_dir()])
}

/// The `pickle` binary under test.
pub fn pickle() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pickle"))
}
