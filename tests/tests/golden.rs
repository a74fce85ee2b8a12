//! Golden files written by CPython (`tests/python/make_golden.py`) for every
//! protocol 0-5: each `<case>.p<N>.pickle` must decode, through both entry
//! points, to exactly the tagged JSON in `<case>.p<N>.json`, which an
//! independent oracle (`tests/python/oracle.py`, CPython's own unpickler made
//! to execute nothing) produced. Every proper prefix of every golden file must
//! fail as end of input.

mod common;

use std::path::PathBuf;

use common::{golden_dir, python_script, show_difference};
use pickle_core::{ErrorKind, Value};
use pickle_test_support::{TempDir, file_names, run_ok};

const PROTOCOLS: [u8; 6] = [0, 1, 2, 3, 4, 5];

/// One line of `manifest.tsv`.
#[derive(Debug)]
struct Entry {
    case: String,
    protocol: u8,
    /// Why CPython cannot write the case at this protocol; `None` when the
    /// files exist.
    missing: Option<String>,
}

impl Entry {
    fn stem(&self) -> String {
        format!("{}.p{}", self.case, self.protocol)
    }

    fn pickle_path(&self) -> PathBuf {
        golden_dir().join(format!("{}.pickle", self.stem()))
    }

    fn json_path(&self) -> PathBuf {
        golden_dir().join(format!("{}.json", self.stem()))
    }
}

fn manifest() -> Vec<Entry> {
    let text = std::fs::read_to_string(golden_dir().join("manifest.tsv")).expect("read tests/golden/manifest.tsv");
    text.lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [case, protocol, status] = fields[..] else { panic!("bad manifest line {line:?}") };
            let missing = match status {
                "present" => None,
                _ => Some(status.strip_prefix("missing: ").expect("present or missing: <why>").to_owned()),
            };
            Entry { case: case.to_owned(), protocol: protocol.parse().expect("a protocol number"), missing }
        })
        .collect()
}

/// The golden pickles, with their expected JSON.
fn goldens() -> Vec<(String, Vec<u8>, String)> {
    manifest()
        .into_iter()
        .filter(|e| e.missing.is_none())
        .map(|e| {
            let bytes = std::fs::read(e.pickle_path()).unwrap_or_else(|err| panic!("read {}: {err}", e.stem()));
            let json = std::fs::read_to_string(e.json_path()).unwrap_or_else(|err| panic!("read {}: {err}", e.stem()));
            (e.stem(), bytes, json)
        })
        .collect()
}

/// The JSON without the newline that ends the `.json` file (and the line
/// `pickle json` prints).
fn strip_newline(s: &str) -> &str {
    s.strip_suffix('\n').unwrap_or(s)
}

