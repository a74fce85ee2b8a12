//! Derived instances that `from_slice` reads straight from the input into a
//! streamed `Vec`, with no graph node (de/sink/direct.rs). Each case is
//! checked against the usual path: `from_reader`, which streams but never
//! takes the direct path, and `Value` then `from_value`. Results, error kinds and
//! error offsets must be the same. A counting wrapper shows that the direct
//! path was taken where it should be.

mod common;

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt::Debug;

use pickle_core::__private::Direct;
use pickle_core::{
    Context, DecodeOptions, EncodeOptions, ErrorKind, FromPickle, FromPickleOwned, Item as Slot, Limits, Pickle,
    Result, Value,
};

#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "app.direct")]
struct Item {
    x: f64,
    y: f64,
    label: String,
    tags: Vec<i64>,
}

#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "app.direct")]
struct Part {
    w: f32,
}

#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "app.direct")]
struct Rich {
    id: u32,
    name: Option<String>,
    parts: Vec<Part>,
    grid: Vec<Vec<i64>>,
    boxed: Box<Part>,
    flags: VecDeque<bool>,
    #[pickle(skip)]
    cache: u8,
    #[pickle(default)]
    extra: i64,
    #[pickle(rename = "kind")]
    kind_: String,
    id2: Id,
}

#[derive(Pickle, Debug, PartialEq, Clone, Default)]
#[pickle(transparent)]
struct Id(u64);

#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "app.direct", dict_state)]
struct Plain {
    a: i64,
    b: String,
}

#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "app.direct")]
struct Generic<T> {
    one: T,
    many: Vec<T>,
}

/// A recursive type, for the recursion limit.
#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "app.direct")]
struct Chain {
    next: Option<Box<Chain>>,
}

thread_local! {
    static DIRECT_READS: Cell<usize> = const { Cell::new(0) };
}

/// A `T` that counts the items read through the direct path.
#[derive(Debug, PartialEq, Clone)]
struct Counted<T>(T);

impl<'a, T: FromPickle<'a>> FromPickle<'a> for Counted<T> {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Slot) -> Result<Self> {
        T::from_pickle(cx, item).map(Counted)
    }

    fn from_direct(rd: &mut Direct<'_, '_, 'a>) -> Option<Self> {
        let t = T::from_direct(rd)?;
        DIRECT_READS.with(|c| c.set(c.get() + 1));
        Some(Counted(t))
    }
}

/// Decodes `bytes` as `Vec<T>` from a slice (the direct path where it
/// applies) and the two usual ways, checks that all three agree, and
/// returns the slice's answer and how many items it read directly.
fn decode<T>(bytes: &[u8], opts: DecodeOptions) -> (Result<Vec<T>>, usize)
where
    T: FromPickleOwned + PartialEq + Debug + Clone,
{
    decode_as(bytes, opts, true)
}

/// [`decode`] with limits that `from_value` (which converts with the
/// default limits) does not see: compared with `from_reader` only.
fn decode_limited<T>(bytes: &[u8], opts: DecodeOptions) -> (Result<Vec<T>>, usize)
where
    T: FromPickleOwned + PartialEq + Debug + Clone,
{
    decode_as(bytes, opts, false)
}

fn decode_as<T>(bytes: &[u8], opts: DecodeOptions, graph_too: bool) -> (Result<Vec<T>>, usize)
where
    T: FromPickleOwned + PartialEq + Debug + Clone,
{
    DIRECT_READS.with(|c| c.set(0));
    let direct = pickle_core::from_slice_with::<Vec<Counted<T>>>(bytes, opts.clone())
        .map(|v| v.into_iter().map(|c| c.0).collect::<Vec<T>>());
    let reads = DIRECT_READS.with(Cell::get);
    let reader = pickle_core::from_reader_with::<_, Vec<T>>(bytes, opts.clone());
    let mut others = vec![("from_reader", reader)];
    if graph_too {
        let graph = pickle_core::from_slice_with::<Value>(bytes, opts)
            .and_then(|v| pickle_core::from_value::<Vec<T>>(&v, v.root()));
        others.push(("Value + from_value", graph));
    }
    for (name, other) in others {
        match (&direct, &other) {
            (Ok(a), Ok(b)) => {
                let first = a.iter().zip(b).position(|(x, y)| x != y);
                assert!(
                    a.len() == b.len() && first.is_none(),
                    "{name}: {} / {} items, first unequal {first:?}",
                    a.len(),
                    b.len()
                );
            }
            (Err(a), Err(b)) => {
                assert_eq!((a.kind(), a.offset()), (b.kind(), b.offset()), "{name}: {a} / {b}");
            }
            (Ok(a), Err(e)) => panic!("{name} disagrees: from_slice read {} items, {name} failed: {e}", a.len()),
            (Err(e), Ok(b)) => panic!("{name} disagrees: from_slice failed: {e}, {name} read {} items", b.len()),
        }
    }
    (direct, reads)
}

