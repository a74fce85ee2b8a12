//! CPython's unpickling error cases (modelled on `AbstractUnpickleTests` in
//! CPython's `Lib/test/pickletester.py`), each pinned to an error kind, the
//! byte offset of the failing opcode and its message, through every decode
//! entry point. The rows are `tests/data/decode_errors.tsv`, plus a truncation
//! row for every cut of every opcode's argument, generated from the opcode
//! table. `tests/python/cpython_rejects.py` confirms that CPython rejects
//! every row too, so none is malformed only by our own standards.

mod common;

use std::io::{self, Read};

use common::crate_dir;
use pickle_core::ErrorKind::{
    self, Eof, Forbidden, InvalidArgument, InvalidOpcode, InvalidStructure, MissingMark, MissingMemo, StackUnderflow,
};
use pickle_core::Value;
use pickle_core::opcodes::{self, ArgLayout};
use pickle_test_support::{hex, unhex};

/// What CPython's `pickle.loads` does with a row's input.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Cpython {
    Rejects,
    /// CPython loads it, and pickle-rs rejects it on purpose: see the row.
    Accepts,
}
use Cpython::{Accepts, Rejects};

#[derive(Debug)]
struct Row {
    name: String,
    input: Vec<u8>,
    kind: ErrorKind,
    offset: u64,
    message: String,
    cpython: Cpython,
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => panic!("a trailing backslash in {s:?}"),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

fn kind_named(name: &str) -> ErrorKind {
    [Eof, InvalidOpcode, InvalidArgument, StackUnderflow, MissingMark, MissingMemo, InvalidStructure, Forbidden]
        .into_iter()
        .find(|k| format!("{k:?}") == name)
        .unwrap_or_else(|| panic!("no error kind {name:?}"))
}

/// The rows of the data file.
fn table_rows() -> Vec<Row> {
    let text = std::fs::read_to_string(crate_dir().join("data/decode_errors.tsv")).expect("read decode_errors.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 6, "a row has 6 fields: {line:?}");
            Row {
                name: unescape(f[0]),
                input: unhex(f[1]),
                kind: kind_named(f[2]),
                offset: f[3].parse().expect("an offset"),
                message: unescape(f[4]),
                cpython: match f[5] {
                    "rejects" => Rejects,
                    "accepts" => Accepts,
                    other => panic!("CPython {other:?}?"),
                },
            }
        })
        .collect()
}

/// A valid argument for each opcode that has one.
fn sample_arg(layout: ArgLayout, name: &str) -> Vec<u8> {
    match (layout, name) {
        (ArgLayout::Fixed(n), _) => {
            let mut arg = vec![0u8; n];
            arg[0] = 1;
            arg
        }
        (ArgLayout::Line, "STRING") => b"'a'\n".to_vec(),
        (ArgLayout::Line, "LONG") => b"12L\n".to_vec(),
        (ArgLayout::Line, "FLOAT") => b"1.5\n".to_vec(),
        (ArgLayout::Line, "INT" | "GET" | "PUT") => b"12\n".to_vec(),
        (ArgLayout::Line, _) => b"ab\n".to_vec(),
        (ArgLayout::TwoLines, _) => b"mod\nname\n".to_vec(),
        (ArgLayout::Prefixed(width), _) => {
            let mut arg = vec![0u8; width];
            arg[0] = 2;
            arg.extend_from_slice(b"ab");
            arg
        }
    }
}

/// For every opcode with an argument, the opcode followed by each strict
/// prefix of a valid argument: an end of input at the opcode.
fn truncation_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for op in opcodes::all() {
        let Some(arg) = op.arg else { continue };
        let full = sample_arg(arg.layout(), op.name);
        for cut in 0..full.len() {
            let mut input = vec![op.code];
            input.extend_from_slice(&full[..cut]);
            rows.push(Row {
                name: format!("{} cut to {cut} of {} argument bytes", op.name, full.len()),
                input,
                kind: Eof,
                offset: 0,
                message: format!("truncated {} at byte 0: ", op.name),
                cpython: Rejects,
            });
        }
    }
    rows
}

fn rows() -> Vec<Row> {
    let mut rows = table_rows();
    rows.extend(truncation_rows());
    rows
}

/// A reader that hands out one byte per `read`, to exercise every refill path.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

