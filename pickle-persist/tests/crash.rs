//! Kills a checkpointing child process with SIGKILL at random moments and
//! checks that no committed checkpoint is lost.
//!
//! The child is this test binary run again with `PICKLE_PERSIST_CHILD_DIR`
//! set: it resumes from the newest checkpoint and saves continuously,
//! printing `committed N` after each save returns. Set `PICKLE_PERSIST_KILLS`
//! for a longer run (the default is 200).

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{JobState, Rng, count_from_env, python_checks};
use pickle_persist::Checkpointer;
use pickle_test_support::TempDir;

const KEEP: usize = 3;
const CHILD_ENV: &str = "PICKLE_PERSIST_CHILD_DIR";

/// The child's body; does nothing unless started by the harness.
#[test]
fn child_process() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else { return };
    let mut ckpt = Checkpointer::open(&dir).expect("child: open").keep_last(KEEP);
    let start = match ckpt.latest::<JobState>().expect("child: latest") {
        Some((step, state)) => {
            assert!(state.is_consistent(), "child resumed from a damaged state");
            step + 1
        }
        None => 1,
    };
    let mut rng = Rng(start.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    for step in start.. {
        // Mostly small states, sometimes large ones, so kills land inside writes.
        let n = if rng.next().is_multiple_of(8) { 200_000 } else { (rng.next() % 2_000) as usize };
        ckpt.save(step, &JobState::at(step, n)).expect("child: save");
        println!("committed {step} {n}");
    }
}

#[test]
fn sigkill_at_random_moments_never_loses_a_committed_checkpoint() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let kills: usize = count_from_env("PICKLE_PERSIST_KILLS", 200);
    let dir = TempDir::new("crash");
    let exe = std::env::current_exe().expect("test binary");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut committed: BTreeSet<u64> = BTreeSet::new();
    let mut sizes = std::collections::HashMap::new();
    let mut for_python = Vec::new();
    let python_copies = TempDir::new("crash-copies");

    for kill in 0..kills {
        let mut child = Command::new(&exe)
            .args(["--exact", "child_process", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        // Even kills land at a random moment after the spawn (startup,
        // resume, temp-file cleanup, saves); odd kills wait for the child's
        // first commit, so that they land in the middle of its work however
        // slowly the machine starts processes.
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut record = |line: &str| {
            if let Some(rest) = line.strip_prefix("committed ") {
                let mut parts = rest.split(' ');
                let step: u64 = parts.next().and_then(|s| s.parse().ok()).expect("step");
                let n: usize = parts.next().and_then(|s| s.parse().ok()).expect("n");
                committed.insert(step);
                sizes.insert(step, n);
            }
        };
        if !kill.is_multiple_of(2) {
            for line in lines.by_ref().map_while(Result::ok) {
                let first = line.starts_with("committed ");
                record(&line);
                if first {
                    break;
                }
            }
            std::thread::sleep(Duration::from_micros(rng.next() % 20_000));
        } else {
            std::thread::sleep(Duration::from_micros(rng.next() % 40_000));
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        for line in lines.map_while(Result::ok) {
            record(&line);
        }

        let mut ckpt = Checkpointer::open(dir.path()).expect("the killed child's lock is released");
        let newest_committed = committed.last().copied();
        let latest = ckpt.latest::<JobState>().expect("latest");
        match (newest_committed, &latest) {
            (None, _) => {}
            (Some(c), None) => panic!("kill {kill}: step {c} was committed but latest() found nothing"),
            (Some(c), Some((step, state))) => {
                assert!(*step >= c, "kill {kill}: latest() is step {step}, older than committed step {c}");
                assert!(state.is_consistent() && state.step == *step, "kill {kill}: damaged state at step {step}");
            }
        }
        // Every committed step inside the retention window is still there and whole.
        if let Some((latest_step, latest_state)) = &latest {
            let window_start = latest_step.saturating_sub(KEEP as u64 - 1);
            for &step in committed.range(window_start..=*latest_step) {
                let state: JobState = ckpt.load(step).unwrap_or_else(|e| panic!("kill {kill}: lost step {step}: {e}"));
                assert_eq!(state, JobState::at(step, sizes[&step]), "kill {kill}: step {step} changed");
            }
            // Python must open the newest checkpoint as a real object after
            // every kill; copies are checked in one python3 run at the end,
            // since later runs delete old files.
            let copy = python_copies.path().join(format!("kill{kill}.pickle"));
            std::fs::copy(ckpt.path_for(*latest_step), &copy).expect("copy for python");
            // The newest checkpoint may be one the child committed but was
            // killed before reporting, so take its size from the state.
            for_python.push((copy, *latest_step, latest_state.weights.len()));
        }
        assert!(ckpt.skipped().is_empty(), "kill {kill}: damaged checkpoints under final names: {:?}", ckpt.skipped());
    }
    assert!(committed.len() >= kills / 2, "the child committed only {} checkpoints in {kills} runs", committed.len());
    let checked = python_checks(&for_python);
    assert_eq!(checked, for_python.len());
    println!(
        "survived {kills} SIGKILLs; {} checkpoints committed; python3 loaded {checked} newest checkpoints",
        committed.len()
    );
}