fn items(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| Item {
            x: i as f64 * 0.5,
            y: -(i as f64),
            label: format!("item-{i}"),
            // Empty, one-item (`item APPEND`) and batched tags.
            tags: (0..(i % 4) as i64).map(|k| k * 1000 + i as i64).collect(),
        })
        .collect()
}

fn riches(n: usize) -> Vec<Rich> {
    (0..n)
        .map(|i| Rich {
            id: i as u32,
            name: (i % 3 != 0).then(|| format!("n{i}")),
            parts: (0..i % 3).map(|k| Part { w: k as f32 + 0.25 }).collect(),
            grid: (0..i % 3).map(|r| (0..r as i64 + 1).collect()).collect(),
            boxed: Box::new(Part { w: i as f32 }),
            flags: (0..i % 5).map(|k| k % 2 == 0).collect(),
            cache: 0,
            extra: i as i64 * 3,
            kind_: "é".repeat(i % 7),
            // Past 2**31 from item 2148 on: LONG1 at protocol 2 and above.
            id2: Id(i as u64 * 1_000_003),
        })
        .collect()
}

fn encode<T: pickle_core::ToPickle + ?Sized>(v: &T, proto: u8) -> Vec<u8> {
    pickle_core::to_vec_with(v, EncodeOptions::default().protocol(proto)).expect("encode")
}

/// The most items a first batch holds (CPython's and pickle-rs's batch
/// size): that batch memoizes the class and the field names, so it goes
/// the usual way.
const BATCH: usize = 1000;

#[test]
fn instances_round_trip_and_take_the_direct_path() {
    for n in [1usize, 2, 999, 1000, 1001, 2500, 20_000] {
        for proto in 2..=5u8 {
            let v = items(n);
            let (back, reads) = decode::<Item>(&encode(&v, proto), DecodeOptions::default());
            assert_eq!(back.expect("items"), v, "items n={n} p{proto}");
            assert!(reads >= n.saturating_sub(BATCH), "items n={n} p{proto}: {reads} read directly");

            let v = riches(n.min(2500));
            let (back, reads) = decode::<Rich>(&encode(&v, proto), DecodeOptions::default());
            assert_eq!(back.expect("riches"), v, "riches n={n} p{proto}");
            assert!(reads >= v.len().saturating_sub(BATCH), "riches n={n} p{proto}: {reads} read directly");

            let v: Vec<Plain> = (0..n as i64).map(|i| Plain { a: i, b: format!("{i}") }).collect();
            let (back, reads) = decode::<Plain>(&encode(&v, proto), DecodeOptions::default());
            assert_eq!(back.expect("plain"), v, "plain n={n} p{proto}");
            assert!(reads >= n.saturating_sub(BATCH), "plain n={n} p{proto}: {reads} read directly");

            let v: Vec<Generic<Option<f64>>> = (0..n)
                .map(|i| Generic { one: (i % 2 == 0).then_some(i as f64), many: vec![None, Some(1.5)] })
                .collect();
            let (back, reads) = decode::<Generic<Option<f64>>>(&encode(&v, proto), DecodeOptions::default());
            assert_eq!(back.expect("generic"), v, "generic n={n} p{proto}");
            assert!(reads >= n.saturating_sub(BATCH), "generic n={n} p{proto}: {reads} read directly");
        }
    }
}

/// Protocols 0 and 1 make instances with `copyreg._reconstructor`, which
/// the direct path does not read: every item goes the usual way.
#[test]
fn old_protocols_go_the_usual_way() {
    for proto in 0..=1u8 {
        let v = items(2500);
        let (back, reads) = decode::<Item>(&encode(&v, proto), DecodeOptions::default());
        assert_eq!(back.expect("items"), v, "p{proto}");
        assert_eq!(reads, 0, "p{proto}");
    }
}

