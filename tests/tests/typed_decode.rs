//! Python to Rust: `python3` writes values at every protocol 0 to 5
//! (`tests/python/typed_write.py`), and `from_slice` decodes them into the
//! matching Rust types: owned, and borrowed from the input where CPython's
//! encoding allows it. Also the mismatches, with their kind, offset and
//! message, and `Rc`/`Arc` sharing on read.

mod common;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::Path;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use common::python_script;
use pickle_core::{ByteArray, Bytes, ErrorKind, FromPickle};

const PROTOCOLS: [u8; 6] = [0, 1, 2, 3, 4, 5];

/// The pickles `typed_write.py` wrote, read into memory, and the offsets of
/// the first and last opcodes of their top-level values.
struct Fixtures {
    files: HashMap<(String, u8), Vec<u8>>,
    offsets: HashMap<(String, u8), (u64, u64)>,
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = pickle_test_support::TempDir::new("typed-decode");
        let mut write = python_script("typed_write.py");
        write.arg(dir.path());
        pickle_test_support::run_ok(write, b"");
        read_fixtures(dir.path())
    })
}

fn read_fixtures(dir: &Path) -> Fixtures {
    let mut files = HashMap::new();
    let mut offsets = HashMap::new();
    let text = std::fs::read_to_string(dir.join("offsets.txt")).expect("read offsets.txt");
    for line in text.lines() {
        let mut parts = line.split(' ');
        let (Some(name), Some(proto), Some(first), Some(last)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            panic!("bad line in offsets.txt: {line:?}");
        };
        let proto: u8 = proto.parse().expect("protocol");
        let bytes = std::fs::read(dir.join(format!("{name}.p{proto}.pkl"))).expect("read a pickle");
        files.insert((name.to_string(), proto), bytes);
        offsets.insert((name.to_string(), proto), (first.parse().expect("offset"), last.parse().expect("offset")));
    }
    Fixtures { files, offsets }
}

/// The pickle of `name` at `proto`.
fn input(name: &str, proto: u8) -> &'static [u8] {
    fixtures().files.get(&(name.to_string(), proto)).unwrap_or_else(|| panic!("no fixture {name} p{proto}"))
}

/// The offset of the opcode that creates the top-level str, list or dict of `name`.
fn offset(name: &str, proto: u8) -> u64 {
    fixtures().offsets[&(name.to_string(), proto)].0
}

/// The offset of the last opcode of the top-level value of `name`: the
/// REDUCE that creates an object.
fn last_offset(name: &str, proto: u8) -> u64 {
    fixtures().offsets[&(name.to_string(), proto)].1
}

fn decode<T: FromPickle<'static>>(name: &str, proto: u8) -> T {
    pickle_core::from_slice(input(name, proto)).unwrap_or_else(|e| panic!("{name} at protocol {proto}: {e}"))
}

/// Whether `part` lies inside `whole`: the decoded value borrows from it.
fn inside(whole: &[u8], part: *const u8) -> bool {
    whole.as_ptr_range().contains(&part)
}

/// Decoding `name` as `T` fails with a mismatch at `offset`, with `message`.
#[track_caller]
fn assert_mismatch<T: FromPickle<'static> + std::fmt::Debug>(
    name: &str,
    proto: u8,
    offset: Option<u64>,
    message: &str,
) {
    let err = pickle_core::from_slice::<T>(input(name, proto)).expect_err("decoding must fail");
    assert_eq!(err.kind(), ErrorKind::Mismatch, "{name} at protocol {proto}: {err}");
    assert_eq!(err.offset(), offset, "{name} at protocol {proto}: {err}");
    assert_eq!(err.message(), message, "{name} at protocol {proto}");
}

#[test]
fn scalars() {
    for p in PROTOCOLS {
        assert!(decode::<bool>("true", p));
        assert!(!decode::<bool>("false", p));
        decode::<()>("none", p);
        assert_eq!(decode::<Option<i32>>("none", p), None);
        assert_eq!(decode::<u8>("int_0", p), 0);
        assert_eq!(decode::<u8>("int_255", p), 255);
        assert_eq!(decode::<u16>("int_256", p), 256);
        assert_eq!(decode::<u16>("int_65535", p), u16::MAX);
        assert_eq!(decode::<u32>("int_65536", p), 65536);
        assert_eq!(decode::<i8>("int_neg1", p), -1);
        assert_eq!(decode::<i32>("i32_min", p), i32::MIN);
        assert_eq!(decode::<i32>("i32_max", p), i32::MAX);
        assert_eq!(decode::<i64>("i64_min", p), i64::MIN);
        assert_eq!(decode::<i64>("i64_max", p), i64::MAX);
        assert_eq!(decode::<u64>("u64_max", p), u64::MAX);
        assert_eq!(decode::<usize>("u64_max", p), usize::MAX);
        assert_eq!(decode::<i128>("i128_min", p), i128::MIN);
        assert_eq!(decode::<u128>("u128_max", p), u128::MAX);
        assert_eq!(decode::<Option<i64>>("int_300", p), Some(300));
        assert_eq!(decode::<f64>("float_1_5", p), 1.5);
        assert_eq!(decode::<f32>("float_1_5", p), 1.5);
        assert!(decode::<f64>("nan", p).is_nan());
        assert_eq!(decode::<f64>("inf", p), f64::INFINITY);
        assert_eq!(decode::<f64>("neg_inf", p), f64::NEG_INFINITY);
        assert_eq!(decode::<f64>("neg_zero", p).to_bits(), (-0.0f64).to_bits());
        assert_eq!(decode::<f64>("subnormal", p).to_bits(), 1);
        assert_eq!(decode::<f64>("int_300", p), 300.0);
    }
}