#[test]
fn golden_pickles_decode_to_the_oracles_json() {
    let goldens = goldens();
    let mut failures = Vec::new();
    for (stem, bytes, json) in &goldens {
        let expected = strip_newline(json);
        let entry_points: [(&str, pickle_core::Result<Value<'_>>); 2] = [
            ("from_slice", pickle_core::from_slice_with::<Value<'_>>(bytes, keep())),
            ("from_reader", pickle_core::from_reader_with::<_, Value<'static>>(&bytes[..], keep())),
        ];
        for (entry_point, decoded) in entry_points {
            match decoded {
                Err(e) => failures.push(format!("{stem} ({entry_point}): decoding failed: {e}")),
                Ok(value) => {
                    let got = pickle_cli::json::value_to_json(&value);
                    if strip_newline(&got) != expected {
                        failures.push(format!("{stem} ({entry_point}):\n{}", show_difference(expected, &got)));
                    }
                }
            }
        }
    }
    println!("checked {} golden files through from_slice and from_reader", goldens.len());
    assert!(
        failures.is_empty(),
        "{} of {} decodings differ:\n\n{}",
        failures.len(),
        2 * goldens.len(),
        failures.join("\n\n")
    );
}

#[test]
fn golden_set_is_complete() {
    let entries = manifest();
    let mut cases: Vec<&str> = entries.iter().map(|e| e.case.as_str()).collect();
    cases.dedup();
    let mut expected_files = vec!["manifest.tsv".to_owned()];
    for case in &cases {
        let protocols: Vec<u8> = entries.iter().filter(|e| e.case == *case).map(|e| e.protocol).collect();
        assert_eq!(protocols, PROTOCOLS, "the manifest must list {case} at every protocol, in order");
        let present = entries.iter().filter(|e| e.case == *case && e.missing.is_none()).count();
        assert!(present > 0, "{case} exists at no protocol");
    }
    for e in &entries {
        match &e.missing {
            None => {
                expected_files.push(format!("{}.json", e.stem()));
                expected_files.push(format!("{}.pickle", e.stem()));
            }
            Some(why) => assert!(!why.trim().is_empty(), "{} is missing without a reason", e.stem()),
        }
    }
    expected_files.sort();
    assert_eq!(file_names(&golden_dir()), expected_files, "tests/golden holds exactly the files the manifest lists");

    // The acceptance list of the codec issue, by case name.
    for required in [
        "none",
        "bools",
        "int_edges",
        "int_huge",
        "floats",
        "complex",
        "strs",
        "bytes",
        "bytes_big",
        "bytearray",
        "lists",
        "tuples",
        "dicts",
        "dict_keys",
        "dict_big",
        "sets",
        "empty_containers",
        "shared",
        "list_self",
        "tuple_cycle",
        "dict_self",
        "instances",
        "slots_dataclass",
        "slots",
        "state_dict",
        "state_tuple",
        "reduce",
        "getnewargs",
        "getnewargs_ex",
        "namedtuple",
        "enum",
        "datetimes",
        "decimal",
        "ordered_dict",
        "nested_class",
        "py2_string",
        "py2_binstring",
        "py2_inst",
        "py2_obj",
        "py2_persid_str",
        "py2_ext",
        "py2_names",
        "oob_buffers",
    ] {
        assert!(cases.contains(&required), "no golden case {required}");
    }
    let present = entries.iter().filter(|e| e.missing.is_none()).count();
    println!("{} cases, {present} golden pickles", cases.len());
}

#[test]
fn goldens_regenerate_byte_for_byte() {
    let out = TempDir::new("golden");
    let mut make = python_script("make_golden.py");
    make.arg("--out").arg(out.path());
    run_ok(make, b"");
    let committed = file_names(&golden_dir());
    assert_eq!(file_names(out.path()), committed, "make_golden.py writes another set of files");
    let mut differ = Vec::new();
    for name in &committed {
        let a = std::fs::read(golden_dir().join(name)).expect("read a committed golden file");
        let b = std::fs::read(out.path().join(name)).expect("read a regenerated golden file");
        if a != b {
            differ.push(name.as_str());
        }
    }
    assert!(differ.is_empty(), "regenerated files differ from the committed ones: {differ:?}");
}

/// Files up to this size have every proper prefix checked.
const EXHAUSTIVE: usize = 4096;

/// The prefix lengths checked for a file of `len` bytes: all of them up to
/// [`EXHAUSTIVE`] bytes. A prefix costs a decode of up to its length, so all
/// prefixes of the 16-100 KiB goldens would cost minutes in a debug build;
/// for those: every prefix of the first KiB (the header, frames and first
/// opcodes), every prefix that cuts the last 64 bytes, and one every 1021
/// bytes (a prime, so the cuts fall at every offset within opcodes) between.
/// `PICKLE_GOLDEN_EXHAUSTIVE=1` checks every prefix of every file (minutes,
/// even in a release build).
fn prefix_lengths(len: usize) -> Vec<usize> {
    if len <= EXHAUSTIVE || std::env::var_os("PICKLE_GOLDEN_EXHAUSTIVE").is_some() {
        return (0..len).collect();
    }
    let mut lengths: Vec<usize> = (0..1024).chain((1024..len - 64).step_by(1021)).chain(len - 64..len).collect();
    lengths.dedup();
    lengths
}

#[test]
fn truncated_goldens_fail_as_eof() {
    let mut prefixes = 0usize;
    let mut failures = Vec::new();
    for (stem, bytes, _) in goldens() {
        for len in prefix_lengths(bytes.len()) {
            let prefix = &bytes[..len];
            let results = [
                ("from_slice", pickle_core::from_slice_with::<Value<'_>>(prefix, keep()).map(drop)),
                ("from_reader", pickle_core::from_reader_with::<_, Value<'static>>(prefix, keep()).map(drop)),
            ];
            for (entry_point, result) in results {
                match result {
                    Ok(()) => failures.push(format!("{stem}[..{len}] ({entry_point}): decoded")),
                    Err(e) if e.kind() != ErrorKind::Eof => {
                        failures.push(format!("{stem}[..{len}] ({entry_point}): {:?}: {e}", e.kind()))
                    }
                    Err(e) if e.offset().is_none_or(|at| at > len as u64) => failures
                        .push(format!("{stem}[..{len}] ({entry_point}): offset {:?} is past the end: {e}", e.offset())),
                    Err(_) => {}
                }
            }
            prefixes += 1;
        }
    }
    println!("checked {prefixes} truncated prefixes through from_slice and from_reader");
    let shown: Vec<&String> = failures.iter().take(50).collect();
    assert!(
        failures.is_empty(),
        "{} of {} truncated decodings are wrong; the first:\n{shown:#?}",
        failures.len(),
        2 * prefixes
    );
}

/// The golden files hold persistent ids (`py2_persid_*`): the graph keeps
/// them, as `pickle dis` and `recode` do.
fn keep() -> pickle_core::DecodeOptions {
    pickle_core::DecodeOptions::default().persistent_ids(pickle_core::PersistentIds::Keep)
}
