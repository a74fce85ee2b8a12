//! Batches of scalars that `from_slice` converts straight from the input
//! into a streamed `Vec` or map, with no graph node (de/sink/direct.rs).
//! Each case is checked against the usual path: `from_reader`, which streams but
//! never takes the direct path, and `Value` then `from_value`. Results, error
//! kinds and error offsets must be the same.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use pickle_core::opcodes as op;
use pickle_core::{DecodeOptions, EncodeOptions, ErrorKind, FromPickleOwned, Limits, Value};

/// Decodes `bytes` as `T` from a slice (the direct path where it applies)
/// and the two usual ways, checks that all three agree, and returns the
/// slice's answer.
fn decode<T>(bytes: &[u8], opts: DecodeOptions) -> pickle_core::Result<T>
where
    T: FromPickleOwned + PartialEq + Debug,
{
    let direct = pickle_core::from_slice_with::<T>(bytes, opts.clone());
    let reader = pickle_core::from_reader_with::<_, T>(bytes, opts.clone());
    let graph =
        pickle_core::from_slice_with::<Value>(bytes, opts).and_then(|v| pickle_core::from_value::<T>(&v, v.root()));
    for (name, other) in [("from_reader", reader), ("Value + from_value", graph)] {
        match (&direct, &other) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{name}"),
            (Err(a), Err(b)) => {
                assert_eq!((a.kind(), a.offset()), (b.kind(), b.offset()), "{name}: {a} / {b}");
            }
            _ => panic!("{name} disagrees: from_slice {direct:?}, {name} {other:?}"),
        }
    }
    direct
}

fn defaults() -> DecodeOptions {
    DecodeOptions::default()
}

/// Lists and dicts of every batch shape, across frame boundaries, at every
/// protocol with binary opcodes.
#[test]
fn round_trips_every_batch_shape_and_protocol() {
    for n in [1usize, 2, 999, 1000, 1001, 2500, 20_000] {
        let strs: Vec<String> = (0..n).map(|i| format!("s{}-{i}", i % 1000)).collect();
        let long: Vec<String> = (0..n).map(|i| "é".repeat(i % 300)).collect();
        let ints: Vec<i64> = (0..n as i64).map(|i| i * 7919 - 5_000_000).collect();
        // LONG1 of 5 to 8 bytes, and i64's ends.
        let wide: Vec<i64> = (0..n as i64)
            .map(|i| if i % 7 == 0 { i64::MIN + i } else { (i - 500).wrapping_mul(0x7_0000_0001) })
            .collect();
        let floats: Vec<f64> = (0..n).map(|i| i as f64 * 0.1).collect();
        let maybe: Vec<Option<String>> = (0..n).map(|i| (i % 3 != 0).then(|| format!("m{i}"))).collect();
        let bools: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
        let dict: HashMap<String, i64> = (0..n).map(|i| (format!("key{i}"), i as i64)).collect();
        let tree: BTreeMap<String, f64> = (0..n).map(|i| (format!("k{i:06}"), i as f64 / 3.0)).collect();
        for proto in 1..=5u8 {
            let o = EncodeOptions::default().protocol(proto);
            let enc = |v: &dyn Fn() -> pickle_core::Result<Vec<u8>>| v().expect("encode");
            let b = enc(&|| pickle_core::to_vec_with(&strs, o));
            assert_eq!(decode::<Vec<String>>(&b, defaults()).expect("strs"), strs, "strs n={n} p{proto}");
            let b = enc(&|| pickle_core::to_vec_with(&long, o));
            assert_eq!(decode::<Vec<String>>(&b, defaults()).expect("long"), long, "long n={n} p{proto}");
            let b = enc(&|| pickle_core::to_vec_with(&ints, o));
            assert_eq!(decode::<Vec<i64>>(&b, defaults()).expect("ints"), ints, "ints n={n} p{proto}");
            let b = enc(&|| pickle_core::to_vec_with(&wide, o));
            assert_eq!(decode::<Vec<i64>>(&b, defaults()).expect("wide"), wide, "wide n={n} p{proto}");
            let b = enc(&|| pickle_core::to_vec_with(&floats, o));
            assert_eq!(decode::<Vec<f64>>(&b, defaults()).expect("floats"), floats, "floats n={n} p{proto}");
            let b = enc(&|| pickle_core::to_vec_with(&maybe, o));
            assert_eq!(decode::<Vec<Option<String>>>(&b, defaults()).expect("maybe"), maybe, "n={n} p{proto}");
            let b = enc(&|| pickle_core::to_vec_with(&bools, o));
            assert_eq!(decode::<Vec<bool>>(&b, defaults()).expect("bools"), bools, "bools n={n} p{proto}");
            let b = enc(&|| pickle_core::to_vec_with(&dict, o));
            assert_eq!(decode::<HashMap<String, i64>>(&b, defaults()).expect("dict"), dict, "n={n} p{proto}");
            let b = enc(&|| pickle_core::to_vec_with(&tree, o));
            assert_eq!(decode::<BTreeMap<String, f64>>(&b, defaults()).expect("tree"), tree, "n={n} p{proto}");
        }
    }
}

/// `PROTO 4`, an empty list and a MARK, then `body`, then `end` and STOP.
fn list_batch(body: &[&[u8]], end: &[u8]) -> Vec<u8> {
    let mut b = vec![op::PROTO, 4, op::EMPTY_LIST, op::MARK];
    for part in body {
        b.extend_from_slice(part);
    }
    b.extend_from_slice(end);
    b.push(op::STOP);
    b
}

fn short_str(s: &[u8]) -> Vec<u8> {
    let mut b = vec![op::SHORT_BINUNICODE, s.len() as u8];
    b.extend_from_slice(s);
    b
}