#[test]
fn strings_owned() {
    for p in PROTOCOLS {
        assert_eq!(decode::<String>("str_ascii", p), "hello");
        assert_eq!(decode::<String>("str_empty", p), "");
        assert_eq!(decode::<String>("str_non_ascii", p), "héllo ñ ĳ");
        assert_eq!(decode::<String>("str_astral", p), "😀𝄞");
        assert_eq!(decode::<String>("str_controls", p), "\n\\\0\x1a");
        assert_eq!(decode::<char>("char", p), 'é');
        assert_eq!(*decode::<Box<String>>("str_ascii", p), "hello");
    }
}

#[test]
fn strings_borrow_from_the_input_from_protocol_1() {
    for name in ["str_ascii", "str_non_ascii", "str_astral", "str_controls"] {
        let expected: String = decode(name, 1);
        for p in PROTOCOLS {
            let bytes = input(name, p);
            let cow: Cow<'static, str> = decode(name, p);
            assert_eq!(cow, expected);
            if p == 0 {
                // UNICODE is raw-unicode-escaped: the text is rebuilt, not borrowed.
                assert!(matches!(cow, Cow::Owned(_)), "{name} at protocol 0 cannot borrow");
                assert_mismatch::<&str>(
                    name,
                    0,
                    Some(offset(name, 0)),
                    &format!(
                        "cannot borrow this str from the input (it was unescaped or read from a reader); \
                         use String or Cow<str> at byte {}",
                        offset(name, 0)
                    ),
                );
                continue;
            }
            assert!(matches!(cow, Cow::Borrowed(s) if inside(bytes, s.as_ptr())), "{name} at protocol {p}");
            let s: &str = decode(name, p);
            assert_eq!(s, expected);
            assert!(inside(bytes, s.as_ptr()), "{name} at protocol {p}: &str must point into the input");
        }
    }
    // Borrowed strs inside containers.
    for p in 1..=5 {
        let bytes = input("nested", p);
        let map: BTreeMap<&str, Vec<(i64, &str)>> = decode("nested", p);
        assert_eq!(map, BTreeMap::from([("k", vec![(1, "a"), (2, "b")])]));
        assert!(map.keys().chain(map["k"].iter().map(|(_, s)| s)).all(|s| inside(bytes, s.as_ptr())));
    }
}

#[test]
fn bytes_borrow_from_the_input_from_protocol_3() {
    let expected: [(&str, Vec<u8>); 3] = [
        ("bytes_short", vec![0, 1, 0xff]),
        ("bytes_300", (0..=255u8).chain([b'x'; 44]).collect()),
        ("bytes_big", vec![0xab; 70_000]),
    ];
    for (name, want) in &expected {
        for p in PROTOCOLS {
            let bytes = input(name, p);
            assert_eq!(&decode::<Vec<u8>>(name, p), want, "{name} at protocol {p}");
            assert_eq!(&decode::<ByteArray>(name, p).0, want);
            let b: Bytes<'static> = decode(name, p);
            assert_eq!(&*b.0, &want[..]);
            if p < 3 {
                // Below protocol 3 bytes are `_codecs.encode(str, 'latin1')`: rebuilt, not borrowed.
                assert!(matches!(b.0, Cow::Owned(_)));
                let off = last_offset(name, p);
                assert_mismatch::<&[u8]>(
                    name,
                    p,
                    Some(off),
                    &format!(
                        "cannot borrow these bytes from the input (they were copied); use Vec<u8> or Bytes at byte {off}"
                    ),
                );
                continue;
            }
            assert!(matches!(b.0, Cow::Borrowed(s) if inside(bytes, s.as_ptr())), "{name} at protocol {p}");
            let s: &[u8] = decode(name, p);
            assert_eq!(s, &want[..]);
            assert!(inside(bytes, s.as_ptr()), "{name} at protocol {p}: &[u8] must point into the input");
        }
    }
    for p in PROTOCOLS {
        assert_eq!(decode::<Vec<u8>>("bytes_empty", p), Vec::<u8>::new());
        assert_eq!(decode::<[u8; 3]>("bytes_short", p), [0, 1, 0xff]);
    }
}

