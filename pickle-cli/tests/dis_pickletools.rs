//! `pickle dis F` against `python3 -m pickletools F` on a corpus that CPython
//! writes (tests/python/dis_corpus.py): stdout must be byte-identical, and on
//! malformed input both must fail (status 1) after the same partial output.

mod common;

use std::path::{Path, PathBuf};

use common::{pickle, python};
use pickle_test_support::{TempDir, run, run_ok};

fn corpus(dir: &Path, sub: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir.join(sub)).expect("corpus dir").map(|entry| entry.expect("dir entry").path()).collect();
    files.sort();
    files
}

/// Splits the output of `python3 -m pickletools F1 F2 ...` into each file's
/// disassembly, using the `==> F <==` preamble it prints before each.
fn split_by_preamble(text: &str, files: &[PathBuf]) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = text;
    for (i, file) in files.iter().enumerate() {
        let preamble = format!("==> {} <==\n", file.display());
        rest = rest.strip_prefix(&preamble).unwrap_or_else(|| panic!("missing preamble for file {i}: {preamble}"));
        let end = files
            .get(i + 1)
            .map_or(rest.len(), |next| rest.find(&format!("==> {} <==\n", next.display())).expect("next preamble"));
        parts.push(rest[..end].to_string());
        rest = &rest[end..];
    }
    parts
}

#[test]
fn dis_matches_pickletools_on_valid_pickles() {
    let dir = TempDir::new("dis");
    let mut gen_cmd = python();
    gen_cmd.arg(common::python_dir().join("dis_corpus.py")).arg(dir.path());
    run_ok(gen_cmd, b"");
    let files = corpus(dir.path(), "good");
    // 6 protocols x (37 objects + 1 with everything) + 2 extra at p2+, buffers,
    // a two-pickle file and 14 hand-written Python 2 style pickles.
    assert_eq!(files.len(), 253, "corpus size changed");

    let mut pickletools = python();
    pickletools.args(["-m", "pickletools"]).args(&files);
    let expected = String::from_utf8(run_ok(pickletools, b"")).expect("pickletools prints UTF-8");
    let expected = split_by_preamble(&expected, &files);

    let mut compared = 0;
    for (file, want) in files.iter().zip(&expected) {
        let mut cmd = pickle();
        cmd.arg("dis").arg(file);
        let got = run_ok(cmd, b"");
        assert_eq!(String::from_utf8_lossy(&got), *want, "pickle dis {} differs from pickletools", file.display());
        compared += 1;
    }
    eprintln!("pickle dis matched python3 -m pickletools on {compared} valid pickles");
    assert_eq!(compared, 253);
}

#[test]
fn dis_fails_where_pickletools_fails_with_the_same_partial_output() {
    let dir = TempDir::new("dis-bad");
    let mut gen_cmd = python();
    gen_cmd.arg(common::python_dir().join("dis_corpus.py")).arg(dir.path());
    run_ok(gen_cmd, b"");
    let files = corpus(dir.path(), "bad");
    assert_eq!(files.len(), 77, "corpus size changed");

    // pickletools stops at the first error, so each file is its own run;
    // two workers keep the wall time down.
    let (left, right) = files.split_at(files.len() / 2);
    let compared: usize = std::thread::scope(|s| {
        let workers = [left, right].map(|part| {
            s.spawn(move || {
                part.iter().for_each(check_bad);
                part.len()
            })
        });
        workers.into_iter().map(|w| w.join().expect("worker")).sum()
    });
    eprintln!("pickle dis matched python3 -m pickletools on {compared} malformed pickles");
    assert_eq!(compared, 77);
}

fn check_bad(file: &PathBuf) {
    let mut pickletools = python();
    pickletools.args(["-m", "pickletools"]).arg(file);
    let want = run(pickletools, b"");
    assert_eq!(want.status.code(), Some(1), "pickletools accepted {}", file.display());

    let mut cmd = pickle();
    cmd.arg("dis").arg(file);
    let got = run(cmd, b"");
    assert_eq!(got.status.code(), Some(1), "pickle dis accepted {}", file.display());
    assert_eq!(String::from_utf8_lossy(&got.stdout), String::from_utf8_lossy(&want.stdout), "{}", file.display());
    let stderr = String::from_utf8_lossy(&got.stderr);
    let prefix = format!("pickle: {}: ", file.display());
    assert!(stderr.starts_with(&prefix) && stderr.contains(" at byte "), "{}: {stderr}", file.display());
}

