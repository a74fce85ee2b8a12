//! Decoding a root list or dict into a Rust collection streams its items
//! (pickle-core's stream.rs): the result must be exactly what decoding the
//! whole graph first gives, for pickles python3 writes and for the cases
//! where streaming has to give up.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;

use pickle_core::{Context, FromPickle, Limits, Value};

/// `pickle.dumps(eval(expr), protocol)` from python3.
fn python_pickle(expr: &str, protocol: u8) -> Vec<u8> {
    let script = format!("import pickle,sys; sys.stdout.buffer.write(pickle.dumps({expr}, {protocol}))");
    let mut cmd = pickle_test_support::python3(&[]);
    cmd.args(["-c", &script]);
    pickle_test_support::run_ok(cmd, b"")
}

/// Decoding through the whole graph, bypassing streaming.
fn whole<'a, T: FromPickle<'a>>(bytes: &'a [u8]) -> pickle_core::Result<T> {
    let value: Value<'a> = pickle_core::from_slice(bytes)?;
    let mut cx = Context::new(&value, &Limits::default());
    cx.decode(value.root())
}

/// A reader that hands over at most 7 bytes per read, so that what a
/// streaming reader keeps is put together from many short reads.
struct Trickle<'b>(&'b [u8]);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0.len()).min(7);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Streamed decoding, from a slice and from a reader (streamed too, and
/// read again from what it kept where streaming gave up), agrees with
/// whole-graph decoding, in value or in error kind and offset. A reader
/// is left right after the pickle's STOP: the pickle written after it
/// reads next.
fn agree<T>(bytes: &[u8], what: &str) -> Option<T>
where
    T: for<'a> FromPickle<'a> + PartialEq + std::fmt::Debug,
{
    let same = |got: &pickle_core::Result<T>, graph: &pickle_core::Result<T>, how: &str| match (got, graph) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{what} ({how})"),
        (Err(a), Err(b)) => assert_eq!((a.kind(), a.offset()), (b.kind(), b.offset()), "{what} ({how}): {a} / {b}"),
        _ => panic!("{what} ({how}): {got:?}, whole graph {graph:?}"),
    };
    let graph = whole::<T>(bytes);
    let streamed = pickle_core::from_slice::<T>(bytes);
    same(&streamed, &graph, "slice");
    let mut stream = bytes.to_vec();
    stream.extend(pickle_core::to_vec(&"after").expect("encode"));
    let mut slice_reader = &stream[..];
    let mut trickle = Trickle(&stream);
    for (how, reader) in [("reader", &mut slice_reader as &mut dyn std::io::Read), ("7-byte reads", &mut trickle)] {
        let read = pickle_core::from_reader::<_, T>(&mut *reader);
        same(&read, &graph, how);
        if read.is_ok() {
            let next: String = pickle_core::from_reader(reader).expect("the next pickle");
            assert_eq!(next, "after", "{what} ({how}): the reader stopped right after STOP");
        }
    }
    streamed.ok()
}

#[test]
fn streamed_collections_equal_whole_graph_decoding_at_every_protocol() {
    for p in 0..=5 {
        let list = python_pickle("[(i, str(i), [i] * (i % 4)) for i in range(2500)]", p);
        let got = agree::<Vec<(i64, String, Vec<i64>)>>(&list, &format!("list p{p}")).expect("decodes");
        assert_eq!(got.len(), 2500);
        assert_eq!(got[1234], (1234, "1234".to_string(), vec![1234, 1234]));
        agree::<VecDeque<(i64, String, Vec<i64>)>>(&list, &format!("deque p{p}"));

        let dict = python_pickle("{('k%d' % i): [i, -i] for i in range(2500)}", p);
        let map = agree::<HashMap<String, Vec<i64>>>(&dict, &format!("dict p{p}")).expect("decodes");
        assert_eq!(map["k77"], vec![77, -77]);
        agree::<BTreeMap<String, Vec<i64>>>(&dict, &format!("btree p{p}"));

        // Wrong item types fail the same way, at the same offset.
        agree::<Vec<(i64, i64, Vec<i64>)>>(&list, &format!("mismatch p{p}"));
    }
}

