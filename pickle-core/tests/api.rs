//! The public API's promises: every mapped type works as a derived field,
//! derive bounds come from the fields, tuples count their items, shared
//! values go through `write_rc`/`write_arc`, and the serde_json-like entry
//! points (`from_value`, `to_value`, `Decoder`) behave.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;

use pickle_core::numpy::NdArray;
use pickle_core::{
    BigInt, ByteArray, Bytes, Decoder, Encoder, ErrorKind, FromPickle, Item, Limits, Pickle, PyModuleBuilder, PyType,
    Result, ToPickle, Value,
};

/// Compiles only if `T` implements all three traits, so it works as a value,
/// as a derived field and in the generated Python module.
fn assert_mapping<T: ToPickle + for<'a> FromPickle<'a> + PyType>() {}

/// The same for types that borrow from the input.
fn assert_borrowing_mapping<'a, T: ToPickle + FromPickle<'a> + PyType>() {}

#[test]
fn every_public_mapped_type_implements_all_three_traits() {
    assert_mapping::<NdArray<f64>>();
    assert_mapping::<NdArray<f32>>();
    assert_mapping::<NdArray<i64>>();
    assert_mapping::<NdArray<i32>>();
    assert_mapping::<NdArray<i16>>();
    assert_mapping::<NdArray<i8>>();
    assert_mapping::<NdArray<u64>>();
    assert_mapping::<NdArray<u32>>();
    assert_mapping::<NdArray<u16>>();
    assert_mapping::<NdArray<u8>>();
    assert_borrowing_mapping::<Bytes<'_>>();
    assert_mapping::<ByteArray>();
    assert_borrowing_mapping::<Value<'_>>();
    assert_borrowing_mapping::<(&str, &[u8], std::borrow::Cow<'_, str>)>();
    assert_mapping::<BigInt>();
    assert_mapping::<(bool, i8, i16, i32, i64, i128, u16, u32, u64, u128, f32, f64)>();
    assert_mapping::<(String, char, (), Option<u8>, Vec<u8>, [u8; 4], VecDeque<i64>, Box<String>)>();
    assert_mapping::<(HashMap<String, i64>, BTreeMap<i64, f64>, HashSet<u32>, BTreeSet<String>)>();
    assert_mapping::<(Rc<String>, Arc<Vec<f64>>)>();
    assert_mapping::<(NdArray<bool>, pickle_core::numpy::Scalar<f64>, pickle_core::numpy::Scalar<bool>)>();
    {
        use pickle_core::numpy::{BytesArray, DateTime64Array, StrArray, TimeDelta64Array};
        assert_mapping::<(DateTime64Array, TimeDelta64Array, StrArray, BytesArray)>();
    }
    {
        use pickle_core::datetime::{Date, DateTime, Time, TimeDelta, TzInfo};
        assert_mapping::<(Date, Time, DateTime, TimeDelta, TzInfo, std::time::Duration, std::time::SystemTime)>();
    }
    assert_mapping::<(pickle_core::decimal::Decimal, pickle_core::uuid::Uuid, std::path::PathBuf)>();
    assert_mapping::<(pickle_core::pandas::DataFrame, pickle_core::pandas::Series, pickle_core::pandas::Index)>();
    {
        use pickle_core::collections::{Counter, DefaultDict, Deque, OrderedDict};
        assert_mapping::<(OrderedDict<String, i64>, DefaultDict<String, Vec<i64>>, Counter<String>, Deque<f64>)>();
    }
}

/// The types of other crates, each behind its feature (the workspace's
/// `tests` crate enables them all, so `cargo test --workspace` checks every one).
#[test]
fn every_integration_implements_all_three_traits() {
    #[cfg(feature = "chrono")]
    assert_mapping::<(
        chrono::NaiveDate,
        chrono::NaiveTime,
        chrono::NaiveDateTime,
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::FixedOffset>,
        chrono::TimeDelta,
    )>();
    #[cfg(feature = "jiff")]
    assert_mapping::<(
        jiff::civil::Date,
        jiff::civil::Time,
        jiff::civil::DateTime,
        jiff::Timestamp,
        jiff::ZonedDateTime,
        jiff::SignedDuration,
    )>();
    #[cfg(feature = "uuid")]
    assert_mapping::<uuid::Uuid>();
    #[cfg(feature = "rust_decimal")]
    assert_mapping::<rust_decimal::Decimal>();
    #[cfg(feature = "indexmap")]
    assert_mapping::<(indexmap::IndexMap<String, i64>, indexmap::IndexSet<i64>)>();
    #[cfg(feature = "num-complex")]
    assert_mapping::<(num_complex::Complex<f64>, num_complex::Complex<f32>, NdArray<num_complex::Complex64>)>();
    #[cfg(feature = "half")]
    assert_mapping::<(half::f16, NdArray<half::f16>)>();
    #[cfg(feature = "ndarray")]
    assert_mapping::<(ndarray::Array1<f64>, ndarray::ArrayD<i32>)>();
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "app.models")]
struct Layer {
    name: String,
    weights: NdArray<f64>,
}