/// Where a later item is not what the type reads, the error is the usual
/// path's, with its kind and byte.
#[test]
fn bad_items_fail_where_the_usual_path_fails() {
    let good = items(3000);
    // Item 2000 (in a batch the direct path takes) holds a str where a float goes.
    #[derive(Pickle, Debug, PartialEq, Clone)]
    #[pickle(module = "app.direct", name = "Item")]
    struct BadX {
        x: String,
        y: f64,
        label: String,
        tags: Vec<i64>,
    }
    let values = |f: &dyn Fn(usize, &Item) -> Value<'static>| -> Vec<Value<'static>> {
        good.iter().enumerate().map(|(i, it)| f(i, it)).collect()
    };
    let item = |it: &Item| pickle_core::to_value(it).expect("to_value");
    let loose = values(&|i, it| {
        if i == 2000 {
            let bad = BadX { x: "not a float".into(), y: it.y, label: it.label.clone(), tags: it.tags.clone() };
            pickle_core::to_value(&bad).expect("to_value")
        } else {
            item(it)
        }
    });
    let bytes = encode(&loose, 4);
    let (err, _) = decode::<Item>(&bytes, DecodeOptions::default());
    let err = err.expect_err("a str is not a float");
    assert_eq!(err.kind(), ErrorKind::Mismatch, "{err}");
    assert!(err.to_string().contains("field `x`"), "{err}");

    // A missing field and an unknown one, in a later batch.
    #[derive(Pickle, Debug, PartialEq, Clone)]
    #[pickle(module = "app.direct", name = "Item")]
    struct Short {
        x: f64,
        y: f64,
        label: String,
    }
    let mixed = values(&|i, it| {
        if i == 2500 {
            pickle_core::to_value(&Short { x: it.x, y: it.y, label: it.label.clone() }).expect("to_value")
        } else {
            item(it)
        }
    });
    let bytes = encode(&mixed, 4);
    let (err, _) = decode::<Item>(&bytes, DecodeOptions::default());
    let err = err.expect_err("no tags");
    assert_eq!(err.kind(), ErrorKind::Mismatch, "{err}");
    assert!(err.to_string().contains("no attribute `tags`"), "{err}");
    // The same bytes read as `Short` ignore the unknown `tags` (the usual
    // path reads every batch that has it).
    let (back, _) = decode::<Short>(&bytes, DecodeOptions::default());
    assert_eq!(back.expect("short").len(), 3000);

    // Another class in a later batch.
    let other =
        values(&|i, it| if i == 1500 { pickle_core::to_value(&Part { w: 1.0 }).expect("part") } else { item(it) });
    let bytes = encode(&other, 4);
    let (err, _) = decode::<Item>(&bytes, DecodeOptions::default());
    let err = err.expect_err("a Part is not an Item");
    assert_eq!(err.kind(), ErrorKind::Mismatch, "{err}");
    assert!(err.to_string().contains("app.direct.Item"), "{err}");

    // The input cut inside a later batch.
    let bytes = encode(&good, 4);
    let cut = &bytes[..bytes.len() * 3 / 4];
    let (err, _) = decode::<Item>(cut, DecodeOptions::default());
    assert_eq!(err.expect_err("truncated").kind(), ErrorKind::Eof);
}