/// `pickle dis OPTIONS FILES` against `python3 -m pickletools OPTIONS FILES`,
/// both writing to a file with `-o`: the outputs must be byte-identical.
fn compare_with_options(files: &[PathBuf], options: &[&str], dir: &Path, tag: &str) {
    let want_path = dir.join(format!("{tag}.pickletools"));
    let got_path = dir.join(format!("{tag}.pickle-rs"));
    let mut pickletools = python();
    pickletools.args(["-m", "pickletools"]).args(options).arg("-o").arg(&want_path).args(files);
    run_ok(pickletools, b"");
    let mut cmd = pickle();
    cmd.arg("dis").args(options).arg("-o").arg(&got_path).args(files);
    run_ok(cmd, b"");
    let want = std::fs::read_to_string(&want_path).expect("pickletools wrote");
    let got = std::fs::read_to_string(&got_path).expect("pickle dis wrote");
    assert!(want.len() > 100, "{tag}: pickletools wrote only {want:?}");
    if got != want {
        let line = got.lines().zip(want.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{tag}: pickle dis {options:?} differs from pickletools at line {line}:\n  ours:   {:?}\n  theirs: {:?}",
            got.lines().nth(line),
            want.lines().nth(line)
        );
    }
}

#[test]
fn dis_options_match_pickletools() {
    let dir = TempDir::new("dis-options");
    let mut gen_cmd = python();
    gen_cmd.arg(common::python_dir().join("dis_corpus.py")).arg(dir.path());
    run_ok(gen_cmd, b"");
    let files = corpus(dir.path(), "good");
    compare_with_options(&files, &["-a"], dir.path(), "annotate");
    compare_with_options(&files, &["-l", "1", "-a"], dir.path(), "indent-1");
    compare_with_options(&files, &["--indentlevel", "0", "-p", "-- {name} --"], dir.path(), "indent-0");
    compare_with_options(&files[..1], &["-a", "-l", "7"], dir.path(), "one-file");

    // One pickler's memo across two pickles: the second refers to what the
    // first memoized, so it disassembles only with -m.
    let mut write = python();
    write.arg("-c").arg(
        "import pickle, io, sys\n\
         shared = ['a shared list', 1.5]\n\
         for proto in (1, 2, 4):\n\
         \x20   buf = io.BytesIO(); p = pickle.Pickler(buf, proto)\n\
         \x20   p.dump(shared); first = buf.getvalue()\n\
         \x20   p.dump({'again': shared}); second = buf.getvalue()[len(first):]\n\
         \x20   open(sys.argv[1] + '/memo%d-a.pickle' % proto, 'wb').write(first)\n\
         \x20   open(sys.argv[1] + '/memo%d-b.pickle' % proto, 'wb').write(second)\n",
    );
    write.arg(dir.path());
    run_ok(write, b"");
    for proto in [1, 2, 4] {
        let pair = [dir.path().join(format!("memo{proto}-a.pickle")), dir.path().join(format!("memo{proto}-b.pickle"))];
        compare_with_options(&pair, &["-m"], dir.path(), &format!("memo{proto}"));
        compare_with_options(&pair, &["-m", "-a"], dir.path(), &format!("memo{proto}-annotated"));
        if proto == 4 {
            // MEMOIZE numbers from the memo's size, so a fresh memo holds a
            // key 0 of its own for the GET: both tools print the same.
            compare_with_options(&pair, &[], dir.path(), "memo4-fresh");
            continue;
        }
        // Without -m the second pickle's GET names a key never stored.
        let mut cmd = pickle();
        cmd.arg("dis").args(&pair);
        let out = run(cmd, b"");
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("has never been stored into"), "{stderr}");
    }
}