#[test]
fn an_ndarray_is_a_derived_field_with_a_numpy_hint() -> Result<()> {
    let layer =
        Layer { name: "dense".into(), weights: NdArray::new(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]).expect("2x2") };
    let back: Layer = pickle_core::from_slice(&pickle_core::to_vec(&layer)?)?;
    assert_eq!(back, layer);
    let source = PyModuleBuilder::new().add::<Layer>().render()?;
    let text = &source;
    assert!(text.contains("import numpy\n"), "{text}");
    assert!(text.contains("    weights: numpy.ndarray\n"), "{text}");
    Ok(())
}

/// Implements none of the traits.
struct Opaque;

#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "app.ids")]
struct Id<T> {
    raw: u64,
    #[pickle(skip)]
    _marker: PhantomData<T>,
}

#[derive(Pickle, Debug, PartialEq)]
#[pickle(module = "app.ids")]
struct Tagged<T, U> {
    value: Vec<T>,
    #[pickle(skip)]
    _unused: PhantomData<U>,
}

#[test]
fn derive_bounds_come_from_the_fields_not_every_parameter() -> Result<()> {
    let id: Id<Opaque> = Id { raw: 7, _marker: PhantomData };
    let back: Id<Opaque> = pickle_core::from_slice(&pickle_core::to_vec(&id)?)?;
    assert_eq!(back.raw, 7);
    let hint = <Id<Opaque> as PyType>::py_type(&mut PyModuleBuilder::new());
    assert_eq!(hint, pickle_core::TypeHint::class("app.ids", "Id"));
    let tagged: Tagged<i64, Opaque> = Tagged { value: vec![1, 2], _unused: PhantomData };
    let back: Tagged<i64, Opaque> = pickle_core::from_slice(&pickle_core::to_vec(&tagged)?)?;
    assert_eq!(back.value, [1, 2]);
    Ok(())
}

/// Announces two items and writes one: the probe of the layout issue.
struct Short;

impl ToPickle for Short {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_tuple_with(2, |t| t.item(&8))
    }
}

/// Announces one item and writes two.
struct Long;

impl ToPickle for Long {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_tuple_with(1, |t| {
            t.item(&1)?;
            t.item(&2)
        })
    }
}

#[test]
fn a_tuple_that_writes_the_wrong_number_of_items_fails() {
    for proto in 0..=5 {
        let opts = pickle_core::EncodeOptions::default().protocol(proto);
        let err = pickle_core::to_vec_with(&(7, Short, 9), opts).expect_err("one item short");
        assert_eq!(err.kind(), ErrorKind::Custom);
        assert_eq!(err.message(), "write_tuple_with was told 2 items and 1 were written");
        let err = pickle_core::to_vec_with(&vec![Long], opts).expect_err("one item too many");
        assert_eq!(err.message(), "an item beyond the 1 the tuple announced");
    }
}

