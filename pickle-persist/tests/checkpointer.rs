//! The Checkpointer and single files, against the real file system and
//! python3.

mod common;

use std::fs;

use common::{JobState, python_checks};
use pickle_persist::{Checkpointer, ErrorKind, Mapped};
use pickle_test_support::{TempDir, file_names};

#[test]
fn saves_are_named_by_step_and_python_loads_them_as_objects() {
    let dir = TempDir::new("names");
    let mut ckpt = Checkpointer::open(dir.path()).expect("open");
    ckpt.save(7, &JobState::at(7, 3)).expect("save 7");
    ckpt.save(42, &JobState::at(42, 5)).expect("save 42");
    assert_eq!(file_names(dir.path()), [".lock", "00000000000000000007.pickle", "00000000000000000042.pickle"]);
    assert_eq!(ckpt.list().expect("list"), [7, 42]);
    assert_eq!(ckpt.load::<JobState>(7).expect("load 7"), JobState::at(7, 3));
    let checked = python_checks(&[(ckpt.path_for(7), 7, 3), (ckpt.path_for(42), 42, 5)]);
    assert_eq!(checked, 2);
}

#[test]
fn a_second_checkpointer_on_the_same_directory_is_refused() {
    let dir = TempDir::new("lock");
    let first = Checkpointer::open(dir.path()).expect("open");
    let err = Checkpointer::open(dir.path()).expect_err("second open must fail");
    assert_eq!(err.kind(), ErrorKind::Locked);
    assert_eq!(err.path(), Some(dir.path()));
    assert!(err.to_string().contains("in use by another Checkpointer"), "{err}");
    drop(first);
    Checkpointer::open(dir.path()).expect("the lock goes with the first Checkpointer");
}

#[test]
fn latest_skips_and_reports_damaged_files_and_removes_temp_files() {
    let dir = TempDir::new("latest");
    let mut ckpt = Checkpointer::open(dir.path()).expect("open");
    assert!(ckpt.latest::<JobState>().expect("empty dir").is_none());
    for step in 1..=4 {
        ckpt.save(step, &JobState::at(step, 100)).expect("save");
    }
    // Step 4 torn (cut short), step 3 with one flipped bit, a leftover temp file.
    let four = ckpt.path_for(4);
    let bytes = fs::read(&four).expect("read");
    fs::write(&four, &bytes[..bytes.len() / 2]).expect("tear");
    let three = ckpt.path_for(3);
    let mut bytes = fs::read(&three).expect("read");
    bytes[40] ^= 0x10;
    fs::write(&three, &bytes).expect("flip");
    fs::write(dir.path().join(".pickle-persist-tmp.00000000000000000005.pickle.1.0"), b"partial").expect("temp");

    let (step, state) = ckpt.latest::<JobState>().expect("latest").expect("a valid checkpoint");
    assert_eq!(step, 2);
    assert_eq!(state, JobState::at(2, 100));
    let skipped: Vec<(u64, ErrorKind)> = ckpt.skipped().iter().map(|s| (s.step, s.error.kind())).collect();
    assert_eq!(skipped, [(4, ErrorKind::Corrupt), (3, ErrorKind::Corrupt)]);
    let torn = &ckpt.skipped()[0].error;
    assert_eq!(torn.path(), Some(four.as_path()));
    assert!(torn.to_string().contains("corrupt checkpoint"), "{torn}");
    assert!(ckpt.skipped()[1].error.to_string().contains("checksum"), "{}", ckpt.skipped()[1].error);
    assert!(!file_names(dir.path()).iter().any(|n| n.contains("tmp")), "temp file left: {:?}", file_names(dir.path()));
}

#[test]
fn retention_keeps_the_newest_and_never_the_last_valid_one() {
    let dir = TempDir::new("retain");
    let mut ckpt = Checkpointer::open(dir.path()).expect("open").keep_last(2);
    for step in 1..=5 {
        ckpt.save(step, &JobState::at(step, 10)).expect("save");
    }
    assert_eq!(ckpt.list().expect("list"), [4, 5]);

    // Newer files are damaged: saving an older step must keep the newest valid one (3).
    let mut ckpt = {
        drop(ckpt);
        let c = Checkpointer::open(dir.path()).expect("open").keep_last(1);
        for step in [4, 5] {
            fs::write(c.path_for(step), b"garbage").expect("damage");
        }
        c
    };
    ckpt.save(3, &JobState::at(3, 10)).expect("save 3");
    assert_eq!(ckpt.list().expect("list"), [3, 5], "keeps the newest file and the newest valid one");
    let (step, _) = ckpt.latest::<JobState>().expect("latest").expect("valid");
    assert_eq!(step, 3);
}