/// The limits hold on the direct path: stack depth, container length,
/// recursion and the allocation budget; each is the usual path's error.
#[test]
fn limits_hold_on_the_direct_path() {
    let with = |f: &dyn Fn(&mut Limits)| {
        let mut limits = Limits::default();
        f(&mut limits);
        DecodeOptions::default().limits(limits)
    };
    // A later item with a long inner list: over the container limit.
    let mut v = items(2000);
    v[1500].tags = (0..3000).collect();
    let bytes = encode(&v, 4);
    let (err, _) = decode_limited::<Item>(&bytes, with(&|l| l.max_container_len = 2500));
    assert_eq!(err.expect_err("3000 tags over 2500").kind(), ErrorKind::LimitExceeded);
    let (back, reads) = decode_limited::<Item>(&bytes, with(&|l| l.max_container_len = 3000));
    assert_eq!(back.expect("fits"), v);
    assert!(reads >= 1000, "{reads}");

    // The stack: 500 items of the root's batch below item 1500, whose tags
    // come in batches of 1000.
    let (err, _) = decode_limited::<Item>(&bytes, with(&|l| l.max_depth = 1200));
    assert_eq!(err.expect_err("too deep").kind(), ErrorKind::LimitExceeded);
    let (back, reads) = decode_limited::<Item>(&bytes, with(&|l| l.max_depth = 2000));
    assert_eq!(back.expect("deep enough"), v);
    assert!(reads >= 1000, "{reads}");

    // Recursion: chains 40 deep, under a limit of 30 and of 100.
    let chain = (0..40).fold(Chain { next: None }, |c, _| Chain { next: Some(Box::new(c)) });
    let chains = vec![chain; 1500];
    let bytes = encode(&chains, 4);
    let (err, _) = decode_limited::<Chain>(&bytes, with(&|l| l.max_recursion = 30));
    assert_eq!(err.expect_err("too deep").kind(), ErrorKind::LimitExceeded);
    let (back, reads) = decode_limited::<Chain>(&bytes, with(&|l| l.max_recursion = 100));
    assert_eq!(back.expect("fits"), chains);
    assert!(reads >= 500, "{reads}");

    // The budget: 20,000 items of 200-byte labels under 1 MiB.
    let big: Vec<Item> =
        (0..20_000).map(|i| Item { x: 0.0, y: 0.0, label: format!("{i:0>200}"), tags: vec![1, 2] }).collect();
    let bytes = encode(&big, 4);
    let tight = with(&|l| {
        l.max_alloc = 1 << 20;
        l.alloc_per_input_byte = 0;
    });
    // (The usual path charges its graph as well, so it stops at another
    // byte: only the kind is the same.)
    let err = pickle_core::from_slice_with::<Vec<Item>>(&bytes, tight).expect_err("over budget");
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
}

/// The direct path builds no graph, so the allocation budget it needs is
/// the result's: a budget the graph would exceed still holds it.
#[test]
fn the_direct_path_needs_only_the_results_budget() {
    let v = items(20_000);
    let bytes = encode(&v, 4);
    let mut limits = Limits::default();
    limits.max_alloc = 4 << 20;
    limits.alloc_per_input_byte = 0;
    let opts = DecodeOptions::default().limits(limits);
    let back = pickle_core::from_slice_with::<Vec<Item>>(&bytes, opts.clone()).expect("direct fits in 4 MiB");
    assert_eq!(back, v);
    let err = pickle_core::from_reader_with::<_, Vec<Item>>(&bytes[..], opts).expect_err("the graph does not");
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
}

/// CPython writes a list of instances with every object memoized; the
/// direct path skips the memo writes no later GET reads (found by a pass
/// over the input once a second batch stops at one), and
/// `pickletools.optimize` drops them from the file. Either way every batch
/// after the first goes direct. Python writes both, for a plain class, a
/// dataclass and a slots dataclass (whose state is `(None, {slots})`), and a
/// list of strs; Rust reads them all and gets the same values.
#[test]
fn python_written_instances_read_both_ways() {
    let lines = common::python(
        r#"
import pickle, pickletools
import derive_helper
fields = ["x", "y", "label", "tags"]
for kind in ("plain", "dataclass", "slots_dataclass"):
    Item = derive_helper.make_class("app.direct", "Item", fields, kind)
    items = []
    for i in range(2500):
        it = Item.__new__(Item)
        values = dict(x=i * 0.5, y=-float(i), label="item-%d" % i, tags=[k * 1000 + i for k in range(i % 4)])
        for name in fields:
            setattr(it, name, values[name])
        items.append(it)
    for proto in (2, 4, 5):
        raw = pickle.dumps(items, proto)
        print(raw.hex())
        print(pickletools.optimize(raw).hex())
strs = ["s%d-%d" % (i % 1000, i) for i in range(2500)]
for proto in (2, 4, 5):
    print(pickle.dumps(strs, proto).hex())
# Shared objects in later batches: one label str in two items, one item twice.
items[2200].label = items[1500].label
items.append(items[1600])
print(pickle.dumps(items, 4).hex())
"#,
        "",
    );
    let want = items(2500);
    assert_eq!(lines.len(), 22, "{} lines", lines.len());
    let hex = |line: &str| -> Vec<u8> {
        (0..line.len() / 2).map(|i| u8::from_str_radix(&line[2 * i..2 * i + 2], 16).expect("hex")).collect()
    };
    for (k, line) in lines[..18].iter().enumerate() {
        let (back, reads) = decode::<Item>(&hex(line), DecodeOptions::default());
        assert_eq!(back.expect("python's items"), want, "pickle {k}");
        assert!(reads >= 2500 - BATCH, "pickle {k}: {reads} read directly");
    }
    let strs: Vec<String> = (0..2500).map(|i| format!("s{}-{i}", i % 1000)).collect();
    for (k, line) in lines[18..21].iter().enumerate() {
        let (back, reads) = decode::<String>(&hex(line), DecodeOptions::default());
        assert_eq!(back.expect("python's strs"), strs, "strs {k}");
        assert!(reads >= 2500 - BATCH, "strs {k}: {reads} read directly");
    }
    // The batches holding what a later GET fetches go the usual way.
    let mut shared = want.clone();
    shared[2200].label = shared[1500].label.clone();
    shared.push(shared[1600].clone());
    let (back, _) = decode::<Item>(&hex(&lines[21]), DecodeOptions::default());
    assert_eq!(back.expect("shared"), shared);
}

