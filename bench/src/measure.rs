//! Timing and memory measurement.

use std::time::{Duration, Instant};

/// Short figures are noisy: runs go on while they add up to less than this
/// (bench/python/bench.py uses the same rule).
const MIN_TOTAL: Duration = Duration::from_millis(300);
const MAX_RUNS: usize = 100;

/// The best (smallest) wall time of at least `runs` runs of `f`, and of more
/// while they add up to less than [`MIN_TOTAL`]. The result of each run is
/// dropped outside the timed region.
pub fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut best = Duration::MAX;
    let started = Instant::now();
    let mut n = 0;
    while n < runs.max(1) || (started.elapsed() < MIN_TOTAL && n < MAX_RUNS) {
        let start = Instant::now();
        let out = std::hint::black_box(f());
        let took = start.elapsed();
        drop(out);
        best = best.min(took);
        n += 1;
    }
    best
}

/// A timed operation whose result is dropped outside the timed region.
pub type Op<'a> = Box<dyn FnMut() -> Box<dyn std::any::Any> + 'a>;

/// [`best`] of several operations measured in turns (one run of each per
/// round), so that each sees the allocator's state as the others do: a
/// large buffer freed by one is there for the next, whichever runs first.
pub fn best_each(runs: usize, ops: &mut [Op<'_>]) -> Vec<Duration> {
    let mut best = vec![Duration::MAX; ops.len()];
    let started = Instant::now();
    let budget = MIN_TOTAL * ops.len().max(1) as u32;
    let mut n = 0;
    while n < runs.max(1) || (started.elapsed() < budget && n < MAX_RUNS) {
        for (op, best) in ops.iter_mut().zip(&mut best) {
            let start = Instant::now();
            let out = std::hint::black_box(op());
            let took = start.elapsed();
            drop(out);
            *best = (*best).min(took);
        }
        n += 1;
    }
    best
}

/// A field of /proc/self/status in bytes (VmRSS, VmHWM).
pub fn proc_status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Seconds with three significant decimals, for tables.
pub fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// `a / b` as a ratio string.
pub fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64().max(1e-9))
}