/// `Vec<u8>` is written as bytes and reads bytes, bytearray, and a list of ints.
#[test]
fn vec_u8_reads_bytes_bytearray_and_a_list_of_ints() {
    for p in PROTOCOLS {
        assert_eq!(decode::<Vec<u8>>("bytes_short", p), [0, 1, 0xff]);
        assert_eq!(decode::<Vec<u8>>("bytearray", p), [1, 2, 0xff]);
        assert_eq!(decode::<Vec<u8>>("list_u8", p), [1, 2, 255]);
        assert_eq!(decode::<ByteArray>("bytearray", p), ByteArray(vec![1, 2, 0xff]));
        assert_eq!(decode::<VecDeque<u8>>("bytearray", p), [1, 2, 0xff]);
    }
}

#[test]
fn containers() {
    for p in PROTOCOLS {
        assert_eq!(decode::<Vec<i64>>("list_3", p), [1, -2, 300]);
        assert_eq!(decode::<VecDeque<i32>>("list_3", p), [1, -2, 300]);
        assert_eq!(decode::<[i16; 3]>("list_3", p), [1, -2, 300]);
        assert_eq!(decode::<Vec<Option<u8>>>("list_opt", p), [Some(1), None, Some(3)]);
        assert_eq!(decode::<Vec<i64>>("big_list", p), (0..2500).collect::<Vec<_>>());
        assert_eq!(
            decode::<(i64, String, f64, bool, Option<i32>)>("tuple_mixed", p),
            (1, "a".to_string(), 2.5, true, None)
        );
        assert_eq!(
            decode::<BTreeMap<String, i64>>("dict_str_int", p),
            BTreeMap::from([("a".into(), 1), ("b".into(), 2)])
        );
        assert_eq!(
            decode::<HashMap<i64, Vec<u32>>>("dict_int_list", p),
            HashMap::from([(1, vec![1]), (-7, vec![]), (1 << 40, vec![2, 3])])
        );
        assert_eq!(decode::<BTreeSet<i64>>("set_ints", p), BTreeSet::from([1, 2, 3]));
        assert_eq!(decode::<BTreeSet<u8>>("frozenset_ints", p), BTreeSet::from([4, 5]));
        assert_eq!(
            decode::<BTreeMap<String, Vec<(i64, String)>>>("nested", p),
            BTreeMap::from([("k".to_string(), vec![(1, "a".to_string()), (2, "b".to_string())])])
        );
    }
}

#[test]
fn rc_and_arc_keep_python_sharing() {
    for p in PROTOCOLS {
        let v: Vec<Rc<Vec<i64>>> = decode("shared_list", p);
        assert_eq!(v.len(), 3);
        assert_eq!(*v[0], [1, 2]);
        assert!(Rc::ptr_eq(&v[0], &v[1]) && Rc::ptr_eq(&v[1], &v[2]), "protocol {p}: one list, one Rc");
        let a: Vec<Arc<Vec<i64>>> = decode("shared_list", p);
        assert!(Arc::ptr_eq(&a[0], &a[1]) && Arc::ptr_eq(&a[1], &a[2]), "protocol {p}: one list, one Arc");
        // Without Rc each reference is its own copy.
        let plain: Vec<Vec<i64>> = decode("shared_list", p);
        assert_eq!(plain, [[1, 2], [1, 2], [1, 2]]);
    }
}

#[test]
fn mismatches_name_the_types_and_the_offset() {
    for p in PROTOCOLS {
        let off = offset("str_ascii", p);
        assert_mismatch::<u32>("str_ascii", p, Some(off), &format!("expected an int for u32, found str at byte {off}"));
        let off = offset("list_3", p);
        assert_mismatch::<[i64; 2]>("list_3", p, Some(off), &format!("expected 2 items, found 3 at byte {off}"));
        let off = offset("dict_str_int", p);
        assert_mismatch::<Vec<i64>>(
            "dict_str_int",
            p,
            Some(off),
            &format!("expected a list, found dict at byte {off}"),
        );
        // A top-level int has no node, so no offset of its own.
        assert_mismatch::<u8>("int_300", p, None, "int 300 is out of range for u8");
        // An int inside a container is reported inside it.
        let off = offset("list_with_300", p);
        assert_mismatch::<Vec<u8>>(
            "list_with_300",
            p,
            Some(off),
            &format!("int 300 is out of range for u8 inside the value at byte {off}"),
        );
    }
}
