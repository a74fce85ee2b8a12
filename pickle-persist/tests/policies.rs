//! Per-step metadata, retention policies and save policies, on a local
//! directory, with python3 reading the metadata back.

mod common;

use std::time::{Duration, SystemTime};

use common::JobState;
use pickle_persist::{Checkpointer, ErrorKind, Keep, SaveEvery};
use pickle_test_support::TempDir;

#[test]
fn metadata_is_recorded_listed_and_read_by_python() {
    let dir = TempDir::new("meta");
    let before = SystemTime::now() - Duration::from_secs(1);
    let mut ckpt = Checkpointer::open(dir.path()).expect("open");
    ckpt.metric("loss", 0.25).metric("accuracy", 0.75).save(3, &JobState::at(3, 10)).expect("save 3");
    ckpt.save_in_background(4, &JobState::at(4, 10)).expect("queue 4");
    ckpt.flush().expect("flush");
    let infos = ckpt.list_info().expect("list_info");
    assert_eq!(infos.iter().map(|i| i.step).collect::<Vec<_>>(), [3, 4]);
    assert_eq!(infos[0].metric("loss"), Some(0.25));
    assert_eq!(infos[0].metric("accuracy"), Some(0.75));
    assert!(infos[1].metrics.is_empty(), "metrics go with one save only: {:?}", infos[1].metrics);
    for info in &infos {
        assert_eq!(info.type_name, "policies::common::JobState");
        assert_eq!(info.shards, 1);
        assert!(info.time >= before && info.time <= SystemTime::now(), "{:?}", info.time);
        assert!(info.writer.ends_with(&format!(":{}", std::process::id())), "{}", info.writer);
    }

    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    let mut cmd = pickle_test_support::python3(&[&here]);
    cmd.arg(here.join("read_info.py")).arg(ckpt.path_for(3)).arg(ckpt.path_for(4));
    let out = String::from_utf8(pickle_test_support::run_ok(cmd, b"")).expect("UTF-8");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            r#"3 policies::common::JobState {"accuracy": 0.75, "loss": 0.25} JobState 1 True"#,
            r#"4 policies::common::JobState {} JobState 1 True"#,
        ]
    );
}

#[test]
fn retention_policies_compose() {
    let dir = TempDir::new("policies");
    let mut ckpt = Checkpointer::open(dir.path())
        .expect("open")
        .keep(Keep::Last(2))
        .keep(Keep::EveryNth(5))
        .keep(Keep::lowest("loss", 1))
        .keep(Keep::highest("accuracy", 1));
    // The loss is lowest at step 7, the accuracy highest at step 2.
    for step in 1..=12u64 {
        let loss = if step == 7 { 0.01 } else { 1.0 / step as f64 + 0.1 };
        let accuracy = if step == 2 { 0.99 } else { 0.5 };
        ckpt.metric("loss", loss).metric("accuracy", accuracy).save(step, &JobState::at(step, 4)).expect("save");
    }
    assert_eq!(ckpt.list().expect("list"), [2, 5, 7, 10, 11, 12]);
    // A reopened Checkpointer applies its own policies to what is there.
    drop(ckpt);
    let mut ckpt = Checkpointer::open(dir.path()).expect("reopen").keep_last(1);
    ckpt.save(13, &JobState::at(13, 4)).expect("save 13");
    assert_eq!(ckpt.list().expect("list"), [13]);
}

#[test]
fn save_policy_saves_every_n_steps_or_every_interval() {
    let dir = TempDir::new("due");
    let mut ckpt = Checkpointer::open(dir.path()).expect("open").save_every(SaveEvery::steps(10));
    let mut saved = Vec::new();
    for step in 0..35u64 {
        if ckpt.save_if_due(step, &JobState::at(step, 2)).expect("save_if_due") {
            saved.push(step);
        }
    }
    assert_eq!(saved, [0, 10, 20, 30]);
    // After a resume, the steps count from the newest checkpoint.
    drop(ckpt);
    let ckpt = Checkpointer::open(dir.path()).expect("reopen").save_every(SaveEvery::steps(10));
    assert!(!ckpt.is_due(39) && ckpt.is_due(40));
    // An interval alone: not due until it passed.
    let ckpt = ckpt.save_every(SaveEvery::interval(Duration::from_millis(200)));
    assert!(!ckpt.is_due(1000));
    std::thread::sleep(Duration::from_millis(250));
    assert!(ckpt.is_due(31));
}

#[test]
fn a_shared_directory_refuses_a_second_plain_save_of_a_step() {
    let dir = TempDir::new("shared-plain");
    let mut a = Checkpointer::open_shared(dir.path()).expect("open a");
    let mut b = Checkpointer::open_shared(dir.path()).expect("open b");
    let err = Checkpointer::open(dir.path()).expect_err("exclusive while shared");
    assert_eq!(err.kind(), ErrorKind::Locked);
    a.save(1, &JobState::at(1, 3)).expect("a saves 1");
    let err = b.save(1, &JobState::at(1, 99)).expect_err("b loses");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.path(), Some(a.path_for(1).as_path()));
    assert!(err.to_string().contains("another writer committed it first"), "{err}");
    assert_eq!(b.load::<JobState>(1).expect("a's state"), JobState::at(1, 3));
    let leftovers: Vec<String> = pickle_test_support::file_names(dir.path());
    assert_eq!(leftovers, [".lock", "00000000000000000001.pickle"], "the loser's staged file is gone");
}
