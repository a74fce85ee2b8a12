//! What the persist tests share: the checkpointed state type (a Python
//! `crash_state.JobState` instance) and helpers.
// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use pickle_core::{Context, Encoder, FromPickle, Item, ToPickle};

/// A job's state, written as an instance of the Python dataclass
/// `crash_state.JobState` (tests/python/crash_state.py).
#[derive(Debug, Clone, PartialEq)]
pub struct JobState {
    pub step: u64,
    pub weights: Vec<f64>,
    pub note: String,
}

impl JobState {
    /// A state whose contents are derived from its step, so that any
    /// damage is detectable.
    pub fn at(step: u64, n: usize) -> JobState {
        JobState { step, weights: (0..n).map(|i| step as f64 + i as f64 * 0.5).collect(), note: format!("step {step}") }
    }

    pub fn is_consistent(&self) -> bool {
        self.note == format!("step {}", self.step)
            && self.weights.iter().enumerate().all(|(i, &w)| w == self.step as f64 + i as f64 * 0.5)
    }
}

impl ToPickle for JobState {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> pickle_core::Result<()> {
        enc.write_instance("crash_state", "JobState", 3, |s| {
            s.field("step", &self.step)?;
            s.field("weights", &self.weights)?;
            s.field("note", &self.note)
        })
    }
}

impl<'a> FromPickle<'a> for JobState {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> pickle_core::Result<Self> {
        let v = cx.value();
        let obj = v.as_object(item).ok_or_else(|| cx.mismatch(item, "a crash_state.JobState"))?;
        let class = v.as_global(obj.class).ok_or_else(|| cx.mismatch(obj.class, "a class"))?;
        if !class.is("crash_state", "JobState") {
            return Err(cx.error(item, format_args!("expected crash_state.JobState, found {class}")));
        }
        let field = |name: &str| v.attr(item, name).ok_or_else(|| cx.error(item, format_args!("no field {name}")));
        let (step, weights, note) = (field("step")?, field("weights")?, field("note")?);
        Ok(JobState { step: cx.decode(step)?, weights: cx.decode(weights)?, note: cx.decode(note)? })
    }
}

/// Runs tests/python/check_checkpoints.py on `files` (path, step, number of
/// weights) and returns how many python3 checked.
pub fn python_checks(files: &[(PathBuf, u64, usize)]) -> usize {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    let args: Vec<String> = files.iter().map(|(p, s, n)| format!("{}:{s}:{n}", p.display())).collect();
    let mut cmd = pickle_test_support::python3(&[&here]);
    cmd.arg(here.join("check_checkpoints.py")).args(&args);
    let text = String::from_utf8(pickle_test_support::run_ok(cmd, b"")).expect("UTF-8");
    text.trim().strip_prefix("ok ").and_then(|n| n.parse().ok()).expect("python3 prints ok N")
}

/// A small deterministic random number generator (xorshift), so that kill
/// tests land their kills at reproducible moments.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A count from the environment variable `name` (a longer run), else `default`.
pub fn count_from_env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}