#[test]
fn shared_items_stay_shared_when_streamed() {
    for p in 0..=5 {
        let bytes = python_pickle("(lambda x: [x, [9], x, x])([1, 2])", p);
        let got: Vec<Rc<Vec<i64>>> = pickle_core::from_slice(&bytes).expect("decodes");
        assert!(Rc::ptr_eq(&got[0], &got[2]) && Rc::ptr_eq(&got[0], &got[3]), "protocol {p}");
        assert!(!Rc::ptr_eq(&got[0], &got[1]));
        // Batches of nothing but fetches of one item (read in runs), broken
        // by another item, and fetches of two items in turn.
        let bytes = python_pickle("(lambda x, y: [x] * 2500 + [[9]] + [x] * 2500 + [x, y] * 700)([1, 2], [3])", p);
        let got = agree::<Vec<Rc<Vec<i64>>>>(&bytes, &format!("runs p{p}")).expect("decodes");
        assert_eq!(got.len(), 6401);
        let (x, y) = (&got[0], &got[5002]);
        assert_eq!((&**x, &*got[2500], &**y), (&vec![1, 2], &vec![9], &vec![3]), "protocol {p}");
        for (i, item) in got.iter().enumerate() {
            let other = i == 2500 || (i > 5001 && i % 2 == 0);
            assert!(Rc::ptr_eq(item, if i > 5001 && other { y } else { x }) != (i == 2500), "protocol {p}: item {i}");
        }
    }
    // Batches that open with a run of fetches of the item the last one
    // ended with (the direct path reads such a run at once), of every length
    // from 1 to 12, then the other item to the batch's end; each followed by
    // a batch of the other item only (which the direct path takes, so that
    // it goes on trying). After a batch of 1000 other lists or none, so that
    // the fetches are LONG_BINGETs or BINGETs where CPython memoizes every
    // list.
    for (prefix, p) in [0, 1000].into_iter().flat_map(|n| (0..=5).map(move |p| (n, p))) {
        let expr = format!(
            "(lambda x, y: [[i] for i in range({prefix})] + [x] * 1000 + [z for i, k in enumerate(range(1, 13)) \
             for z in [(x, y)[i % 2]] * k + [(y, x)[i % 2]] * (2000 - k)])([1, 2], [3])"
        );
        let got =
            agree::<Vec<Rc<Vec<i64>>>>(&python_pickle(&expr, p), &format!("runs {prefix} p{p}")).expect("decodes");
        assert_eq!(got.len(), prefix + 25_000, "protocol {p}");
        let (x, y) = (&got[prefix], &got[prefix + 1999]);
        assert_eq!((&**x, &**y), (&vec![1, 2], &vec![3]), "protocol {p}");
        for (i, item) in got[prefix..].iter().enumerate() {
            // Which of the 12 (run, rest) pairs of batches, and how far in.
            let (pair, at) = ((i.max(1000) - 1000) / 2000, (i.max(1000) - 1000) % 2000);
            let is_x = i < 1000 || ((pair % 2 == 0) == (at <= pair));
            assert!(Rc::ptr_eq(item, if is_x { x } else { y }), "prefix {prefix}, protocol {p}: item {i}");
        }
    }
    // The first batch the direct path tries opens with a run of x whose
    // length is a multiple of the four fetches compared at once, then y.
    for (k, p) in [4, 8, 12].into_iter().flat_map(|k| (0..=5).map(move |p| (k, p))) {
        let expr = format!("(lambda x, y: [y] + [x] * {} + [y] * {})([1, 2], [3])", 999 + k, 1000 - k);
        let got = agree::<Vec<Rc<Vec<i64>>>>(&python_pickle(&expr, p), &format!("run of {k} p{p}")).expect("decodes");
        let (x, y) = (&got[1], &got[0]);
        for (i, item) in got.iter().enumerate() {
            let is_x = i > 0 && i < 1000 + k;
            assert!(Rc::ptr_eq(item, if is_x { x } else { y }), "run of {k}, protocol {p}: item {i}");
        }
    }
    // Our own pickles do not memoize unshared items, so streaming frees
    // each batch's nodes; sharing across batches must survive that.
    let one = Rc::new(vec![1i64, 2, 3]);
    let data: Vec<Rc<Vec<i64>>> =
        (0..5000).map(|i| if i % 3 == 0 { Rc::clone(&one) } else { Rc::new(vec![i]) }).collect();
    let bytes = pickle_core::to_vec(&data).expect("encode");
    let back: Vec<Rc<Vec<i64>>> = pickle_core::from_slice(&bytes).expect("decode");
    assert_eq!(back, data);
    assert!(back.iter().step_by(3).all(|x| Rc::ptr_eq(x, &back[0])), "items shared across freed batches");
}

#[test]
fn streaming_gives_up_where_it_cannot_follow_the_stream() {
    for p in 0..=5 {
        // The root list contains itself: the root is fetched from the memo.
        let bytes = python_pickle("(lambda l: (l.append(l), l)[1])([1])", p);
        agree::<Vec<Vec<i64>>>(&bytes, &format!("self-containing p{p}"));
        // ... after a first batch of items already went to the sink.
        let bytes = python_pickle("(lambda l: (l.append(l), l)[1])(list(range(1500)))", p);
        agree::<Vec<i64>>(&bytes, &format!("self-containing after a batch p{p}"));
        // The first list at depth 0 is not the root: STOP returns a tuple.
        let bytes = python_pickle("(list(range(1500)),)", p);
        let got = agree::<Vec<Vec<i64>>>(&bytes, &format!("wrapped p{p}")).expect("decodes");
        assert_eq!(got, vec![(0..1500).collect::<Vec<i64>>()]);
    }
}
