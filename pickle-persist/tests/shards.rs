//! Sharded saves in a shared local directory: a step is visible only once
//! every shard is committed, whatever is killed when.
//!
//! The kill test runs this binary again as the shard writers (with
//! `PICKLE_PERSIST_SHARD_DIR` set): 4 processes per step, one of them killed
//! with SIGKILL at a random moment, while a reader in the parent loads every
//! step it can see. Set `PICKLE_PERSIST_SHARD_ROUNDS` for a longer run (the
//! default is 110).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{JobState, Rng, count_from_env, python_checks};
use pickle_persist::{Checkpointer, ErrorKind};
use pickle_test_support::TempDir;

const WORLD: u32 = 4;
const CHILD_ENV: &str = "PICKLE_PERSIST_SHARD_DIR";

/// The state of shard `rank` of `step`: its size tells the ranks apart.
fn shard(step: u64, rank: u32) -> JobState {
    JobState::at(step, 20_000 + rank as usize * 10)
}

fn shard_files(dir: &Path, step: u64) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.join(format!("steps/{step:020}"))];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort_by_key(|p| p.file_name().map(|n| n.to_owned()));
    files
}

#[test]
fn a_step_appears_when_its_last_shard_commits() {
    let dir = TempDir::new("shards");
    let mut writers: Vec<Checkpointer> =
        (0..WORLD).map(|_| Checkpointer::open_shared(dir.path()).expect("open_shared")).collect();
    for rank in 0..WORLD - 1 {
        let committed = writers[rank as usize].save_shard(5, rank, WORLD, &shard(5, rank)).expect("save shard");
        assert!(!committed, "rank {rank} is not the last");
        assert_eq!(writers[0].list().expect("list"), Vec::<u64>::new(), "no partial step is visible");
        assert!(writers[0].latest_shards::<JobState>().expect("latest").is_none());
    }
    // A rank may redo its shard until the step commits: the newest counts.
    writers[1].save_shard(5, 1, WORLD, &shard(5, 1)).expect("redo rank 1");
    let committed = writers[3].save_shard(5, 3, WORLD, &shard(5, 3)).expect("last shard");
    assert!(committed, "the last shard commits the step");

    let reader = &mut writers[0];
    assert_eq!(reader.list().expect("list"), [5]);
    let (step, shards) = reader.latest_shards::<JobState>().expect("latest").expect("a step");
    assert_eq!(step, 5);
    assert_eq!(shards, (0..WORLD).map(|r| shard(5, r)).collect::<Vec<_>>());
    assert_eq!(reader.load_shard::<JobState>(5, 2).expect("shard 2"), shard(5, 2));
    assert_eq!(reader.latest_shard::<JobState>(3).expect("latest shard"), Some((5, shard(5, 3))));
    let err = reader.latest::<JobState>().expect_err("sharded");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.to_string().contains("is sharded (4 shards)"), "{err}");
    let err = reader.load_shard::<JobState>(5, 7).expect_err("no such shard");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let info = &reader.list_info().expect("info")[0];
    assert_eq!((info.step, info.shards), (5, WORLD));

    // After the commit, a shard cannot be replaced, nor the step saved plain.
    let err = writers[2].save_shard(5, 2, WORLD, &shard(5, 2)).expect_err("committed");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let err = writers[2].save(5, &shard(5, 2)).expect_err("committed as shards");
    assert_eq!(err.kind(), ErrorKind::Conflict);

    // Each shard file is a plain pickle Python loads (the redone rank's
    // first file is no longer named by any receipt, but stays until
    // collected: five files).
    let files = shard_files(dir.path(), 5);
    assert_eq!(files.len(), 5, "{files:?}");
    let checks: Vec<(PathBuf, u64, usize)> =
        files.iter().map(|f| (f.clone(), 5, 20_000 + rank_of(f) as usize * 10)).collect();
    assert_eq!(python_checks(&checks), 5);
}

fn rank_of(file: &Path) -> u32 {
    let name = file.file_name().and_then(|n| n.to_str()).expect("name");
    name.strip_prefix("shard-").and_then(|r| r.get(..5)).and_then(|r| r.parse().ok()).expect("shard-RANK")
}

#[test]
fn a_step_whose_last_writer_died_before_the_marker_is_rolled_forward() {
    let dir = TempDir::new("shards-roll");
    let mut ckpt = Checkpointer::open_shared(dir.path()).expect("open");
    for rank in 0..WORLD {
        ckpt.save_shard(1, rank, WORLD, &shard(1, rank)).expect("shard");
    }
    // As if the last writer died between its receipt and the marker.
    std::fs::remove_file(dir.path().join("commits/00000000000000000001.pickle")).expect("remove marker");
    assert_eq!(ckpt.list().expect("list"), Vec::<u64>::new());
    let (step, shards) = ckpt.latest_shards::<JobState>().expect("latest").expect("rolled forward");
    assert_eq!((step, shards.len()), (1, WORLD as usize));
    assert_eq!(ckpt.list().expect("list"), [1]);
}

