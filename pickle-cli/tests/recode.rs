//! `pickle recode`: CPython writes objects at protocol p, `pickle recode
//! --protocol q` rewrites them, CPython loads the result and checks it equals
//! the original, with shared and cyclic parts still identical objects.

mod common;

use common::{pickle, python};
use pickle_test_support::{TempDir, run, run_ok};

#[test]
fn recode_round_trips_through_python_for_every_protocol_pair() {
    let dir = TempDir::new("recode");
    let script = common::python_dir().join("recode_check.py");
    let mut write = python();
    write.arg(&script).arg("write").arg(dir.path());
    run_ok(write, b"");

    for p in 0..=5 {
        for q in 0..=5 {
            let mut cmd = pickle();
            cmd.args(["recode", "--protocol", &q.to_string()])
                .arg(dir.path().join(format!("in-p{p}-q{q}.pkl")))
                .arg(dir.path().join(format!("out-p{p}-q{q}.pkl")));
            let out = run_ok(cmd, b"");
            assert!(out.is_empty());
        }
    }

    let mut check = python();
    check.arg(&script).arg("check").arg(dir.path());
    assert_eq!(String::from_utf8_lossy(&run_ok(check, b"")), "checked 36\n");
}

#[test]
fn recode_reads_stdin_writes_stdout_and_defaults_to_protocol_4() {
    // pickle.dumps([1, 'a'], 2)
    let input = b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00aq\x01e.";
    let mut cmd = pickle();
    cmd.args(["recode", "-", "-"]);
    let out = run_ok(cmd, input);
    // CPython's opcodes for [1, 'a'] at protocol 4; pickle-core memoizes
    // only what is shared, so there is no MEMOIZE.
    assert_eq!(out, b"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00](K\x01\x8c\x01ae.");
    assert_loads_as(&out, "[1, 'a']");

    let mut cmd = pickle();
    cmd.args(["recode", "--protocol=0", "-", "-"]);
    let out = run_ok(cmd, input);
    assert_eq!(out, b"(lI1\naVa\na.");
    assert_loads_as(&out, "[1, 'a']");
}

fn assert_loads_as(bytes: &[u8], repr: &str) {
    let mut cmd = python();
    cmd.args(["-c", "import pickle, sys; print(repr(pickle.loads(sys.stdin.buffer.read())))"]);
    assert_eq!(String::from_utf8_lossy(&run_ok(cmd, bytes)), format!("{repr}\n"));
}

#[test]
fn recode_refuses_out_of_band_buffers_below_protocol_5() {
    // pickle.dumps(PickleBuffer(b"x"), 5, buffer_callback=...): NEXT_BUFFER READONLY_BUFFER
    let input = b"\x80\x05\x97\x98.";
    let mut cmd = pickle();
    cmd.args(["recode", "--protocol", "4", "-", "-"]);
    let out = run(cmd, input);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("pickle: <stdin>: "), "{stderr}");
}