#[test]
fn write_rc_and_write_arc_share_one_object() -> Result<()> {
    let rc = Rc::new(vec![1, 2, 3]);
    let arc = Arc::new("shared".to_string());
    let bytes = pickle_core::to_vec(&(vec![Rc::clone(&rc), rc], vec![Arc::clone(&arc), arc]))?;
    let (rcs, arcs): (Vec<Rc<Vec<i64>>>, Vec<Arc<String>>) = pickle_core::from_slice(&bytes)?;
    assert!(Rc::ptr_eq(&rcs[0], &rcs[1]));
    assert!(Arc::ptr_eq(&arcs[0], &arcs[1]));
    let value: Value = pickle_core::from_slice(&bytes)?;
    let lists = value.as_tuple(value.root()).expect("a tuple");
    let inner = value.as_list(lists[0]).expect("a list");
    assert_eq!(inner[0], inner[1], "one node referenced twice");
    Ok(())
}

#[test]
fn from_value_and_to_value_convert_between_graphs_and_types() -> Result<()> {
    let value = pickle_core::to_value(&(1u8, vec!["a", "b"], Some(2.5)))?;
    let items = value.as_tuple(value.root()).expect("a tuple").to_vec();
    let names: Vec<String> = pickle_core::from_value(&value, items[1])?;
    assert_eq!(names, ["a", "b"]);
    let x: Option<f64> = pickle_core::from_value(&value, items[2])?;
    assert_eq!(x, Some(2.5));
    let whole: (u8, Vec<String>, Option<f64>) = pickle_core::from_value(&value, value.root())?;
    assert_eq!(whole.0, 1);
    let err = pickle_core::from_value::<String>(&value, Item::Int(3)).expect_err("an int is no str");
    assert_eq!((err.kind(), err.message()), (ErrorKind::Mismatch, "expected a str, found int 3"));
    Ok(())
}

#[test]
fn a_decoder_reads_pickles_in_turn_and_counts_offsets_from_the_stream_start() -> Result<()> {
    let mut stream = pickle_core::to_vec(&"first")?;
    let second_at = stream.len() as u64;
    stream.extend(pickle_core::to_vec_with(&vec![1, 2], pickle_core::EncodeOptions::default().protocol(0))?);
    let bad_at = stream.len() as u64;
    stream.extend_from_slice(b"\x80\x02K");
    let mut slice = Decoder::from_slice(&stream);
    let mut reader = Decoder::from_reader(&stream[..]);
    assert_eq!(slice.decode::<&str>()?, "first");
    assert_eq!(reader.decode::<String>()?, "first");
    assert_eq!((slice.position(), reader.position()), (second_at, second_at));
    assert_eq!(slice.decode::<Vec<i32>>()?, [1, 2]);
    assert_eq!(reader.decode::<Vec<i32>>()?, [1, 2]);
    assert_eq!((slice.position(), reader.position()), (bad_at, bad_at));
    assert!(!slice.is_at_end());
    for err in [slice.decode::<Value>().map(drop).unwrap_err(), reader.decode::<Value>().map(drop).unwrap_err()] {
        assert_eq!((err.kind(), err.offset()), (ErrorKind::Eof, Some(bad_at + 2)), "{err}");
    }
    assert_eq!(slice.position(), bad_at, "an error leaves the position where the pickle began");
    Ok(())
}

#[test]
fn limits_are_built_with_const_setters() {
    const TIGHT: Limits = Limits::DEFAULT.max_alloc(1000).alloc_per_input_byte(0).max_depth(3);
    assert_eq!((TIGHT.max_alloc, TIGHT.alloc_per_input_byte, TIGHT.max_depth), (1000, 0, 3));
    assert_eq!(TIGHT.max_memo, Limits::DEFAULT.max_memo);
    let opts = pickle_core::DecodeOptions::default().limits(TIGHT);
    let deep = pickle_core::to_vec(&vec![vec![vec![vec![1]]]]).expect("encode");
    let err = pickle_core::from_slice_with::<Value>(&deep, opts).expect_err("deeper than 3");
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
}

