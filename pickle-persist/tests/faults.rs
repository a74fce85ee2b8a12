//! Real I/O faults: a file-size limit (EFBIG from the kernel) and a full
//! disk (a tiny tmpfs). A failed save returns an error, leaves no temporary
//! file, and leaves every earlier checkpoint intact.

mod common;

use std::path::Path;
use std::process::Command;

use common::JobState;
use pickle_persist::{Checkpointer, ErrorKind};
use pickle_test_support::{TempDir, file_names};

const FAULT_ENV: &str = "PICKLE_PERSIST_FAULT_DIR";

/// Saves small checkpoints, then one too large for the file-size limit the
/// harness set, and checks the aftermath from inside the limited process.
#[test]
fn child_under_file_size_limit() {
    let Some(dir) = std::env::var_os(FAULT_ENV) else { return };
    let mut ckpt = Checkpointer::open(&dir).expect("open");
    ckpt.save(1, &JobState::at(1, 100)).expect("small save 1");
    ckpt.save(2, &JobState::at(2, 100)).expect("small save 2");
    let err = ckpt.save(3, &JobState::at(3, 200_000)).expect_err("a 2 MB save over a 256 KiB limit must fail");
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.to_string().contains("cannot reserve space"), "{err}");
    ckpt.save_in_background(4, &JobState::at(4, 200_000)).expect("queued");
    let err = ckpt.flush().expect_err("the background write fails and surfaces on flush");
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert_aftermath(Path::new(&dir), &mut ckpt);
    println!("fault child ok");
}

fn assert_aftermath(dir: &Path, ckpt: &mut Checkpointer) {
    assert_eq!(
        file_names(dir),
        [".lock", "00000000000000000001.pickle", "00000000000000000002.pickle"],
        "no temporary file and no partial checkpoint is left"
    );
    let (step, state) = ckpt.latest::<JobState>().expect("latest").expect("valid");
    assert_eq!((step, state), (2, JobState::at(2, 100)));
    assert_eq!(ckpt.load::<JobState>(1).expect("step 1 intact"), JobState::at(1, 100));
}

#[test]
fn a_save_over_the_file_size_limit_fails_cleanly() {
    if std::env::var_os(FAULT_ENV).is_some() {
        return;
    }
    let dir = TempDir::new("fsize");
    let exe = std::env::current_exe().expect("test binary");
    // SIGXFSZ would kill the process; ignored, the kernel returns EFBIG instead.
    let out = Command::new("bash")
        .args(["-c", "trap '' XFSZ; ulimit -f 256; exec \"$0\" --exact child_under_file_size_limit --nocapture"])
        .arg(&exe)
        .env(FAULT_ENV, dir.path())
        .output()
        .expect("run the limited child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("fault child ok"),
        "child failed: {}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A tmpfs of 512 KiB mounted for the test, unmounted on drop.
struct TinyDisk(TempDir);

impl TinyDisk {
    fn mount() -> Option<TinyDisk> {
        let dir = TempDir::new("tmpfs");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=512k", "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(TinyDisk(dir))
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn a_full_disk_fails_the_save_and_keeps_earlier_checkpoints() {
    if std::env::var_os(FAULT_ENV).is_some() {
        return;
    }
    let Some(disk) = TinyDisk::mount() else {
        // Mounting needs root; the file-size test covers write failures where it cannot run.
        eprintln!("SKIPPED: cannot mount a tmpfs here (not root?)");
        return;
    };
    let dir = disk.0.path().join("ckpt");
    let mut ckpt = Checkpointer::open(&dir).expect("open");
    ckpt.save(1, &JobState::at(1, 100)).expect("small save 1");
    ckpt.save(2, &JobState::at(2, 100)).expect("small save 2");
    let err = ckpt.save(3, &JobState::at(3, 100_000)).expect_err("a 1 MB save on a 512 KiB disk must fail");
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.to_string().contains("No space left"), "{err}");
    ckpt.save_in_background(4, &JobState::at(4, 100_000)).expect("queued");
    assert_eq!(ckpt.flush().expect_err("background write fails").kind(), ErrorKind::Io);
    assert_aftermath(&dir, &mut ckpt);
    // The disk is usable again once the failed write is gone.
    ckpt.save(5, &JobState::at(5, 100)).expect("a small save fits again");
}