#[test]
fn background_saves_commit_in_order_and_on_drop() {
    let dir = TempDir::new("background");
    {
        let mut ckpt = Checkpointer::open(dir.path()).expect("open").keep_last(3);
        for step in 1..=10 {
            ckpt.save_in_background(step, &JobState::at(step, 1000)).expect("queue");
        }
        // Dropping finishes the pending write.
    }
    let mut ckpt = Checkpointer::open(dir.path()).expect("open");
    assert_eq!(ckpt.list().expect("list"), [8, 9, 10]);
    let (step, state) = ckpt.latest::<JobState>().expect("latest").expect("valid");
    assert_eq!((step, state.is_consistent()), (10, true));
}

#[test]
fn load_of_a_missing_step_is_not_found() {
    let dir = TempDir::new("missing");
    let ckpt = Checkpointer::open(dir.path()).expect("open");
    let err = ckpt.load::<JobState>(9).expect_err("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.path(), Some(ckpt.path_for(9).as_path()));
}

#[test]
fn plain_pickles_from_python_load_and_torn_ones_are_corrupt() {
    let dir = TempDir::new("plain");
    let path = dir.path().join("plain.pickle");
    let mut write = pickle_test_support::python3(&[]);
    write
        .args(["-c", "import pickle,sys; open(sys.argv[1],'wb').write(pickle.dumps({'a': [1, 2.5, 'x']}, 4))"])
        .arg(&path);
    pickle_test_support::run_ok(write, b"");
    let mapped = Mapped::open(&path).expect("open");
    assert!(!mapped.has_trailer());
    let back = pickle_persist::load_value(&path).expect("load");
    assert_eq!(back.as_dict(back.root()).map(<[_]>::len), Some(1));

    let bytes = fs::read(&path).expect("read");
    fs::write(&path, &bytes[..bytes.len() - 3]).expect("tear");
    let err = pickle_persist::load_value(&path).map(|_| ()).expect_err("torn");
    assert_eq!(err.kind(), ErrorKind::Corrupt);
    assert_eq!(err.path(), Some(path.as_path()));
    assert!(err.to_string().contains("corrupt checkpoint"), "{err}");
}

#[test]
fn mapped_values_borrow_from_the_map_and_open_reads_only_the_trailer() {
    let dir = TempDir::new("mapped");
    let path = dir.path().join("blob.pickle");
    let blob = vec![7u8; 3 << 20];
    pickle_persist::save(&path, &(1u8, pickle_core::Bytes(blob.as_slice().into()), "tail")).expect("save");

    // Damage the middle of the blob: open (trailer only) still works and
    // reaches the other fields; verify (full checksum) catches it.
    let mut bytes = fs::read(&path).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(&path, &bytes).expect("write");
    let mapped = Mapped::open(&path).expect("open reads only the trailer");
    let (a, b, c): (u8, &[u8], &str) = mapped.decode().expect("decode");
    assert_eq!((a, b.len(), c), (1, 3 << 20, "tail"));
    let range = mapped.pickle_bytes().as_ptr_range();
    assert!(range.contains(&b.as_ptr()) && range.contains(&c.as_ptr()), "decoded slices borrow from the map");
    let err = mapped.verify().expect_err("checksum");
    assert_eq!(err.kind(), ErrorKind::Corrupt);
    assert_eq!(
        pickle_persist::load::<(u8, Vec<u8>, String)>(&path).map(|_| ()).expect_err("load").kind(),
        ErrorKind::Corrupt
    );
}

#[test]
fn a_type_mismatch_is_a_decode_error_not_corruption() {
    let dir = TempDir::new("mismatch");
    let path = dir.path().join("x.pickle");
    pickle_persist::save(&path, &"text").expect("save");
    let err = pickle_persist::load::<u32>(&path).expect_err("mismatch");
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.to_string().contains("expected an int"), "{err}");
}
