//! Decodes arbitrary bytes; whatever decodes must survive a round trip at
//! every protocol, and nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pickle_core::{DecodeOptions, EncodeOptions, ErrorKind, Item, Limits, Node, Value};

/// Tighter than the defaults so that a hostile input fails fast instead of
/// exhausting the fuzzer's memory limit; the checks are the same.
const LIMITS: Limits = Limits::DEFAULT
    .max_depth(10_000)
    .max_recursion(64)
    .max_alloc(64 << 20)
    .alloc_per_input_byte(64)
    .max_memo(100_000)
    .max_container_len(100_000)
    .max_bigint_bytes(4096);

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions::default().limits(LIMITS).persistent_ids(pickle_core::PersistentIds::Keep);
    let sliced = pickle_core::from_slice_with::<Value>(data, opts.clone());
    let read = pickle_core::from_reader_with::<_, Value<'static>>(data, opts.clone());
    match (&sliced, &read) {
        (Ok(a), Ok(b)) => assert!(a == b, "slice and reader decode differently"),
        (Err(a), Err(b)) => {
            // The allocation budget of a reader grows as it reads, so only
            // limit errors may differ between the two entry points.
            if a.kind() != ErrorKind::LimitExceeded && b.kind() != ErrorKind::LimitExceeded {
                assert_eq!((a.kind(), a.offset()), (b.kind(), b.offset()), "{a} / {b}");
            }
        }
        (Ok(_), Err(e)) | (Err(e), Ok(_)) => {
            assert_eq!(e.kind(), ErrorKind::LimitExceeded, "only one entry point failed: {e}")
        }
    }
    // Typed targets may fail but not panic. Collections stream the root's
    // items into the result as they are read; that must give exactly what
    // converting the whole graph gives.
    streams_like_the_graph::<Vec<(String, f64)>>(data, &opts, sliced.as_ref());
    streams_like_the_graph::<Vec<std::rc::Rc<Vec<i64>>>>(data, &opts, sliced.as_ref());
    streams_like_the_graph::<std::collections::BTreeMap<String, Vec<i64>>>(data, &opts, sliced.as_ref());
    // A HashMap is first sized by count.rs's count of the root's pairs.
    streams_like_the_graph::<std::collections::HashMap<String, Vec<i64>>>(data, &opts, sliced.as_ref());
    let _ = pickle_core::from_slice_with::<Option<std::collections::BTreeMap<String, Vec<i64>>>>(data, opts.clone());
    let _ = pickle_core::from_reader_with::<_, (Vec<u8>, Option<bool>, i128)>(data, opts.clone());
    vocabulary::decode_all(data, &opts);
    if let Ok(value) = sliced {
        round_trip(&value);
    }
});

/// The streamed typed decode agrees with converting the whole graph: the
/// same value, or an error of the same kind at the same offset.
fn streams_like_the_graph<T>(data: &[u8], opts: &DecodeOptions, whole: Result<&Value<'_>, &pickle_core::Error>)
where
    T: for<'a> pickle_core::FromPickle<'a> + PartialEq + std::fmt::Debug,
{
    let streamed = pickle_core::from_slice_with::<T>(data, opts.clone()).map_err(|e| (e.kind(), e.offset()));
    let converted = match whole {
        Ok(value) => {
            let mut cx = pickle_core::Context::new(value, &LIMITS);
            cx.decode::<T>(value.root()).map_err(|e| (e.kind(), e.offset()))
        }
        Err(e) => Err((e.kind(), e.offset())),
    };
    match (&streamed, &converted) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) if a.0 != ErrorKind::LimitExceeded && b.0 != ErrorKind::LimitExceeded => assert_eq!(a, b),
        (Err(a), _) | (_, Err(a)) => assert_eq!(a.0, ErrorKind::LimitExceeded, "{streamed:?} / {converted:?}"),
    }
}

fn round_trip(value: &Value<'_>) {
    // Python 2 name mapping is lossy by design (`__builtin__` and `builtins`
    // read back the same), so the round trip runs without it.
    let read_opts = DecodeOptions::default()
        .limits(Limits::unlimited())
        .fix_imports(false)
        .persistent_ids(pickle_core::PersistentIds::Keep);
    for proto in 0..=5u8 {
        let write_opts = EncodeOptions::default().protocol(proto).fix_imports(false).max_depth(100_000);
        let bytes = match pickle_core::to_vec_with(value, write_opts) {
            Ok(bytes) => bytes,
            Err(e) => {
                assert!(
                    matches!(e.kind(), ErrorKind::Unsupported | ErrorKind::LimitExceeded),
                    "encoding at protocol {proto} failed: {e}"
                );
                continue;
            }
        };
        let back: Value = match pickle_core::from_slice_with(&bytes, read_opts.clone()) {
            Ok(back) => back,
            Err(e) => panic!("protocol {proto}: decoding what was encoded failed: {e}\n{value:?}\n{bytes:?}"),
        };
        let (mut want, mut got) = (value.clone(), back);
        if proto == 0 {
            // Protocol 0 writes floats as repr(), which keeps no NaN payload or sign.
            canonical_nans(&mut want);
            canonical_nans(&mut got);
            // PERSID writes a persistent id as text: its str is a new object
            // on reading, shared with nothing (as in CPython).
            unshare_persid_strs(&mut want);
        }
        // Buffer indices count NEXT_BUFFER opcodes in stream order, which the
        // writer chooses; only which node is which buffer is kept.
        zero_buffer_indices(&mut want);
        zero_buffer_indices(&mut got);
        assert!(want == got, "protocol {proto}: round trip changed the value\n{want:?}\n{got:?}\n{bytes:?}");
    }
}