fn check(row: &Row, entry: &str, result: pickle_core::Result<impl std::fmt::Debug>) {
    let err = match result {
        Ok(v) => panic!("{} via {entry}: decoded {v:?}, expected {:?} at byte {}", row.name, row.kind, row.offset),
        Err(e) => e,
    };
    assert_eq!(
        (err.kind(), err.offset()),
        (row.kind, Some(row.offset)),
        "{} via {entry}: wrong kind or offset: {err}",
        row.name
    );
    assert!(
        err.message().contains(&row.message),
        "{} via {entry}: message {:?} does not contain {:?}",
        row.name,
        err.message(),
        row.message
    );
    assert!(err.to_string().contains(&format!("at byte {}", row.offset)), "{}: {err}", row.name);
}

#[test]
fn every_row_fails_the_same_way_through_every_entry_point() {
    let rows = rows();
    assert!(rows.len() > 300, "only {} rows", rows.len());
    for row in &rows {
        let input = &row.input[..];
        check(row, "from_slice::<Value>", pickle_core::from_slice::<Value>(input));
        check(row, "from_reader::<Value>", pickle_core::from_reader::<_, Value<'static>>(input));
        check(
            row,
            "from_reader::<Value> (1 byte per read)",
            pickle_core::from_reader::<_, Value<'static>>(Trickle(input)),
        );
        check(row, "Decoder::from_slice", pickle_core::Decoder::from_slice(input).decode::<Value>());
        check(row, "Decoder::from_reader", pickle_core::Decoder::from_reader(input).decode::<Value<'static>>());
        // Typed targets run the same machine before converting.
        check(row, "from_slice::<Vec<(String, f64)>>", pickle_core::from_slice::<Vec<(String, f64)>>(input));
        check(row, "from_slice::<Option<&str>>", pickle_core::from_slice::<Option<&str>>(input));
        check(row, "from_reader::<Vec<i64>>", pickle_core::from_reader::<_, Vec<i64>>(input));
    }
}

#[test]
fn the_table_covers_every_error_kind_the_machine_raises() {
    let rows = rows();
    for kind in
        [Eof, InvalidOpcode, InvalidArgument, StackUnderflow, MissingMark, MissingMemo, InvalidStructure, Forbidden]
    {
        assert!(rows.iter().any(|r| r.kind == kind), "no row for {kind:?}");
    }
    // Every row is distinct input.
    let mut inputs: Vec<&[u8]> = rows.iter().map(|r| &r.input[..]).collect();
    inputs.sort();
    inputs.dedup();
    assert_eq!(inputs.len(), rows.len(), "duplicate rows");
}

fn python(args: &[&str], stdin: &str) -> String {
    let mut cmd = common::python_script("cpython_rejects.py");
    cmd.args(args);
    String::from_utf8(pickle_test_support::run_ok(cmd, stdin.as_bytes())).expect("UTF-8")
}

#[test]
fn cpython_rejects_every_row() {
    let rows = rows();
    let table: String = rows
        .iter()
        .map(|r| {
            let verdict = if r.cpython == Rejects { "rejects" } else { "accepts" };
            format!("{}\t{verdict}\t{}\n", hex(&r.input), r.name)
        })
        .collect();
    let report = python(&[], &table);
    println!("{report}");
    assert!(report.contains(&format!("{} rows checked", rows.len())), "{report}");
    assert!(report.contains(", 0 disagree"), "{report}");
    assert_eq!(rows.iter().filter(|r| r.cpython == Accepts).count(), 1);
}

/// Every strict prefix of a valid pickle fails as end of input, at an offset
/// inside the prefix, through both entry points; the whole pickle decodes.
#[test]
fn every_truncated_prefix_of_a_cpython_pickle_is_eof() {
    let samples = python(&["samples"], "");
    let mut checked = 0;
    for line in samples.lines() {
        let bytes: Vec<u8> =
            (0..line.len()).step_by(2).map(|i| u8::from_str_radix(&line[i..i + 2], 16).expect("hex")).collect();
        assert!(pickle_core::from_slice::<Value>(&bytes).is_ok(), "{line} does not decode");
        for cut in 0..bytes.len() {
            let prefix = &bytes[..cut];
            for (entry, result) in [
                ("from_slice", pickle_core::from_slice::<Value>(prefix).map(drop)),
                ("from_reader", pickle_core::from_reader::<_, Value<'static>>(prefix).map(drop)),
            ] {
                let err = result.expect_err("a strict prefix cannot decode");
                assert_eq!(err.kind(), Eof, "{entry} of {cut} bytes of {line}: {err}");
                assert!(err.offset().is_some_and(|at| at <= cut as u64), "{entry} of {cut} bytes of {line}: {err}");
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} prefixes");
}
