//! Failures: bad input exits 1 with the error and its byte offset on stderr;
//! bad usage exits 2 with the usage; `--help` prints the usage and succeeds.

mod common;

use common::{TempDir, pickle, run};

/// Runs `pickle ARGS` and returns (status, stdout, stderr).
fn pickle_run(args: &[&str], stdin: &[u8]) -> (Option<i32>, String, String) {
    let mut cmd = pickle();
    cmd.args(args);
    let out = run(cmd, stdin);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn truncated_file_names_the_offset() {
    let dir = TempDir::new("errors-truncated");
    // PROTO 4, then a BINUNICODE declaring 5 bytes with 2 left.
    let path = dir.file("input.pickle", b"\x80\x04X\x05\x00\x00\x00ab");
    let p = path.to_str().expect("UTF-8 temp path");
    let out_path = dir.path().join("out.pickle");
    let o = out_path.to_str().expect("UTF-8 temp path");

    let decode_error = format!("pickle: {p}: truncated BINUNICODE at byte 2: it declares 5 bytes, 2 are left\n");
    assert_eq!(pickle_run(&["json", p], b""), (Some(1), String::new(), decode_error.clone()));
    assert_eq!(pickle_run(&["recode", p, o], b""), (Some(1), String::new(), decode_error));
    assert!(!out_path.exists(), "a failed recode must not write OUT");
    assert_eq!(
        pickle_run(&["dis", p], b""),
        (
            Some(1),
            "    0: \\x80 PROTO      4\n".to_string(),
            format!("pickle: {p}: BINUNICODE at byte 2: expected 5 bytes in a unicodestring4, but only 2 remain\n")
        )
    );
    // A pickle cut before STOP.
    assert_eq!(
        pickle_run(&["dis", "-"], b"K\x01"),
        (
            Some(1),
            "    0: K    BININT1    1\n".to_string(),
            "pickle: <stdin>: end of input at byte 2: pickle exhausted before seeing STOP\n".to_string()
        )
    );
}

#[test]
fn bad_opcode_names_the_offset() {
    let input = b"K\x01\xff.";
    let decode_error = "pickle: <stdin>: invalid opcode at byte 2: byte 0xff is not a pickle opcode\n".to_string();
    assert_eq!(pickle_run(&["json", "-"], input), (Some(1), String::new(), decode_error.clone()));
    assert_eq!(pickle_run(&["recode", "-", "-"], input), (Some(1), String::new(), decode_error));
    assert_eq!(
        pickle_run(&["dis", "-"], input),
        (
            Some(1),
            "    0: K    BININT1    1\n".to_string(),
            "pickle: <stdin>: unknown opcode at byte 2: opcode b'\\xff' unknown\n".to_string()
        )
    );
}

#[test]
fn missing_file_fails_with_status_1() {
    let dir = TempDir::new("errors-missing");
    let missing = dir.path().join("missing.pickle");
    let m = missing.to_str().expect("UTF-8 temp path");
    let want = (Some(1), String::new(), format!("pickle: {m}: No such file or directory (os error 2)\n"));
    assert_eq!(pickle_run(&["dis", m], b""), want);
    assert_eq!(pickle_run(&["json", m], b""), want);
    assert_eq!(pickle_run(&["recode", m, "-"], b""), want);
}

#[test]
fn bad_usage_exits_2_with_usage() {
    for (args, problem) in [
        (&[][..], "no command given"),
        (&["frobnicate"][..], "unknown command `frobnicate`"),
        (&["dis"][..], "`dis` needs a FILE"),
        (&["json", "a", "b"][..], "`json` takes one FILE, got 2"),
        (&["dis", "--annotate"][..], "unknown option `--annotate` for `dis`"),
        (&["recode", "in"][..], "`recode` takes IN and OUT, got 1 files"),
        (&["recode", "--protocol", "6", "in", "out"][..], "the protocol must be 0 to 5, not `6`"),
        (&["recode", "--protocol=x", "in", "out"][..], "the protocol must be 0 to 5, not `x`"),
        (&["recode", "in", "out", "--protocol"][..], "`--protocol` needs a value"),
        (&["recode", "-p", "1", "--protocol", "2", "in", "out"][..], "`--protocol` given twice"),
    ] {
        let (status, stdout, stderr) = pickle_run(args, b"");
        assert_eq!(status, Some(2), "{args:?}");
        assert_eq!(stdout, "", "{args:?}");
        let want_start = format!("pickle: {problem}\n\nusage: pickle dis FILE\n");
        assert!(stderr.starts_with(&want_start), "{args:?}: {stderr}");
    }
}

#[test]
fn help_prints_usage_on_stdout() {
    for args in [&["--help"][..], &["-h"], &["help"], &["recode", "--help"]] {
        let (status, stdout, stderr) = pickle_run(args, b"");
        assert_eq!(status, Some(0), "{args:?}");
        assert!(stdout.starts_with("usage: pickle dis FILE\n       pickle json FILE\n"), "{args:?}: {stdout}");
        assert!(stdout.contains("4 when --protocol is not given"));
        assert_eq!(stderr, "");
    }
}