#[test]
fn retention_drops_old_sharded_steps_marker_first_and_collects_leftovers() {
    let dir = TempDir::new("shards-retain");
    let mut ckpt = Checkpointer::open(dir.path()).expect("open").keep_last(2);
    for step in 1..=4 {
        for rank in 0..WORLD {
            ckpt.save_shard(step, rank, WORLD, &shard(step, rank)).expect("shard");
        }
    }
    assert_eq!(ckpt.list().expect("list"), [3, 4]);
    for step in [1, 2] {
        assert!(shard_files(dir.path(), step).is_empty(), "step {step}'s data is gone");
        assert!(!dir.path().join(format!("parts/{step:020}")).exists(), "step {step}'s receipts are gone");
    }
    // An uncommitted step's shards (3 of 4) are collected by the next
    // latest() of the only writer (`open`: no grace period to wait).
    for rank in 0..WORLD - 1 {
        ckpt.save_shard(9, rank, WORLD, &shard(9, rank)).expect("shard");
    }
    assert_eq!(shard_files(dir.path(), 9).len(), 3);
    let (step, _) = ckpt.latest_shards::<JobState>().expect("latest").expect("a step");
    assert_eq!(step, 4);
    assert!(shard_files(dir.path(), 9).is_empty(), "unreferenced data is collected");
    assert!(!dir.path().join("parts/00000000000000000009").exists(), "stale receipts are collected");
}

/// One shard writer; does nothing unless started by the harness.
#[test]
fn shard_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else { return };
    let var = |name: &str| -> u64 { std::env::var(name).ok().and_then(|v| v.parse().ok()).expect(name) };
    let (step, rank) = (var("PICKLE_PERSIST_SHARD_STEP"), var("PICKLE_PERSIST_SHARD_RANK") as u32);
    let mut ckpt = Checkpointer::open_shared(&dir).expect("child: open");
    let committed = ckpt.save_shard(step, rank, WORLD, &shard(step, rank)).expect("child: save_shard");
    println!("{}", if committed { "committed" } else { "saved" });
}

fn spawn_shard(exe: &Path, dir: &Path, step: u64, rank: u32) -> std::process::Child {
    Command::new(exe)
        .args(["--exact", "shard_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .env("PICKLE_PERSIST_SHARD_STEP", step.to_string())
        .env("PICKLE_PERSIST_SHARD_RANK", rank.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn shard writer")
}

/// Checks the newest `newest` visible steps: all of their shards load,
/// whole. Returns how many steps are visible.
fn check_visible(ckpt: &Checkpointer, newest: usize) -> usize {
    let steps = ckpt.list().expect("list");
    for &step in steps.iter().rev().take(newest) {
        let shards: Vec<JobState> =
            ckpt.load_shards(step).unwrap_or_else(|e| panic!("step {step} is visible but does not load: {e}"));
        assert_eq!(shards.len(), WORLD as usize, "step {step} is visible with {} shards", shards.len());
        for (rank, s) in shards.iter().enumerate() {
            assert_eq!(*s, shard(step, rank as u32), "step {step} shard {rank} is damaged");
        }
    }
    steps.len()
}

#[test]
fn killing_one_of_four_shard_writers_never_shows_a_partial_step() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let rounds: u64 = count_from_env("PICKLE_PERSIST_SHARD_ROUNDS", 110);
    let dir = TempDir::new("shards-kill");
    let exe = std::env::current_exe().expect("test binary");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let stop = AtomicBool::new(false);
    let reads = AtomicUsize::new(0);
    let (mut killed_before_commit, mut redone) = (0, 0);
    std::thread::scope(|scope| {
        // A reader that loads every visible step, all the time.
        scope.spawn(|| {
            let ckpt = Checkpointer::open_shared(dir.path()).expect("reader: open");
            while !stop.load(Ordering::Relaxed) {
                check_visible(&ckpt, 2);
                reads.fetch_add(1, Ordering::Relaxed);
            }
        });
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for step in 1..=rounds {
                let victim = (rng.next() % u64::from(WORLD)) as u32;
                let mut children: Vec<_> = (0..WORLD).map(|rank| spawn_shard(&exe, dir.path(), step, rank)).collect();
                std::thread::sleep(Duration::from_micros(rng.next() % 30_000));
                children[victim as usize].kill().expect("SIGKILL");
                for child in &mut children {
                    let _ = child.wait();
                }
                let ckpt = Checkpointer::open_shared(dir.path()).expect("open");
                if !ckpt.list().expect("list").contains(&step) {
                    // The victim died before its shard committed: the others
                    // wrote theirs, and redoing the victim's commits the step.
                    killed_before_commit += 1;
                    let out = spawn_shard(&exe, dir.path(), step, victim).wait_with_output().expect("redo");
                    assert!(out.status.success(), "step {step}: redoing rank {victim} failed");
                    let said = String::from_utf8_lossy(&out.stdout);
                    assert!(said.contains("committed"), "step {step}: the redone rank {victim} did not commit: {said}");
                    redone += 1;
                }
                assert!(ckpt.list().expect("list").contains(&step), "step {step} is not committed after all shards");
                assert_eq!(check_visible(&ckpt, 1), step as usize);
            }
        }));
        stop.store(true, Ordering::Relaxed);
        if result.is_ok() {
            let ckpt = Checkpointer::open_shared(dir.path()).expect("open");
            assert_eq!(check_visible(&ckpt, usize::MAX), rounds as usize, "every step loads whole at the end");
        }
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    });
    assert!(killed_before_commit > 0, "no kill landed before its shard committed in {rounds} rounds");
    assert!(
        reads.load(Ordering::Relaxed) >= rounds as usize,
        "the reader checked only {} times",
        reads.load(Ordering::Relaxed)
    );
    println!(
        "{rounds} rounds of {WORLD} shard writers, one SIGKILLed each: {killed_before_commit} kills landed before the \
         victim's shard committed ({redone} redone); the reader loaded every visible step {} times; no partial step seen",
        reads.load(Ordering::Relaxed)
    );
}