/// Scalars after a MARK that a TUPLE, not APPENDS, closes belong to the
/// tuple: the batch is not the list's.
#[test]
fn scalars_closed_by_another_opcode_are_not_the_lists() {
    let (a, b) = (short_str(b"a"), short_str(b"b"));
    let bytes = list_batch(&[&a, &b], &[op::TUPLE, op::APPEND]);
    let pairs: Vec<(String, String)> = decode(&bytes, defaults()).expect("a list of one tuple");
    assert_eq!(pairs, [("a".to_string(), "b".to_string())]);
    let err = decode::<Vec<String>>(&bytes, defaults()).expect_err("a tuple is not a str");
    assert_eq!((err.kind(), err.offset()), (ErrorKind::Mismatch, Some(10)), "{err}");
}

/// A str memoized and fetched again later: the batch holding it goes the
/// usual way and the reference resolves.
#[test]
fn memoized_scalars_stay_reachable() {
    let (a, b) = (short_str(b"a"), short_str(b"b"));
    let bytes = list_batch(&[&a, &[op::MEMOIZE], &b], &[op::APPENDS, op::BINGET, 0, op::APPEND]);
    let v: Vec<String> = decode(&bytes, defaults()).expect("decode");
    assert_eq!(v, ["a", "b", "a"]);
}

/// Bad bytes inside a batch of scalars: the same error, at the same byte,
/// as the usual path gives.
#[test]
fn bad_scalars_fail_where_the_usual_path_fails() {
    let (a, c) = (short_str(b"a"), short_str(b"c"));
    // Invalid UTF-8 in the second str, whose opcode is at byte 7.
    let bad = short_str(b"\xff\xfe");
    let bytes = list_batch(&[&a, &bad, &c], &[op::APPENDS]);
    let err = decode::<Vec<String>>(&bytes, defaults()).expect_err("invalid UTF-8");
    assert_eq!((err.kind(), err.offset()), (ErrorKind::InvalidArgument, Some(7)), "{err}");

    // A lone surrogate (surrogatepass UTF-8) is a str Rust text cannot hold.
    let lone = short_str(b"\xed\xa0\x80");
    let bytes = list_batch(&[&a, &lone, &c], &[op::APPENDS]);
    let err = decode::<Vec<String>>(&bytes, defaults()).expect_err("lone surrogate");
    assert_eq!((err.kind(), err.offset()), (ErrorKind::Mismatch, Some(7)), "{err}");

    // An int among strs, for a Vec<String>: a mismatch near the list.
    let bytes = list_batch(&[&a, &[op::BININT1, 5], &c], &[op::APPENDS]);
    let err = decode::<Vec<String>>(&bytes, defaults()).expect_err("an int is not a str");
    assert_eq!((err.kind(), err.offset()), (ErrorKind::Mismatch, Some(2)), "{err}");

    // The input ends inside the batch (a str declares 9 bytes, 2 are left).
    let mut bytes = list_batch(&[&a], &[]);
    bytes.pop();
    bytes.extend_from_slice(&[op::SHORT_BINUNICODE, 9, b'x', b'y']);
    let err = decode::<Vec<String>>(&bytes, defaults()).expect_err("truncated");
    assert_eq!((err.kind(), err.offset()), (ErrorKind::Eof, Some(7)), "{err}");

    // A FRAME inside the batch declaring more than the input holds.
    let frame = [op::FRAME, 0xff, 0, 0, 0, 0, 0, 0, 0];
    let bytes = list_batch(&[&a, &frame, &c], &[op::APPENDS]);
    let err = decode::<Vec<String>>(&bytes, defaults()).expect_err("frame too long");
    assert_eq!((err.kind(), err.offset()), (ErrorKind::Eof, Some(7)), "{err}");
}

/// The limits hold on the direct path: container length, stack depth and
/// the allocation budget.
#[test]
fn limits_hold_on_the_direct_path() {
    let items: Vec<Vec<u8>> = (0..5).map(|i| short_str(format!("s{i}").as_bytes())).collect();
    let body: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
    let bytes = list_batch(&body, &[op::APPENDS]);
    let appends_at = Some(bytes.len() as u64 - 2);

    let with = |f: &dyn Fn(&mut Limits)| {
        let mut limits = Limits::default();
        f(&mut limits);
        DecodeOptions::default().limits(limits)
    };
    let short = with(&|l| l.max_container_len = 4);
    let err = decode::<Vec<String>>(&bytes, short).expect_err("5 items over a limit of 4");
    assert_eq!((err.kind(), err.offset()), (ErrorKind::LimitExceeded, appends_at), "{err}");

    // Depth 6: the list, the MARK and 4 items fit; the fifth (at byte 20)
    // does not.
    let shallow = with(&|l| l.max_depth = 6);
    let err = decode::<Vec<String>>(&bytes, shallow).expect_err("too deep");
    assert_eq!((err.kind(), err.offset()), (ErrorKind::LimitExceeded, Some(4 + 4 * 4)), "{err}");
    let deep = with(&|l| l.max_depth = 7);
    assert_eq!(decode::<Vec<String>>(&bytes, deep).expect("fits").len(), 5);

    // 100,000 strs of 200 bytes under a 1 MiB budget: refused, not built.
    let big: Vec<String> = (0..100_000).map(|i| format!("{i:0>200}")).collect();
    let bytes = pickle_core::to_vec(&big).expect("encode");
    let tight = with(&|l| {
        l.max_alloc = 1 << 20;
        l.alloc_per_input_byte = 0;
    });
    let err = pickle_core::from_slice_with::<Vec<String>>(&bytes, tight).expect_err("over budget");
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
}
