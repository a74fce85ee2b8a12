//! A derived struct made of Python's vocabulary (a NumPy array, an aware
//! datetime, a Decimal, a UUID, ...) round-trips through python3: Python
//! imports the module PyModuleBuilder generates, loads what Rust wrote as
//! the real types, changes every field, and writes it back at every
//! protocol for Rust to read.

use std::collections::VecDeque;
use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use indexmap::IndexMap;
use pickle_core::collections::Deque;
use pickle_core::numpy::{NdArray, Scalar};
use pickle_core::{Pickle, PyModuleBuilder};
use pickle_test_support::TempDir;

#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "app.records")]
struct Record {
    weights: NdArray<f64>,
    at: DateTime<Utc>,
    price: rust_decimal::Decimal,
    id: uuid::Uuid,
    path: PathBuf,
    counts: IndexMap<String, i64>,
    window: Deque<i64>,
    score: Scalar<f32>,
    span: std::time::Duration,
    kind: Kind,
}

#[derive(Pickle, Debug, PartialEq, Clone, Copy)]
#[pickle(module = "app.records")]
enum Kind {
    Train = 1,
    Test = 2,
}

fn record() -> Record {
    Record {
        weights: NdArray::new(vec![2, 2], vec![0.5, 1.5, 2.5, 3.5]).unwrap(),
        at: Utc.with_ymd_and_hms(2024, 3, 15, 12, 30, 45).unwrap(),
        price: "19.99".parse().unwrap(),
        id: uuid::Uuid::from_u128(0x12345678_1234_5678_1234_567812345678),
        path: PathBuf::from("/data/run-1/model.bin"),
        counts: IndexMap::from([("b".to_owned(), 2), ("a".to_owned(), 1)]),
        window: Deque { items: VecDeque::from([1, 2, 3]), maxlen: Some(3) },
        score: Scalar(0.25),
        span: std::time::Duration::from_millis(1500),
        kind: Kind::Train,
    }
}

/// What the Python script makes of [`record`].
fn changed() -> Record {
    Record {
        weights: NdArray::new(vec![2, 2], vec![1.0, 3.0, 5.0, 7.0]).unwrap(),
        at: Utc.with_ymd_and_hms(2024, 3, 16, 12, 30, 45).unwrap(),
        price: "20.99".parse().unwrap(),
        id: uuid::Uuid::from_u128(0x12345678_1234_5678_1234_567812345679),
        path: PathBuf::from("/data/run-1/model.bin.bak"),
        counts: IndexMap::from([("b".to_owned(), 2), ("a".to_owned(), 1), ("c".to_owned(), 3)]),
        window: Deque { items: VecDeque::from([2, 3, 4]), maxlen: Some(3) },
        score: Scalar(0.5),
        span: std::time::Duration::from_millis(3000),
        kind: Kind::Test,
    }
}

const SCRIPT: &str = r#"
import collections, datetime, decimal, pathlib, pickle, sys, uuid
import numpy as np
from app.records import Kind, Record
for line in sys.stdin.read().split():
    r = pickle.loads(bytes.fromhex(line))
    assert type(r) is Record, type(r)
    assert type(r.weights) is np.ndarray and r.weights.dtype == np.float64 and r.weights.shape == (2, 2), r.weights
    assert r.at == datetime.datetime(2024, 3, 15, 12, 30, 45, tzinfo=datetime.timezone.utc) and r.at.tzinfo is datetime.timezone.utc
    assert type(r.price) is decimal.Decimal and str(r.price) == "19.99", r.price
    assert type(r.id) is uuid.UUID and r.id == uuid.UUID("12345678-1234-5678-1234-567812345678"), r.id
    assert r.path == pathlib.PurePosixPath("/data/run-1/model.bin"), r.path
    assert list(r.counts.items()) == [("b", 2), ("a", 1)], r.counts
    assert type(r.window) is collections.deque and r.window.maxlen == 3 and list(r.window) == [1, 2, 3]
    assert type(r.score) is np.float32 and r.score == 0.25, type(r.score)
    assert r.span == datetime.timedelta(seconds=1.5), r.span
    assert r.kind is Kind.Train, r.kind
r.weights = r.weights * 2
r.at += datetime.timedelta(days=1)
r.price += 1
r.id = uuid.UUID(int=r.id.int + 1)
r.path = r.path.with_name(r.path.name + ".bak")
r.counts["c"] = 3
r.window.append(4)
r.score = np.float32(0.5)
r.span *= 2
r.kind = Kind.Test
for p in range(6):
    print(pickle.dumps(r, p).hex())
"#;

#[test]
fn a_struct_of_python_types_round_trips_through_python() {
    let dir = TempDir::new("vocab-struct");
    let builder = PyModuleBuilder::new().add::<Record>();
    builder.write_package(dir.path()).unwrap();
    let source = builder.render_module("app.records").unwrap();
    for hint in [
        "weights: numpy.ndarray",
        "at: datetime.datetime",
        "price: decimal.Decimal",
        "id: uuid.UUID",
        "path: pathlib.PurePosixPath",
        "counts: dict[str, int]",
        "window: collections.deque",
        "score: numpy.float32",
        "span: datetime.timedelta",
        "kind: Kind",
        "import datetime\n",
        "import numpy\n",
    ] {
        assert!(source.contains(hint), "no {hint:?} in:\n{source}");
    }
    let pickles = common_all_protocols(&record());
    let mut cmd = pickle_test_support::python3(&[dir.path()]);
    cmd.arg("-c").arg(SCRIPT);
    let out = String::from_utf8(pickle_test_support::run_ok(cmd, pickles.as_bytes())).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6);
    for (p, line) in lines.iter().enumerate() {
        let back: Record =
            pickle_core::from_slice(&pickle_test_support::unhex(line)).unwrap_or_else(|e| panic!("protocol {p}: {e}"));
        assert_eq!(back, changed(), "protocol {p}");
    }
}

fn common_all_protocols<T: pickle_core::ToPickle>(value: &T) -> String {
    (0..=5u8)
        .map(|p| {
            let bytes = pickle_core::to_vec_with(value, pickle_core::EncodeOptions::default().protocol(p)).unwrap();
            pickle_test_support::hex(&bytes) + "\n"
        })
        .collect()
}

/// Every truncation and every single-byte change of the struct's pickles
/// decodes to a value or an error, never a panic; a truncated pickle is
/// always an error with an offset. (The fuzz target does the same with
/// arbitrary bytes; this runs in CI.)
#[test]
fn damaged_pickles_of_the_struct_are_errors_never_panics() {
    let mut decoded = 0;
    let mut failed = 0;
    for p in 0..=5u8 {
        let bytes = pickle_core::to_vec_with(&record(), pickle_core::EncodeOptions::default().protocol(p)).unwrap();
        for cut in 0..bytes.len() {
            let err = pickle_core::from_slice::<Record>(&bytes[..cut]).unwrap_err();
            assert!(err.offset().is_some(), "p{p} cut at {cut}: {err}");
        }
        for i in 0..bytes.len() {
            for b in [0x00, 0xff, bytes[i] ^ 0x01] {
                let mut damaged = bytes.clone();
                damaged[i] = b;
                match pickle_core::from_slice::<Record>(&damaged) {
                    Ok(_) => decoded += 1,
                    Err(_) => failed += 1,
                }
            }
        }
    }
    assert!(failed > decoded, "{failed} errors, {decoded} decodes");
}