/// An instance of `__main__.C` with `n` fields `f0`, `f1`, ... holding their index.
struct Wide(usize);

impl ToPickle for Wide {
    fn to_pickle(&self, enc: &mut Encoder<'_>) -> Result<()> {
        enc.write_dict_instance("__main__", "C", self.0, |s| {
            (0..self.0).try_for_each(|i| s.field(Box::leak(format!("f{i}").into_boxed_str()), &i))
        })
    }
}

/// Instance state dicts are batched by the one rule: at 999, 1000 and 1001
/// fields (1000 gets CPython's empty trailing batch), the same opcodes as
/// CPython writes for the same instance at every protocol, leaving out the
/// memo writes CPython adds for values nothing refers to again.
#[test]
fn wide_instances_are_batched_as_cpython_batches_them() {
    for n in [1, 2, 999, 1000, 1001, 2000] {
        let ours: String = (0..=5u8)
            .map(|p| {
                let opts = pickle_core::EncodeOptions::default().protocol(p);
                pickle_test_support::hex(&pickle_core::to_vec_with(&Wide(n), opts).expect("encode")) + "\n"
            })
            .collect();
        let mut cmd = pickle_test_support::python3(&[]);
        cmd.args([
            "-c",
            "import pickle, pickletools, sys\nclass C: pass\nn = int(sys.argv[1])\nc = C()\n\
             for i in range(n): setattr(c, 'f%d' % i, i)\n\
             memo = {'PUT', 'BINPUT', 'LONG_BINPUT', 'MEMOIZE', 'GET', 'BINGET', 'LONG_BINGET', 'FRAME'}\n\
             ops = lambda b: [(o.name, a if o.name != 'GLOBAL' else None) for o, a, _ in pickletools.genops(b) if o.name not in memo]\n\
             for p, line in enumerate(sys.stdin.read().split()):\n\
             \x20   ours, theirs = ops(bytes.fromhex(line)), ops(pickle.dumps(c, p))\n\
             \x20   assert ours == theirs, (p, next(i for i, (x, y) in enumerate(zip(ours, theirs)) if x != y))\n\
             \x20   pickle.loads(bytes.fromhex(line))\n\
             print('ok')",
            &n.to_string(),
        ]);
        let out = pickle_test_support::run_ok(cmd, ours.as_bytes());
        assert_eq!(out, b"ok\n", "{n} fields");
    }
}

/// `datetime.timezone.utc` is one object in Python, written once per pickle
/// and fetched from the memo after, as CPython writes it: every datetime's
/// tzinfo is the same node, and other zones are not shared.
#[test]
fn utc_is_written_once_and_shared() -> Result<()> {
    use pickle_core::Node;
    use pickle_core::datetime::{Date, DateTime, Time, TzInfo};
    let at = |tz: TzInfo| -> Result<DateTime> {
        Ok(DateTime::new(Date::new(2024, 3, 15)?, Time::new(12, 0, 0, 0)?.with_tz(Some(tz))))
    };
    let tzinfo_nodes = |times: &[DateTime]| -> Result<Vec<pickle_core::Item>> {
        let bytes = pickle_core::to_vec(times)?;
        let value: Value = pickle_core::from_slice(&bytes)?;
        let Some(Node::List(items)) = value.get(value.root()) else { panic!("a list") };
        Ok(items
            .iter()
            .map(|&dt| match value.get(dt) {
                Some(Node::Object(obj)) => obj.args[1],
                other => panic!("a datetime object, found {other:?}"),
            })
            .collect())
    };
    let utc = tzinfo_nodes(&[at(TzInfo::utc())?, at(TzInfo::utc())?, at(TzInfo::utc())?])?;
    assert!(utc.iter().all(|&tz| tz == utc[0]), "{utc:?}");
    let fixed = tzinfo_nodes(&[at(TzInfo::fixed(3600))?, at(TzInfo::fixed(3600))?])?;
    assert_ne!(fixed[0], fixed[1]);
    Ok(())
}
