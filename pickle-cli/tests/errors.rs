//! Failures: bad input exits 1 with the error and its byte offset on stderr;
//! bad usage exits 2 with clap's message on stderr; `--help` and
//! `--version` print on stdout and succeed.

mod common;

use common::pickle;
use pickle_test_support::{TempDir, run};

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
fn bad_usage_exits_2_with_the_reason_on_stderr() {
    for (args, problem) in [
        (&[][..], "Usage: pickle <COMMAND>"),
        (&["frobnicate"][..], "error: unrecognized subcommand 'frobnicate'"),
        (&["dis"][..], "error: the following required arguments were not provided:\n  <FILE>..."),
        (&["json", "a", "b"][..], "error: unexpected argument 'b' found"),
        (&["dis", "--annotated", "f"][..], "error: unexpected argument '--annotated' found"),
        (&["dis", "-l", "x", "f"][..], "error: invalid value 'x' for '--indentlevel <N>'"),
        (&["recode", "in"][..], "error: the following required arguments were not provided:\n  <OUT>"),
        (
            &["recode", "--protocol", "6", "in", "out"][..],
            "error: invalid value '6' for '--protocol <N>': 6 is not in 0..=5",
        ),
        (&["recode", "--protocol=x", "in", "out"][..], "error: invalid value 'x' for '--protocol <N>'"),
        (
            &["recode", "in", "out", "--protocol"][..],
            "error: a value is required for '--protocol <N>' but none was supplied",
        ),
        (
            &["recode", "-p", "1", "--protocol", "2", "in", "out"][..],
            "error: the argument '--protocol <N>' cannot be used multiple times",
        ),
        (&["json", "--encoding", "koi8", "f"][..], "error: invalid value 'koi8' for '--encoding <ENCODING>'"),
    ] {
        let (status, stdout, stderr) = pickle_run(args, b"");
        assert_eq!(status, Some(2), "{args:?}: {stderr}");
        assert_eq!(stdout, "", "{args:?}");
        assert!(stderr.contains(problem), "{args:?}: {stderr}");
        assert!(stderr.contains("Usage: pickle") || stderr.contains("try '--help'"), "{args:?}: {stderr}");
    }
}

#[test]
fn help_and_version_print_on_stdout_and_succeed() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let (status, stdout, stderr) = pickle_run(args, b"");
        assert_eq!((status, stderr.as_str()), (Some(0), ""), "{args:?}");
        assert!(stdout.contains("Usage: pickle <COMMAND>"), "{args:?}: {stdout}");
        for command in ["dis", "json", "recode"] {
            assert!(stdout.contains(&format!("\n  {command} ")), "{args:?} lists {command}: {stdout}");
        }
    }
    for (command, option) in [("dis", "--annotate"), ("json", "--encoding"), ("recode", "--protocol")] {
        let (status, stdout, _) = pickle_run(&[command, "--help"], b"");
        assert_eq!(status, Some(0));
        assert!(stdout.contains(&format!("Usage: pickle {command} [OPTIONS]")), "{stdout}");
        assert!(stdout.contains(option), "{command} --help shows {option}: {stdout}");
    }
    let (status, stdout, _) = pickle_run(&["--version"], b"");
    assert_eq!((status, stdout), (Some(0), format!("pickle {}\n", env!("CARGO_PKG_VERSION"))));
}

/// A file name that is not UTF-8 is a file name like any other: it used to
/// panic (exit 101) in argument parsing.
#[test]
fn a_file_name_that_is_not_utf8_works() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new("errors-non-utf8");
    let path = dir.path().join(OsStr::from_bytes(b"caf\xe9.pickle"));
    std::fs::write(&path, b"K\x05.").expect("write");
    let mut cmd = pickle();
    cmd.arg("dis").arg(&path);
    let out = run(cmd, b"");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("    0: K    BININT1    5\n"));
    let missing = dir.path().join(OsStr::from_bytes(b"gone\xff.pickle"));
    let mut cmd = pickle();
    cmd.arg("json").arg(&missing);
    let out = run(cmd, b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.ends_with("gone\u{fffd}.pickle: No such file or directory (os error 2)\n"), "{stderr}");
}

/// A Python 2 pickle whose `str` holds a non-ASCII byte reads from the CLI
/// with `--encoding`, as `pickle.load(encoding=...)` reads it.
#[test]
fn encoding_reads_python2_strs() {
    let Some(py2) = pickle_test_support::pyenv_python("2.7") else {
        eprintln!("skipped: no CPython 2.7 under pyenv to write a Python 2 pickle");
        return;
    };
    let mut cmd = std::process::Command::new(py2);
    cmd.args(["-c", "import pickle, sys; sys.stdout.write(pickle.dumps({'name': 'caf\\xe9'}, 2))"]);
    let data = pickle_test_support::run_ok(cmd, b"");
    let (status, _, stderr) = pickle_run(&["json", "-"], &data);
    assert_eq!(status, Some(1));
    assert!(stderr.contains("SHORT_BINSTRING is not ASCII at byte 13"), "{stderr}");
    // Python 3 with encoding='latin1' gives plain JSON-able data: compare.
    let mut py3 = common::python();
    py3.args(["-c", "import json, pickle, sys; print(json.dumps(pickle.loads(sys.stdin.buffer.read(), encoding='latin1'), separators=(',', ':')))"]);
    let want = String::from_utf8(pickle_test_support::run_ok(py3, &data)).expect("UTF-8");
    for flag in [&["--encoding", "latin1"][..], &["-e", "latin-1"]] {
        let mut args = vec!["json"];
        args.extend_from_slice(flag);
        args.push("-");
        assert_eq!(pickle_run(&args, &data), (Some(0), want.clone(), String::new()), "{flag:?}");
    }
    let (status, stdout, _) = pickle_run(&["json", "--encoding", "bytes", "-"], &data);
    assert_eq!(
        (status, stdout.as_str()),
        (Some(0), "{\"$dict\":[[{\"$bytes\":\"bmFtZQ==\"},{\"$bytes\":\"Y2Fm6Q==\"}]]}\n")
    );
    let mut recode = pickle();
    recode.args(["recode", "-e", "latin1", "-p", "0", "-", "-"]);
    let recoded = pickle_test_support::run_ok(recode, &data);
    let mut check = common::python();
    check.args(["-c", "import pickle, sys; assert pickle.loads(sys.stdin.buffer.read()) == {'name': 'caf\\xe9'}"]);
    pickle_test_support::run_ok(check, &recoded);
}