fn canonical_nans(value: &mut Value<'_>) {
    let fix = |item: Item| match item {
        Item::Float(x) if x.is_nan() => Item::Float(f64::NAN),
        other => other,
    };
    value.set_root(fix(value.root()));
    for id in value.reachable() {
        let node = value.node_mut(id);
        node.map_items(fix);
        if let Node::Complex(re, im) = node {
            for x in [re, im] {
                if x.is_nan() {
                    *x = f64::NAN;
                }
            }
        }
    }
}

fn unshare_persid_strs(value: &mut Value<'_>) {
    for id in value.reachable() {
        let pid = match value.node(id) {
            Node::PersId(pid) => *pid,
            _ => continue,
        };
        if let Some(Node::Str(s)) = value.get(pid) {
            let copy = value.push(Node::Str(s.clone()));
            *value.node_mut(id) = Node::PersId(copy);
        }
    }
}

fn zero_buffer_indices(value: &mut Value<'_>) {
    for id in value.reachable() {
        if let Node::Buffer { index, .. } = value.node_mut(id) {
            *index = 0;
        }
    }
}

/// Typed decoding into every type that maps a Python type, alone and as
/// the fields of one derived struct: errors are fine, panics are not.
mod vocabulary {
    use pickle_core::collections::{Counter, DefaultDict, Deque, OrderedDict};
    use pickle_core::datetime::{Date, DateTime, Time, TimeDelta, TzInfo};
    use pickle_core::numpy::{BytesArray, DateTime64Array, NdArray, Scalar, StrArray, TimeDelta64Array};
    use pickle_core::{DecodeOptions, Pickle};

    #[derive(Pickle, Debug)]
    #[pickle(module = "fuzz")]
    pub struct Everything {
        date: Date,
        time: Time,
        datetime: DateTime,
        delta: TimeDelta,
        tz: TzInfo,
        duration: std::time::Duration,
        system: std::time::SystemTime,
        decimal: pickle_core::decimal::Decimal,
        uuid: pickle_core::uuid::Uuid,
        path: std::path::PathBuf,
        ordered: OrderedDict<String, i64>,
        default: DefaultDict<String, Vec<i64>>,
        counter: Counter<String>,
        deque: Deque<i64>,
        floats: NdArray<f64>,
        bools: NdArray<bool>,
        scalar: Scalar<f32>,
        times: DateTime64Array,
        deltas: TimeDelta64Array,
        strs: StrArray,
        bytes: BytesArray,
        chrono_utc: chrono::DateTime<chrono::Utc>,
        chrono_fixed: chrono::DateTime<chrono::FixedOffset>,
        chrono_naive: chrono::NaiveDateTime,
        chrono_delta: chrono::TimeDelta,
        jiff_zoned: jiff::ZonedDateTime,
        jiff_timestamp: jiff::Timestamp,
        jiff_duration: jiff::SignedDuration,
        rust_decimal: rust_decimal::Decimal,
        uuid_crate: uuid::Uuid,
        index_map: indexmap::IndexMap<String, i64>,
        index_set: indexmap::IndexSet<i64>,
        complex: num_complex::Complex<f64>,
        complex_array: NdArray<num_complex::Complex<f32>>,
        half: NdArray<half::f16>,
        array: ndarray::ArrayD<f64>,
        matrix: ndarray::Array2<i32>,
        frame: pickle_core::pandas::DataFrame,
        series: pickle_core::pandas::Series,
    }

    fn one<T: for<'a> pickle_core::FromPickle<'a>>(data: &[u8], opts: &DecodeOptions) {
        let _ = pickle_core::from_slice_with::<T>(data, opts.clone());
    }

    pub fn decode_all(data: &[u8], opts: &DecodeOptions) {
        one::<Everything>(data, opts);
        one::<Vec<DateTime>>(data, opts);
        one::<(Date, Time, TimeDelta, TzInfo, std::time::SystemTime)>(data, opts);
        one::<Vec<pickle_core::decimal::Decimal>>(data, opts);
        one::<(pickle_core::uuid::Uuid, std::path::PathBuf, OrderedDict<String, i64>, Deque<i64>)>(data, opts);
        one::<(NdArray<f64>, StrArray, BytesArray, DateTime64Array)>(data, opts);
        one::<(chrono::DateTime<chrono::Utc>, jiff::ZonedDateTime, rust_decimal::Decimal, uuid::Uuid)>(data, opts);
        one::<(ndarray::ArrayD<f64>, Vec<num_complex::Complex<f64>>, Vec<f64>, Vec<i64>, Vec<bool>)>(data, opts);
        one::<pickle_core::pandas::DataFrame>(data, opts);
        one::<pickle_core::pandas::Series>(data, opts);
        one::<pickle_core::numpy::StructArray>(data, opts);
    }
}