/// The types analysts use, read straight from the input as CPython's
/// modules pickle them: datetimes (naive and UTC; another zone is written
/// afresh each time, which the direct path leaves to the usual one),
/// Decimals and NumPy arrays (1-D and 2-D, of several dtypes).
#[derive(Pickle, Debug, PartialEq, Clone)]
#[pickle(module = "app.direct")]
struct Analyst {
    when: pickle_core::datetime::DateTime,
    maybe: Option<pickle_core::datetime::DateTime>,
    amount: pickle_core::decimal::Decimal,
    values: pickle_core::numpy::NdArray<f32>,
    grid: pickle_core::numpy::NdArray<i64>,
}

fn analysts(n: usize) -> Vec<Analyst> {
    use pickle_core::datetime::{Date, DateTime, Time, TzInfo};
    use pickle_core::numpy::NdArray;
    (0..n)
        .map(|i| {
            let tz = (i % 2 == 1).then(TzInfo::utc);
            let date = Date::new(2000 + (i % 30) as i32, 1 + (i % 12) as u32, 1 + (i % 28) as u32).expect("date");
            let time = Time::new((i % 24) as u32, (i % 60) as u32, (i % 59) as u32, (i * 7919 % 1_000_000) as u32)
                .expect("time")
                .with_tz(tz);
            let when = DateTime::new(date, time);
            Analyst {
                when: when.clone(),
                maybe: (i % 2 == 0).then_some(when),
                amount: format!("{}.{:02}", i as i64 - 500, i % 100).parse().expect("decimal"),
                values: NdArray::from_vec((0..(i % 20)).map(|k| (i + k) as f32 * 0.5).collect()),
                grid: NdArray::new(vec![2, 3], (0..6).map(|k| (i * 6 + k) as i64).collect()).expect("shape"),
            }
        })
        .collect()
}

#[test]
fn analysts_types_take_the_direct_path() {
    for n in [1usize, 1001, 2500] {
        let v = analysts(n);
        for proto in 2..=5u8 {
            let (back, reads) = decode::<Analyst>(&encode(&v, proto), DecodeOptions::default());
            assert_eq!(back.expect("analysts"), v, "n={n} p{proto}");
            // Protocol 2 writes a datetime's state through `_codecs.encode`,
            // which the direct path does not read.
            if proto >= 3 {
                assert!(reads >= n.saturating_sub(BATCH), "n={n} p{proto}: {reads} read directly");
            }
        }
    }
    // Fixed offsets, written afresh in every datetime: the same values.
    let mut v = analysts(2500);
    for (i, a) in v.iter_mut().enumerate() {
        let tz = pickle_core::datetime::TzInfo::fixed(3600 * (i % 5) as i32 - 7200);
        a.when = pickle_core::datetime::DateTime::new(a.when.date(), a.when.time().clone().with_tz(Some(tz)));
    }
    let (back, _) = decode::<Analyst>(&encode(&v, 4), DecodeOptions::default());
    assert_eq!(back.expect("fixed offsets"), v);
}
